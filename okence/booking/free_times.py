"""The free times the calendar shows, kept between requests in Django's cache.

Computing a month of free times takes six queries and a walk over every official's hours; the
calendar page asks for it on every view, and in a booking rush nearly every request is a
calendar page. So the result is kept, per service and span of days, with the *versions* it was
computed under: one for everything and one per unit. Every change that can alter a free time
replaces a version, so the next page computes afresh (and overwrites the entry); correctness
never waits for an entry to expire:

- an appointment taken, moved (``states.move``, ``states.move_all``), given to another official
  or deleted: the versions of its unit and of every unit its official serves (an official's time
  is shared by all their units);
- a change to a unit, a service, an official (their units and services), weekly hours, changed
  hours, leave or a closure: the version of everything (these are rare, administrators' work).

A version is replaced at once, inside the writer's transaction, and again once it commits: a page
that read the database between the two (before the commit) stored its result under the version
the commit then replaced. The versions are read before the database, the service included. The
only change that comes with time alone, a hold that lapses unconfirmed, is kept in the entry: it
is used only until the first lapse of a hold it counted. The minimum notice is applied when the
entry is read, so times that came too close drop out.

Writers (holds, claims) never read from here: they check the database, whose constraints decide.
Works with any cache backend; the versions are random, so a version lost from the cache (a
local-memory cache culls, Redis may evict) only means fresh entries.
"""

import datetime
import uuid
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.db.models import Min

from okence.booking import availability
from okence.offices.models import Service

ALL_KEY = "free-times:version"
ENTRY_SECONDS = 24 * 60 * 60  # an entry of a past day is never read again


def _unit_key(unit_id: int) -> str:
    return f"free-times:version:unit:{unit_id}"


def month_free_times(
    service: Service, first_day: datetime.date, last_day: datetime.date, now: datetime.datetime
) -> tuple[dict[datetime.date, list[availability.Slot]], datetime.datetime]:
    """``booking.services.free_slots``, from the cache when nothing changed since, and until when
    they hold if nothing is written: the first lapse of a hold they counted, or the moment the
    earliest of them comes too close to be booked."""
    from okence.booking import services as booking  # services imports this module's callers

    today = now.astimezone(service.unit.zone).date()
    key = f"free-times:{service.pk}:{first_day}:{last_day}:{today}"
    versions, entry = kept(service.unit_id, key)
    if entry is None or entry["valid_until"] <= now:
        # Read again after the versions, so that nothing is kept under versions newer than it.
        service = Service.objects.select_related("unit").filter(pk=service.pk).first() or service
        entry = {
            "versions": versions,
            "slots": booking.free_slots(service, first_day, last_day, now),
            "valid_until": _next_lapse(service, first_day, last_day, now),
        }
        cache.set(key, entry, ENTRY_SECONDS)
    rules = booking.rules_for(service)
    earliest, _ = availability.bookable_window(rules, now)
    fresh = {}
    for day, day_slots in entry["slots"].items():
        if day_kept := [slot for slot in day_slots if slot.start >= earliest]:
            fresh[day] = day_kept
    until = entry["valid_until"]
    if fresh:
        # The earliest (a day's slots are in time order) is offered while now + notice <= its
        # start: up to and including start - notice, so until the microsecond after.
        last_moment = fresh[min(fresh)][0].start - rules.min_notice
        until = min(until, last_moment + datetime.timedelta(microseconds=1))
    return fresh, until


def versions(service: Service) -> list[str]:
    """The versions of the service's free times, read before what is kept under them."""
    return _versions([ALL_KEY, _unit_key(service.unit_id)])


def kept(unit_id: int, key: str) -> tuple[list[str], dict | None]:
    """The versions of the unit's free times and the entry at ``key`` if it was kept under them
    (an entry records its versions), in one round trip to the cache. Entries of old versions are
    overwritten, not left beside the new ones until they expire."""
    version_keys = [ALL_KEY, _unit_key(unit_id)]
    found = cache.get_many([*version_keys, key])
    current = [found.get(version_key) for version_key in version_keys]
    if None in current:
        current = _versions(version_keys)
    entry = found.get(key)
    return current, entry if entry is not None and entry["versions"] == current else None


def _versions(keys: list[str]) -> list[str]:
    found = cache.get_many(keys)
    missing = {key: uuid.uuid4().hex for key in keys if key not in found}
    if missing:
        # add, not set: of two pages that both miss, the first version wins for both.
        for key, version in missing.items():
            cache.add(key, version, None)
        found |= cache.get_many(list(missing))
    return [found.get(key, missing.get(key)) for key in keys]


def _next_lapse(
    service: Service, first_day: datetime.date, last_day: datetime.date, now: datetime.datetime
) -> datetime.datetime:
    """When the first hold counted in these days lapses (the entry is used until then)."""
    from okence.booking import services as booking
    from okence.booking.states import Status, days_bounds

    start, end = days_bounds(service.unit, first_day, last_day)
    lapse = (
        booking.occupying(now)
        .filter(status=Status.HELD, start__lt=end, end__gt=start)
        .filter(official__services=service)
        .aggregate(first=Min("hold_expires_at"))["first"]
    )
    return lapse or datetime.datetime.max.replace(tzinfo=datetime.UTC)


def _replace(keys: list[str]) -> None:
    def replace() -> None:
        cache.set_many({key: uuid.uuid4().hex for key in keys}, None)

    replace()
    transaction.on_commit(replace)


def forget_everything() -> None:
    """After a change to units, services, officials or their hours, leave or closures."""
    _replace([ALL_KEY])


def forget_officials_time(official_ids: Iterable[int], unit_ids: Iterable[int] = ()) -> None:
    """After appointments of these officials (in these units) were taken, moved or freed."""
    from okence.offices.models import Official

    official_ids = {pk for pk in official_ids if pk is not None}
    units = set(unit_ids)
    if official_ids:
        units |= set(
            Official.units.through.objects.filter(official_id__in=official_ids).values_list(
                "unit_id", flat=True
            )
        )
    if units:
        _replace([_unit_key(pk) for pk in sorted(units)])


def appointment_saved(sender, instance, **kwargs) -> None:
    """post_save and post_delete of an appointment (holds and claims insert one)."""
    forget_officials_time([instance.official_id], [instance.unit_id])


def offices_changed(sender, **kwargs) -> None:
    """post_save, post_delete and m2m_changed of the offices' models that shape free times."""
    forget_everything()
