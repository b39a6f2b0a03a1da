"""The statistics page's figures as files for spreadsheets: an XLSX workbook with one sheet per
table, and a CSV with one row per figure and category. Both say the period and filters they were
made for, carry headings in the reader's language, and hold figures only, never a name of a
citizen or a message.
"""

import csv
import datetime
import io
from dataclasses import dataclass

import xlsxwriter
from django.utils.dates import WEEKDAYS
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from okence.reports.statistics import Report

Value = str | int | float | datetime.date | None


@dataclass(frozen=True)
class Table:
    title: str
    headings: tuple[str, str]
    rows: list[tuple[Value, Value]]


def weekday_names() -> list[str]:
    return [str(WEEKDAYS[day]) for day in range(7)]


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def tables(report: Report) -> list[Table]:
    figure, value, appointments = _("Figure"), _("Value"), _("Appointments")
    rate = None if report.response_rate is None else round(report.response_rate * 100, 1)
    return [
        Table(
            appointments,
            (figure, value),
            [
                (_("Booked"), report.booked),
                (_("Completed"), report.completed),
                (_("Did not attend"), report.no_shows),
                (_("Cancelled"), report.cancelled),
                (_("Held but not confirmed"), report.not_confirmed),
                (
                    f"{_('Median time in the waiting room')} (min)",
                    _minutes(report.median_wait_seconds),
                ),
                (f"{_('Median meeting length')} (min)", _minutes(report.median_meeting_seconds)),
            ],
        ),
        Table(
            _("Survey"),
            (figure, value),
            [
                (_("Answers"), report.answers),
                (f"{_('Response rate')} (%)", rate),
                (_("Average rating"), report.average_rating),
            ],
        ),
        Table(_("Ratings"), (_("Rating"), _("Answers")), sorted(report.rating_counts.items())),
        Table(_("Appointments booked per day"), (_("Day"), appointments), report.by_day),
        Table(
            _("By day of the week"),
            (_("Day of the week"), appointments),
            list(zip(weekday_names(), report.by_weekday, strict=True)),
        ),
        Table(
            _("By hour"),
            (_("Hour"), appointments),
            [(f"{hour}:00", count) for hour, count in sorted(report.by_hour.items())],
        ),
    ]


def filter_rows(form) -> list[tuple[str, Value]]:
    """The period and each filter as the form shows them: label and chosen value."""
    rows = []
    for name, field in form.fields.items():
        chosen = form.cleaned_data.get(name)
        if hasattr(field, "choices"):
            chosen = dict(field.choices).get(chosen or "", chosen)
        rows.append(
            (str(field.label), chosen if isinstance(chosen, datetime.date) else str(chosen))
        )
    return rows


def _safe(text: str) -> str:
    """A name beginning like a formula stays text when a spreadsheet opens the CSV."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(tables: list[Table], filters: list[tuple[str, Value]]) -> bytes:
    """UTF-8 with a BOM, so that Excel reads č, š and ž. Excel takes the separator and the decimal
    mark from the system's locale and honours no header for them (a ``sep=`` line makes it
    ignore the BOM), so the file follows the reader's language: in Slovenian ``;`` and a decimal
    comma, as a Slovenian Excel expects; in English ``,`` and a decimal point."""
    slovenian = get_language() == "sl"
    decimal = "," if slovenian else "."

    def cell(value: Value) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return f"{value:g}".replace(".", decimal)
        if isinstance(value, datetime.date | int):
            return str(value)
        return _safe(value)

    text = io.StringIO()
    writer = csv.writer(text, delimiter=";" if slovenian else ",", lineterminator="\r\n")
    writer.writerow([_("Table"), _("Category"), _("Value")])
    writer.writerows((_("Period and filters"), label, cell(value)) for label, value in filters)
    for table in tables:
        writer.writerows((table.title, cell(key), cell(value)) for key, value in table.rows)
    return ("\ufeff" + text.getvalue()).encode()


def _sheet_name(title: str) -> str:
    return "".join(c for c in title if c not in "[]:*?/\\")[:31]


def to_xlsx(tables: list[Table], filters: list[tuple[str, Value]]) -> bytes:
    """One sheet per table: its title, the period and filters, then the table under its headings.
    No text is ever read as a formula or a link."""
    output = io.BytesIO()
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    with xlsxwriter.Workbook(output, options) as workbook:
        bold = workbook.add_format({"bold": True})
        title = workbook.add_format({"bold": True, "font_size": 14})
        day = workbook.add_format({"num_format": "yyyy-mm-dd", "align": "left"})
        for table in tables:
            sheet = workbook.add_worksheet(_sheet_name(table.title))
            sheet.set_column(0, 0, 42)
            sheet.set_column(1, 1, 28)
            sheet.write(0, 0, table.title, title)
            rows = [*filters, (None, None), table.headings, *table.rows]
            for number, (key, value) in enumerate(rows, start=1):
                heading = number == len(filters) + 2
                for column, content in enumerate((key, value)):
                    if isinstance(content, datetime.date):
                        sheet.write_datetime(number, column, content, day)
                    elif content is not None:
                        sheet.write(number, column, content, bold if heading else None)
            sheet.freeze_panes(len(filters) + 3, 0)
    return output.getvalue()
