"""The numbers of the virtual counter for a period and filters: outcomes, waiting and meeting
times, the survey, the busiest days and hours. Everything is counted from the appointments,
their rooms and the survey answers, in the units' local time.
"""

import dataclasses
import datetime
import statistics as stats
from collections import Counter
from dataclasses import dataclass, field

from django.db.models.functions import TruncMonth

from okence.booking import states
from okence.booking.models import Appointment
from okence.booking.states import Status
from okence.offices.models import Unit
from okence.surveys.models import Answer, Rating

# The fewest people a survey figure or message may come from: fewer could be recognised.
MINIMUM_GROUP = 5


@dataclass(frozen=True)
class Filters:
    first_day: datetime.date
    last_day: datetime.date
    unit_ids: frozenset[int]  # already limited to the reader's scope
    service_id: int | None = None
    official_id: int | None = None


@dataclass
class Report:
    booked: int = 0
    not_confirmed: int = 0
    cancelled: int = 0
    completed: int = 0
    no_shows: int = 0
    median_wait_seconds: float | None = None
    median_meeting_seconds: float | None = None
    waits_measured: int = 0  # how many times each median is taken over
    meetings_measured: int = 0
    answers: int = 0
    response_rate: float | None = None
    average_rating: float | None = None
    rating_counts: dict[int, int] = field(default_factory=dict)
    by_day: list[tuple[datetime.date, int]] = field(default_factory=list)
    by_weekday: list[int] = field(default_factory=lambda: [0] * 7)
    by_hour: dict[int, int] = field(default_factory=dict)

    @property
    def ratings_shown(self) -> bool:
        """Whether enough people answered for their ratings to be shown: fewer could be told apart
        (an official choosing one day and themselves knows whom they met)."""
        return self.answers >= MINIMUM_GROUP

    @property
    def median_wait_minutes(self) -> float | None:
        return None if self.median_wait_seconds is None else self.median_wait_seconds / 60

    @property
    def median_meeting_minutes(self) -> float | None:
        return None if self.median_meeting_seconds is None else self.median_meeting_seconds / 60

    def aggregates(self) -> dict:
        """Every figure, and nothing about any person: what the exports carry."""
        return {
            "appointments_booked": self.booked,
            "holds_not_confirmed": self.not_confirmed,
            "cancelled": self.cancelled,
            "completed": self.completed,
            "no_shows": self.no_shows,
            "median_waiting_seconds": self.median_wait_seconds,
            "median_meeting_seconds": self.median_meeting_seconds,
            "survey_answers": self.answers,
            "survey_response_rate": self.response_rate,
            "average_rating": self.average_rating,
            "ratings": {str(value): self.rating_counts.get(value, 0) for value in Rating.values},
        }


def _appointments(filters: Filters, units: list[Unit]):
    appointments = Appointment.objects.filter(
        states.starting_on(units, filters.first_day, filters.last_day)
    )
    if filters.service_id:
        appointments = appointments.filter(service=filters.service_id)
    if filters.official_id:
        appointments = appointments.filter(official=filters.official_id)
    return appointments


def answers(filters: Filters):
    found = Answer.objects.filter(
        unit__in=filters.unit_ids,
        meeting_day__gte=filters.first_day,
        meeting_day__lte=filters.last_day,
    )
    if filters.service_id:
        found = found.filter(service=filters.service_id)
    if filters.official_id:
        found = found.filter(official=filters.official_id)
    return found


def _median(values: list[float]) -> float | None:
    return round(stats.median(values), 1) if values else None


def report(filters: Filters) -> Report:
    result = Report()
    units = list(Unit.objects.filter(pk__in=filters.unit_ids).only("pk", "timezone"))
    zones = {unit.pk: unit.zone for unit in units}
    rows = list(
        _appointments(filters, units).values_list(
            "status",
            "start",
            "room__first_knocked_at",
            "room__admitted_at",
            "room__ended_at",
            "unit",
        )
    )
    statuses = Counter(status for status, *_ in rows)
    result.booked = sum(statuses[state] for state in states.BOOKED)
    result.not_confirmed = statuses[Status.EXPIRED]
    result.cancelled = statuses[Status.CANCELLED]
    result.completed = statuses[Status.COMPLETED]
    result.no_shows = statuses[Status.NO_SHOW]
    waits = [
        (admitted - knocked).total_seconds()
        for _, _, knocked, admitted, _, _ in rows
        if knocked and admitted and admitted >= knocked
    ]
    meetings = [
        (ended - admitted).total_seconds()
        for status, _, _, admitted, ended, _ in rows
        if status == Status.COMPLETED and admitted and ended
    ]
    result.median_wait_seconds, result.waits_measured = _median(waits), len(waits)
    result.median_meeting_seconds, result.meetings_measured = _median(meetings), len(meetings)
    per_day: Counter = Counter()
    for status, start, *_, unit in rows:
        if status not in states.BOOKED:
            continue
        local = start.astimezone(zones[unit])
        per_day[local.date()] += 1
        result.by_weekday[local.weekday()] += 1
        result.by_hour[local.hour] = result.by_hour.get(local.hour, 0) + 1
    day = filters.first_day
    while day <= filters.last_day:
        result.by_day.append((day, per_day[day]))
        day += datetime.timedelta(days=1)
    ratings = Counter(answers(filters).values_list("rating", flat=True))
    result.rating_counts = {value: ratings[value] for value in Rating.values}
    result.answers = sum(ratings.values())
    if result.answers:
        total = sum(value * count for value, count in ratings.items())
        result.average_rating = round(total / result.answers, 2)
    if result.completed:
        result.response_rate = round(result.answers / result.completed, 3)
    return result


def withheld(report: Report) -> Report:
    """The report as staff pages, charts and exports show it: the ratings of a selection that
    fewer than ``MINIMUM_GROUP`` answered are left out, whichever filters narrowed it."""
    if report.ratings_shown:
        return report
    return dataclasses.replace(report, average_rating=None, rating_counts={})


@dataclass(frozen=True)
class CommentGroup:
    unit: str
    month: datetime.date  # its first day
    comments: list[str]


def comments(
    filters: Filters, unit_ids: frozenset[int], today: datetime.date
) -> list[CommentGroup]:
    """The free-text answers of the given units only (their own administrators'), in fixed groups
    that no choice of filters can narrow: one unit's whole finished month, when at least
    ``MINIMUM_GROUP`` answered in it. A group is shown whole when the period touches its month;
    a service or an official would split the group, so with either chosen there are none. The
    messages carry no day, rating, service or order of arrival.
    """
    if filters.service_id or filters.official_id:
        return []
    month_after_last = (filters.last_day.replace(day=1) + datetime.timedelta(days=31)).replace(
        day=1
    )
    found = (
        Answer.objects.filter(
            unit__in=unit_ids & filters.unit_ids,
            meeting_day__gte=filters.first_day.replace(day=1),
            meeting_day__lt=min(month_after_last, today.replace(day=1)),  # whole, finished months
        )
        .annotate(month=TruncMonth("meeting_day"))
        .values_list("month", "unit__name", "unit", "comment")
    )
    answered: Counter = Counter()  # by (month, unit's name, unit's id): two units may share a name
    said: dict[tuple, list[str]] = {}
    for *group, comment in found:
        answered[tuple(group)] += 1
        if comment:
            said.setdefault(tuple(group), []).append(comment)
    return [
        CommentGroup(unit, month, sorted(said[month, unit, pk]))
        for month, unit, pk in sorted(said, key=lambda group: (-group[0].toordinal(), *group[1:]))
        if answered[month, unit, pk] >= MINIMUM_GROUP
    ]
