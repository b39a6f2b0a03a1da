"""Dates and times as the citizen reads them, in the unit's zone and the citizen's language."""

import datetime
from zoneinfo import ZoneInfo

from django.utils import dateformat, translation

# The guide writes a day as "ponedeljek, 22. november 2021"; Italian "lunedì 22 novembre 2021",
# Hungarian "2021. november 22., hétfő" (the names come from Django's locale data).
LONG_DAY_FORMATS = {"sl": "l, j. F Y", "en": "l, j F Y", "it": "l j F Y", "hu": "Y. F j., l"}
# Django's Italian and Hungarian names of days and months are capitalised; in running text, as
# here, both languages write them in lower case.
LOWER_CASE_NAMES = {"it", "hu"}


def utc_offset_label(moment: datetime.datetime) -> str:
    offset = moment.utcoffset() or datetime.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def time_range(
    start: datetime.datetime, end: datetime.datetime, zone: ZoneInfo, language: str | None = None
) -> str:
    """E.g. "ponedeljek, 22. november 2021, 08:30 – 09:00 (UTC+01:00) Ljubljana"."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    city = str(zone).rsplit("/", 1)[-1].replace("_", " ")
    with translation.override(language or translation.get_language()):
        day = long_day(local_start)
    return (
        f"{day}, {local_start:%H:%M} – {local_end:%H:%M} ({utc_offset_label(local_start)}) {city}"
    )


def long_day(day: datetime.date) -> str:
    """E.g. "ponedeljek, 22. november 2021"."""
    language = (translation.get_language() or "sl").split("-")[0]
    text = dateformat.format(day, LONG_DAY_FORMATS.get(language, LONG_DAY_FORMATS["en"]))
    return text.lower() if language in LOWER_CASE_NAMES else text
