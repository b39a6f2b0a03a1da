"""The files go after the session: at the meeting's end plus the grace (60 minutes by default),
or, for a meeting nobody ended, when it closes by itself plus the grace. On the frozen clock."""

import datetime

import pytest
from django.utils import timezone

from okence.booking.models import Status
from okence.exchange import services, tasks
from okence.exchange.models import FileEvent, SharedFile, SharedFolder
from okence.exchange.tests.conftest import add, docx_bytes, meeting_for, pdf_bytes, stored_files
from okence.meetings import services as meetings

MINUTE = datetime.timedelta(minutes=1)


def fill(folder) -> list[SharedFile]:
    return [
        add(folder, pdf_bytes(), "vloga.pdf"),
        add(folder, docx_bytes(), "pooblastilo.docx"),
        add(folder, pdf_bytes(pages=2), "priloga.pdf"),
    ]


def test_the_files_go_an_hour_after_the_meeting_ends(clock, meeting, folder, ana, exchange_storage):
    files = fill(folder)
    assert len(stored_files(exchange_storage)) == 3
    clock.shift(datetime.timedelta(minutes=20))
    meetings.end(meeting.appointment, ana, timezone.now())
    ended = timezone.now()
    folder.refresh_from_db()
    assert services.ends_at(folder) == ended + datetime.timedelta(minutes=60)

    clock.shift(59 * MINUTE)
    assert services.purge_due(timezone.now()) == 0
    assert SharedFile.objects.count() == 3
    assert len(stored_files(exchange_storage)) == 3
    assert SharedFolder.objects.get().purged_at is None

    clock.shift(MINUTE)
    assert services.purge_due(timezone.now()) == 1
    assert stored_files(exchange_storage) == []
    assert not SharedFile.objects.exists()
    folder.refresh_from_db()
    assert folder.purged_at == ended + datetime.timedelta(minutes=60)
    assert not services.available(folder)
    purged = FileEvent.objects.get(action=FileEvent.Action.PURGED)
    assert (purged.detail, purged.at, purged.actor, purged.user) == (
        "3 files",
        folder.purged_at,
        "",
        None,
    )
    # The folder stays, to say that its files are gone; the audit trail stays whole.
    assert FileEvent.objects.filter(action=FileEvent.Action.UPLOADED).count() == len(files)


def test_purging_again_changes_nothing(clock, meeting, folder, ana, exchange_storage):
    fill(folder)
    meetings.end(meeting.appointment, ana, timezone.now())
    clock.shift(61 * MINUTE)
    assert services.purge_due(timezone.now()) == 1
    folder.refresh_from_db()
    purged_at = folder.purged_at
    events = list(FileEvent.objects.values_list("pk", flat=True))

    clock.shift(10 * MINUTE)
    assert services.purge_due(timezone.now()) == 0
    assert services.purge(folder, timezone.now()) == 0
    folder.refresh_from_db()
    assert folder.purged_at == purged_at
    assert list(FileEvent.objects.values_list("pk", flat=True)) == events
    assert stored_files(exchange_storage) == []


def test_the_grace_is_configurable(clock, meeting, folder, ana, settings, exchange_storage):
    settings.EXCHANGE_GRACE_MINUTES = 10
    fill(folder)
    meetings.end(meeting.appointment, ana, timezone.now())
    clock.shift(9 * MINUTE)
    assert services.purge_due(timezone.now()) == 0
    clock.shift(MINUTE)
    assert services.purge_due(timezone.now()) == 1
    assert stored_files(exchange_storage) == []


def test_a_meeting_never_ended_is_purged_after_it_closes_plus_the_grace(
    clock, meeting, folder, exchange_storage
):
    fill(folder)
    appointment = meeting.appointment
    closes = meetings.closes_at(appointment)
    assert closes == appointment.end + datetime.timedelta(minutes=120)
    assert services.ends_at(folder) == closes + datetime.timedelta(minutes=60)

    clock.move_to(closes + datetime.timedelta(minutes=60) - MINUTE)
    assert services.purge_due(timezone.now()) == 0
    assert len(stored_files(exchange_storage)) == 3

    clock.move_to(closes + datetime.timedelta(minutes=60))
    assert services.purge_due(timezone.now()) == 1
    assert stored_files(exchange_storage) == []
    appointment.refresh_from_db()
    assert appointment.status == Status.IN_MEETING  # the purge leaves the meeting alone


