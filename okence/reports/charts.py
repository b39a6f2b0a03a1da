"""Charts as SVG made on the server (pygal), served as images so the page's CSP stays strict.
Each chart's figures are also on the page as a table: the chart is never the only way to read."""

import pygal
from django.utils.translation import gettext as _
from pygal.style import Style

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#4d4d4d",
    colors=("#0b5394", "#b45309", "#1e6b34", "#a4161a", "#5b21b6"),
    font_family="system-ui, sans-serif",
)
OPTIONS = {
    "style": STYLE,
    "js": [],
    "disable_xml_declaration": True,
    "width": 720,
    "height": 320,
    "show_legend": True,
    "print_values": False,
}


def over_time(by_day) -> bytes:
    chart = pygal.Bar(**OPTIONS, x_label_rotation=45, show_minor_x_labels=False)
    chart.title = _("Appointments booked per day")
    chart.x_labels = [day.strftime("%d. %m.") for day, _count in by_day]
    chart.x_labels_major = chart.x_labels[:: max(1, len(chart.x_labels) // 10)]
    chart.add(_("Appointments"), [count for _day, count in by_day])
    return chart.render()


def ratings(rating_counts: dict[int, int]) -> bytes:
    chart = pygal.Bar(**OPTIONS)
    chart.title = _("Ratings of the overall experience")
    chart.x_labels = [str(value) for value in sorted(rating_counts)]
    chart.add(_("Answers"), [rating_counts[value] for value in sorted(rating_counts)])
    return chart.render()


def outcomes(report) -> bytes:
    chart = pygal.Pie(**OPTIONS, inner_radius=0.4)
    chart.title = _("Outcomes")
    for label, value in outcome_rows(report):
        chart.add(label, value)
    return chart.render()


def outcome_rows(report) -> list[tuple[str, int]]:
    return [
        (_("Completed"), report.completed),
        (_("Did not attend"), report.no_shows),
        (_("Cancelled"), report.cancelled),
        (_("Not confirmed"), report.not_confirmed),
    ]
