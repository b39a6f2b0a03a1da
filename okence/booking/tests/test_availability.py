"""The availability rules, as pure functions: no database."""

import datetime
from zoneinfo import ZoneInfo

from okence.booking.availability import Rules, Schedule, free_slots, local_datetime

ZONE = ZoneInfo("Europe/Ljubljana")
UTC = datetime.UTC
T = datetime.time.fromisoformat
MORNINGS = {weekday: [(T("08:00"), T("10:00"))] for weekday in range(5)}
RULES = Rules(duration=datetime.timedelta(minutes=30), zone=ZONE)


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=ZONE).astimezone(UTC)


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def local_starts(slots) -> list[str]:
    return [f"{slot.start.astimezone(ZONE):%H:%M}" for slot in slots]


def test_it_lists_slots_one_duration_apart_within_hours():
    result = free_slots(
        RULES,
        [Schedule(1, MORNINGS)],
        set(),
        day("2026-12-08"),
        day("2026-12-08"),
        at("2026-12-01 09:00"),
    )
    assert local_starts(result[day("2026-12-08")]) == ["08:00", "08:30", "09:00", "09:30"]


def test_it_offers_nothing_on_weekends_without_hours():
    result = free_slots(
        RULES,
        [Schedule(1, MORNINGS)],
        set(),
        day("2026-12-12"),
        day("2026-12-13"),
        at("2026-12-01 09:00"),
    )
    assert result == {}


def test_it_respects_the_minimum_notice():
    result = free_slots(
        RULES,
        [Schedule(1, MORNINGS)],
        set(),
        day("2026-12-08"),
        day("2026-12-08"),
        at("2026-12-08 07:00"),
    )
    # Two hours' notice from 07:00: 09:00 is the first bookable start.
    assert local_starts(result[day("2026-12-08")]) == ["09:00", "09:30"]


def test_it_stops_at_the_maximum_advance():
    rules = Rules(duration=datetime.timedelta(minutes=30), max_advance_days=3, zone=ZONE)
    result = free_slots(
        rules,
        [Schedule(1, MORNINGS)],
        set(),
        day("2026-12-07"),
        day("2026-12-31"),
        at("2026-12-07 06:00"),
    )
    assert sorted(result) == [
        day("2026-12-07"),
        day("2026-12-08"),
        day("2026-12-09"),
        day("2026-12-10"),
    ]


def test_it_skips_closed_days():
    result = free_slots(
        RULES,
        [Schedule(1, MORNINGS)],
        {day("2026-12-08")},
        day("2026-12-08"),
        day("2026-12-09"),
        at("2026-12-01 09:00"),
    )
    assert sorted(result) == [day("2026-12-09")]


def test_a_time_is_free_while_one_official_is_free():
    busy = [(at("2026-12-08 08:00"), at("2026-12-08 08:30"))]
    result = free_slots(
        RULES,
        [Schedule(1, MORNINGS, list(busy)), Schedule(2, MORNINGS)],
        set(),
        day("2026-12-08"),
        day("2026-12-08"),
        at("2026-12-01 09:00"),
    )
    first = result[day("2026-12-08")][0]
    assert first.official_ids == (2,)
    assert result[day("2026-12-08")][1].official_ids == (1, 2)


def test_a_time_is_taken_when_every_official_is_busy_for_part_of_it():
    # A 45-minute appointment 08:15–09:00 blocks both the 08:00 and the 08:30 slot.
    busy = [(at("2026-12-08 08:15"), at("2026-12-08 09:00"))]
    result = free_slots(
        RULES,
        [Schedule(1, MORNINGS, busy)],
        set(),
        day("2026-12-08"),
        day("2026-12-08"),
        at("2026-12-01 09:00"),
    )
    assert local_starts(result[day("2026-12-08")]) == ["09:00", "09:30"]


def test_a_slot_must_fit_the_block_whole():
    rules = Rules(duration=datetime.timedelta(minutes=45), zone=ZONE)
    result = free_slots(
        rules,
        [Schedule(1, MORNINGS)],
        set(),
        day("2026-12-08"),
        day("2026-12-08"),
        at("2026-12-01 09:00"),
    )
    assert local_starts(result[day("2026-12-08")]) == ["08:00", "08:45"]


def test_times_keep_to_the_wall_clock_across_the_spring_clock_change():
    # Summer time starts on Sunday 28 March 2027; on Monday 29 March 08:00 is UTC+2.
    result = free_slots(
        RULES,
        [Schedule(1, MORNINGS)],
        set(),
        day("2027-03-26"),
        day("2027-03-29"),
        at("2027-03-25 09:00"),
    )
    friday, monday = result[day("2027-03-26")][0], result[day("2027-03-29")][0]
    assert friday.start == datetime.datetime(2027, 3, 26, 7, 0, tzinfo=UTC)
    assert monday.start == datetime.datetime(2027, 3, 29, 6, 0, tzinfo=UTC)
    assert local_starts([friday, monday]) == ["08:00", "08:00"]


def test_hours_on_the_autumn_clock_change_day_are_as_long_as_on_the_wall():
    # 25 October 2026: clocks go back at 03:00. Hours 01:00–04:00 last four real hours.
    night = {6: [(T("01:00"), T("04:00"))]}
    rules = Rules(duration=datetime.timedelta(hours=1), zone=ZONE)
    result = free_slots(
        rules,
        [Schedule(1, night)],
        set(),
        day("2026-10-25"),
        day("2026-10-25"),
        at("2026-10-20 09:00"),
    )
    starts = [slot.start for slot in result[day("2026-10-25")]]
    assert starts == [
        datetime.datetime(2026, 10, 24, 23, tzinfo=UTC) + datetime.timedelta(hours=h)
        for h in range(4)
    ]


def test_local_datetime_moves_a_skipped_wall_time_forward():
    # 02:30 does not exist on 28 March 2027 in Ljubljana.
    moment = local_datetime(day("2027-03-28"), T("02:30"), ZONE)
    assert moment == datetime.datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


def test_an_official_on_leave_offers_nothing_that_day_and_others_still_do():
    result = free_slots(
        RULES,
        [Schedule(1, MORNINGS, away={day("2026-12-08")}), Schedule(2, MORNINGS)],
        set(),
        day("2026-12-08"),
        day("2026-12-09"),
        at("2026-12-01 09:00"),
    )
    assert {slot.official_ids for slot in result[day("2026-12-08")]} == {(2,)}
    assert {slot.official_ids for slot in result[day("2026-12-09")]} == {(1, 2)}


def test_changed_hours_on_a_date_replace_the_weeks_hours():
    changed = {day("2026-12-08"): [(T("12:00"), T("13:00"))], day("2026-12-09"): []}
    result = free_slots(
        RULES,
        [Schedule(1, MORNINGS, changed=changed)],
        set(),
        day("2026-12-08"),
        day("2026-12-10"),
        at("2026-12-01 09:00"),
    )
    assert local_starts(result[day("2026-12-08")]) == ["12:00", "12:30"]
    assert day("2026-12-09") not in result
    assert local_starts(result[day("2026-12-10")]) == ["08:00", "08:30", "09:00", "09:30"]
