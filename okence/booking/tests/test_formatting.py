"""Dates and times as the guide writes them, in winter and in summer time."""

import datetime
from zoneinfo import ZoneInfo

from okence.booking.formatting import time_range

ZONE = ZoneInfo("Europe/Ljubljana")
UTC = datetime.UTC


def test_the_guides_example_in_slovenian():
    start = datetime.datetime(2021, 11, 22, 7, 30, tzinfo=UTC)
    assert (
        time_range(start, start + datetime.timedelta(minutes=30), ZONE, "sl")
        == "ponedeljek, 22. november 2021, 08:30 – 09:00 (UTC+01:00) Ljubljana"
    )


def test_summer_time_shows_its_own_offset_in_english():
    start = datetime.datetime(2027, 3, 29, 6, 0, tzinfo=UTC)  # the Monday after clocks go forward
    assert (
        time_range(start, start + datetime.timedelta(minutes=30), ZONE, "en")
        == "Monday, 29 March 2027, 08:00 – 08:30 (UTC+02:00) Ljubljana"
    )
