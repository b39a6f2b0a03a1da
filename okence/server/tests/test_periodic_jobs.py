"""Every periodic job is registered with huey at the period it is meant to run at, and no job
runs that this table does not know of.

The bugs caught: a job whose schedule was removed or mistyped (its personal data is never
forgotten, its holds never released), and a new job nobody decided the period of.
"""

import datetime

from django.utils.module_loading import autodiscover_modules
from huey.contrib.djhuey import HUEY

from okence.outbox import delivery_queue

MINUTE = datetime.timedelta(minutes=1)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
WEEK = datetime.timedelta(days=7)

# job: (period, first run after midnight (huey's clock, UTC), why this period)
EXPECTED = {
    "okence.audit.tasks.forget_old_audit_events": (DAY, "02:53", "old audit events go nightly"),
    "okence.booking.tasks.release_lapsed_holds": (
        MINUTE,
        "00:00",
        "a lapsed hold gives its slot back within a minute",
    ),
    "okence.booking.tasks.forget_personal_data": (
        HOUR,
        "00:17",
        "contact details go within the hour after their 90 days",
    ),
    "okence.meetings.tasks.forget_closed_chats": (HOUR, "00:29", "a closed meeting's chat goes"),
    "okence.booking.tasks.send_reminders": (MINUTE, "00:00", "a reminder is due by the minute"),
    "okence.meetings.tasks.forget_silent_connections": (
        MINUTE,
        "00:00",
        "a citizen gone without a goodbye stops showing as connected within a minute",
    ),
    "okence.outbox.tasks.deliver_due_emails": (MINUTE, "00:00", "retries are due by the minute"),
    "okence.outbox.tasks.forget_delivered_emails": (
        HOUR,
        "00:23",
        "delivered e-mail goes after a day, failed after a week, within the hour",
    ),
    "okence.exchange.tasks.purge_folders": (
        5 * MINUTE,
        "00:00",
        "files go within five minutes of the grace after the meeting",
    ),
    "okence.surveys.tasks.send_survey_follow_ups": (
        5 * MINUTE,
        "00:00",
        "the survey follows a finished meeting within five minutes",
    ),
    "okence.surveys.tasks.forget_old_comments": (DAY, "03:41", "old comments go nightly"),
    "okence.legal.tasks.forget_old_feedback": (DAY, "03:47", "old feedback goes nightly"),
    "okence.server.tasks.clear_expired_sessions": (HOUR, "00:29", "expired sessions go hourly"),
    "okence.ratelimits.tasks.forget_spent_windows": (HOUR, "00:41", "spent windows go hourly"),
}


def periodic_jobs() -> dict[str, object]:
    autodiscover_modules("tasks")  # as huey's consumer does (run_huey)
    return {f"{type(task).__module__}.{task.name}": task for task in HUEY._registry.periodic_tasks}


def runs_in_a_week(task) -> list[datetime.datetime]:
    monday = datetime.datetime(2026, 12, 7)  # huey's clock: naive UTC
    return [
        monday + minute * MINUTE
        for minute in range(WEEK // MINUTE)
        if task.validate_datetime(monday + minute * MINUTE)
    ]


def test_every_periodic_job_is_in_the_table_and_every_job_of_the_table_is_registered():
    assert sorted(periodic_jobs()) == sorted(EXPECTED)


def test_the_delivery_queue_runs_no_periodic_job():
    """Its consumer runs without periodic jobs (manage.py run_deliveries), so one put there
    would never run."""
    autodiscover_modules("tasks")
    assert delivery_queue.HUEY._registry.periodic_tasks == []


def test_every_periodic_job_runs_at_its_period():
    monday = datetime.datetime(2026, 12, 7)
    wrong = {}
    for name, task in periodic_jobs().items():
        period, first, _ = EXPECTED[name]
        hours, minutes = map(int, first.split(":"))
        start = monday + datetime.timedelta(hours=hours, minutes=minutes)
        count = -((start - monday - WEEK) // period)  # runs before the week is out
        expected = [start + index * period for index in range(count)]
        runs = runs_in_a_week(task)
        if runs != expected:
            wrong[name] = (runs[:3], len(runs))
    assert wrong == {}