def test_only_the_folders_whose_time_is_up_are_purged(
    clock, meeting, folder, ana, marko, service, exchange_storage
):
    early = fill(folder)
    later_meeting = meeting_for(marko, service, meeting.appointment.start)
    later_folder = services.create_folder(later_meeting.appointment, marko, timezone.now())
    later = add(later_folder, pdf_bytes(), "ostane.pdf")
    meetings.end(meeting.appointment, ana, timezone.now())
    clock.shift(30 * MINUTE)
    meetings.end(later_meeting.appointment, marko, timezone.now())

    clock.shift(30 * MINUTE)
    assert services.purge_due(timezone.now()) == 1
    assert stored_files(exchange_storage) == [later.stored_name]
    assert list(SharedFile.objects.all()) == [later]
    assert not any(SharedFile.objects.filter(pk=file.pk).exists() for file in early)

    clock.shift(30 * MINUTE)
    assert services.purge_due(timezone.now()) == 1
    assert stored_files(exchange_storage) == []


def test_an_empty_folder_is_purged_too(clock, meeting, folder, ana):
    meetings.end(meeting.appointment, ana, timezone.now())
    clock.shift(60 * MINUTE)
    assert services.purge_due(timezone.now()) == 1
    folder.refresh_from_db()
    assert folder.purged_at == timezone.now()
    assert FileEvent.objects.get(action=FileEvent.Action.PURGED).detail == "0 files"


def test_the_periodic_task_runs_the_purge(clock, meeting, folder, ana, exchange_storage):
    fill(folder)
    meetings.end(meeting.appointment, ana, timezone.now())

    clock.shift(59 * MINUTE)
    tasks.purge_folders.call_local()
    assert len(stored_files(exchange_storage)) == 3

    clock.shift(MINUTE)
    tasks.purge_folders.call_local()
    assert stored_files(exchange_storage) == []
    folder.refresh_from_db()
    assert folder.purged_at == timezone.now()


def test_the_task_is_scheduled_every_five_minutes(clock):
    from huey.contrib.djhuey import HUEY

    def due(minute: int) -> bool:
        at = datetime.datetime(2026, 12, 7, 6, minute)  # huey's clock: naive UTC
        return any(
            isinstance(task, tasks.purge_folders.task_class) for task in HUEY.read_periodic(at)
        )

    assert [due(minute) for minute in (0, 4, 5, 10, 11, 55)] == [
        True,
        False,
        True,
        True,
        False,
        True,
    ]


@pytest.mark.parametrize("storage_left_a_file", [True, False])
def test_a_file_already_missing_from_storage_does_not_stop_the_purge(
    clock, meeting, folder, ana, exchange_storage, storage_left_a_file
):
    files = fill(folder)
    if storage_left_a_file:
        (exchange_storage / files[0].stored_name).unlink()
    meetings.end(meeting.appointment, ana, timezone.now())
    clock.shift(60 * MINUTE)
    assert services.purge_due(timezone.now()) == 1
    assert stored_files(exchange_storage) == []
    assert not SharedFile.objects.exists()


def test_a_file_that_enters_while_the_purge_runs_goes_too(
    clock, meeting, folder, ana, exchange_storage, monkeypatch
):
    """The folder stays open until it is purged, so an upload can finish while the purge is
    deleting: after the purge listed the files, before it closed the folder. That file must not
    outlive the session (at the latest, the next run of the periodic job takes it)."""
    fill(folder)
    meetings.end(meeting.appointment, ana, timezone.now())
    clock.shift(60 * MINUTE)
    storage = services.storage()
    delete = storage.delete
    late = []

    def delete_while_an_upload_finishes(name):
        if not late:
            late.append(add(folder, pdf_bytes(), "zadnji hip.pdf"))
        delete(name)

    monkeypatch.setattr(storage, "delete", delete_while_an_upload_finishes)
    services.purge_due(timezone.now())
    monkeypatch.undo()
    folder.refresh_from_db()
    assert not services.available(folder)  # nobody can reach the late file any more

    clock.shift(5 * MINUTE)  # the periodic job's next run
    tasks.purge_folders.call_local()
    assert stored_files(exchange_storage) == []
    assert not SharedFile.objects.exists()
    assert FileEvent.objects.filter(action=FileEvent.Action.PURGED).count() == 1


def test_an_upload_left_under_way_by_a_dead_process_lapses_with_the_purge(clock, folder):
    from okence.exchange.models import Upload

    Upload.objects.create(
        folder=folder, uploader="192.0.2.7", size=1, until=timezone.now() + MINUTE
    )
    services.purge_due(timezone.now())
    assert Upload.objects.exists()  # still under way
    clock.shift(MINUTE)
    services.purge_due(timezone.now())
    assert not Upload.objects.exists()
