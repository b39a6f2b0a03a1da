"""The public open-data feed: per unit and finished month, aggregates only (docs/open-data.md).

The survey is promised anonymous, so a figure taken over fewer than ``MINIMUM_GROUP`` people is
published as null: the survey figures when fewer answered, a median when fewer meetings were
measured (a median of one is that citizen's own time). The month still under way is left out,
as it grows day by day and comparing two days would show one day's answers.
"""

import datetime
from calendar import monthrange

from django.urls import reverse
from django.utils import timezone

from okence.booking.services import absolute_url
from okence.offices.models import Unit
from okence.reports import statistics

MINIMUM_GROUP = statistics.MINIMUM_GROUP
SURVEY_FIGURES = ("survey_answers", "survey_response_rate", "average_rating", "ratings")


def finished_months(year: int, today: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    months = []
    for month in range(1, 13):
        last = datetime.date(year, month, monthrange(year, month)[1])
        if last >= today:  # today's month is not over yet
            break
        months.append((datetime.date(year, month, 1), last))
    return months


def published(report: statistics.Report) -> dict:
    figures = report.aggregates()
    if report.answers < MINIMUM_GROUP:
        figures |= dict.fromkeys(SURVEY_FIGURES)
    if report.waits_measured < MINIMUM_GROUP:
        figures["median_waiting_seconds"] = None
    if report.meetings_measured < MINIMUM_GROUP:
        figures["median_meeting_seconds"] = None
    return figures


def feed(year: int) -> dict:
    units = list(Unit.objects.order_by("slug"))
    items = [
        {"unit": unit.slug, "unit_name": unit.name, "month": first.strftime("%Y-%m")}
        | published(statistics.report(statistics.Filters(first, last, frozenset([unit.pk]))))
        for first, last in finished_months(year, timezone.localdate())
        for unit in units
    ]
    return {
        # From SITE_URL, never from the request's Host header, which the client chooses.
        "schema": absolute_url(reverse("reports:open_data_schema")),
        "generated_at": timezone.now().isoformat(),
        "year": year,
        "minimum_group": MINIMUM_GROUP,
        "items": items,
    }
