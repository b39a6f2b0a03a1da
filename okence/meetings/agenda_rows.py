"""One row of the agenda's table, rendered in Python.

A week of a large unit lists hundreds of appointments; Django's template engine spent about a
third of a millisecond per row on its ~40 variables (lookups, localisation, escaping), most of
the page's time, and ``format_html`` a tenth (its escaping is lazy-aware). Here the labels, the
links' patterns and the time zone are resolved once per page; each row is one ``str.format``
of values escaped with ``html.escape`` (what Django's ``escape`` does), so the page's time
hardly grows with its rows. The table around the rows stays in meetings/agenda.html.
"""

import datetime
from collections.abc import Callable
from html import escape
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.translation import gettext as _

from okence.booking.models import Status
from okence.meetings.agenda import STATE_LABELS, Listed

# The pages of one appointment that a row links to.
ROW_LINKS = {
    "room": "meetings:official_room",
    "folder": "exchange:official_folder",
    "cancel": "meetings:cancel",
    "no_show": "meetings:no_show",
    "note": "meetings:note",
}
_SAMPLE_ID = "00000000-0000-0000-0000-000000000000"

# Every {placeholder} is filled with escaped text or with markup built here from escaped text.
ROW = (
    '<tr id="appointment-{id}" class="state-{status}" data-appointment="{id}">'
    '<th scope="row" data-label="{l_time}"><time datetime="{start_iso}">{start}</time>–'
    '<time datetime="{end_iso}">{end}</time></th>'
    '<td data-label="{l_citizen}">{name}</td>{official}'
    '<td data-label="{l_service}">{service}</td>'
    '<td class="notes" data-label="{l_notes}">{notes}{official_note}</td>'
    '<td data-label="{l_state}"><span class="state-label">{state}</span>{reason}</td>'
    '<td class="row-actions no-print" data-label="{l_actions}"><div class="actions">'
    '<a class="button" href="{room_url}">{l_meeting}{who}</a>'
    '<a class="button" href="{folder_url}">{l_folder}{who}</a>{action}</div>'
    '<details class="note-editor"><summary>{l_note_summary}{who}</summary>'
    '<form method="post" action="{note_url}">{csrf}'
    '<label for="note-{id}">{l_note_label}</label>'
    '<textarea id="note-{id}" name="note" rows="2" maxlength="2000">{note_text}</textarea>'
    '<button type="submit">{l_save_note}</button></form></details></td></tr>'
)


def _lines(text: str) -> str:
    """Escaped, with a <br> for each line break (the ``linebreaksbr`` filter)."""
    return escape(text.replace("\r\n", "\n").replace("\r", "\n")).replace("\n", "<br>")


def renderer(
    *, zone: ZoneInfo, now: datetime.datetime, whole_unit: bool, csrf_token: str
) -> Callable[[Listed], str]:
    """A function that renders one appointment's row of this page, as HTML whose every value is
    escaped (the caller marks the joined rows safe)."""
    links = {
        name: [escape(part) for part in reverse(view, args=[_SAMPLE_ID]).split(_SAMPLE_ID)]
        for name, view in ROW_LINKS.items()
    }
    labels = {
        key: escape(text)
        for key, text in {
            "l_time": _("Time"),
            "l_citizen": _("Citizen"),
            "l_service": _("Service"),
            "l_notes": _("Notes"),
            "l_state": _("State"),
            "l_actions": _("Actions"),
            "l_meeting": _("Meeting"),
            "l_folder": _("Folder"),
            "l_note_label": _("Private note (for example the case reference)"),
            "l_save_note": _("Save the note"),
        }.items()
    }
    states = {state: escape(str(label)) for state, label in STATE_LABELS.items()}
    official_cell = '<td data-label="' + escape(_("Official")) + '">{}</td>'
    none = '<span class="muted">' + escape(_("none")) + "</span>"
    private = '<p class="official-note"><strong>' + escape(_("Private note")) + ":</strong> {}</p>"
    reason = (
        '<p class="cancel-reason"><strong>'
        + escape(_("Reason for cancelling"))
        + ":</strong> {}</p>"
    )
    edit_note, add_note = escape(_("Edit the private note")), escape(_("Add a private note"))
    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
    cancel = '<a class="button" href="{}">' + escape(_("Cancel")) + "{}</a>"
    no_show = (
        '<form method="post" action="{}">'
        + csrf
        + '<button type="submit" class="danger">'
        + escape(_("Did not attend"))
        + "{}</button></form>"
    )

    def link(name: str, public_id: str) -> str:
        before, after = links[name]
        return f"{before}{public_id}{after}"

    def row(appointment: Listed) -> str:
        public_id = str(appointment.public_id)
        start, end = appointment.start.astimezone(zone), appointment.end.astimezone(zone)
        start_text = start.strftime("%H:%M")
        who = f'<span class="visually-hidden">: {escape(appointment.name)}, {start_text}</span>'
        action = ""
        if appointment.status == Status.CONFIRMED:
            if appointment.start > now:
                action = cancel.format(link("cancel", public_id), who)
            else:
                action = no_show.format(link("no_show", public_id), who)
        note = appointment.official_note
        return ROW.format(
            id=public_id,
            status=escape(appointment.status),
            start_iso=start.isoformat(),
            start=start_text,
            end_iso=end.isoformat(),
            end=end.strftime("%H:%M"),
            name=escape(appointment.name),
            official=official_cell.format(escape(appointment.official)) if whole_unit else "",
            service=conditional_escape(appointment.service),  # marked with lang, or plain text
            notes=_lines(appointment.notes) if appointment.notes else none,
            official_note=private.format(_lines(note)) if note else "",
            state=states.get(appointment.status) or escape(appointment.status),
            reason=reason.format(_lines(appointment.cancel_reason))
            if appointment.cancel_reason
            else "",
            room_url=link("room", public_id),
            folder_url=link("folder", public_id),
            who=who,
            action=action,
            l_note_summary=edit_note if note else add_note,
            note_url=link("note", public_id),
            csrf=csrf,
            note_text=escape(note),
            **labels,
        )

    return row
