"""Two uploads at once into a folder with room for only one of them: the early check lets both
through, and only the check again under the folder's lock keeps the second one out.

The uploads run on two threads, each with its own database connection (over HTTP the in-process
server runs both uploads' database work one after the other on one thread, and the race never
happens). The bugs caught: dropping the check under the lock (both files enter; on SQLite and
PostgreSQL), and dropping the lock itself (both uploads check an empty folder at once and both
enter; on PostgreSQL, in the PostgreSQL leg of .ci/run, as SQLite's IMMEDIATE transaction is a
lock of its own).
"""

import contextlib
import threading

import pytest
from django.db import connection, transaction
from django.utils import translation

from okence.exchange import services
from okence.exchange.checks import Refused
from okence.exchange.models import FileEvent, SharedFile
from okence.exchange.tests.conftest import add, png_of_about, stored_files

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 30  # seconds: only a broken test ever waits this long
OVERLAP = 2  # seconds the first upload under the lock waits for the second (a loaded machine)


def test_two_uploads_that_fit_only_one_at_a_time_cannot_both_enter(
    clock, meeting, folder, settings, exchange_storage, monkeypatch
):
    settings.EXCHANGE_MAX_FILE_BYTES = 2**20
    settings.EXCHANGE_MAX_FOLDER_BYTES = 2**20
    both_checked_early = threading.Barrier(2)
    both_under_the_lock = threading.Barrier(2)
    storage, check_room_for = services.storage(), services.check_room_for

    class StorageWhereBothMeet:
        """Both uploads have passed the early check (the folder is still empty) and stored
        their file before either goes on to the folder's lock."""

        def save(self, name, content):
            stored_name = storage.save(name, content)
            both_checked_early.wait(timeout=WAIT)
            return stored_name

        def delete(self, name):
            storage.delete(name)

    def check_room_for_with_a_chance_to_overlap(locked, size):
        if connection.in_atomic_block:
            # Under the lock the other upload cannot get here until this one commits; without
            # the lock both meet here and check an empty folder at the same time.
            with contextlib.suppress(threading.BrokenBarrierError):
                both_under_the_lock.wait(timeout=OVERLAP)
        return check_room_for(locked, size)

    monkeypatch.setattr(services, "storage", StorageWhereBothMeet)
    monkeypatch.setattr(services, "check_room_for", check_room_for_with_a_chance_to_overlap)
    parts = [png_of_about(600_000), png_of_about(600_000)]
    outcomes = [None, None]

    def upload(index):
        try:
            with translation.override("en"):
                outcomes[index] = add(folder, parts[index], f"slika {index}.png")
        except Refused as refusal:
            outcomes[index] = refusal
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT)
    assert not any(thread.is_alive() for thread in threads)

    refusals = [outcome for outcome in outcomes if isinstance(outcome, Refused)]
    assert len(refusals) == 1, outcomes
    assert refusals[0].detail == "folder full"
    assert str(refusals[0]) == "There is not enough room left in the folder (at most 1 MB)."
    kept = SharedFile.objects.get()
    assert stored_files(exchange_storage) == [kept.stored_name]
    assert FileEvent.objects.filter(action=FileEvent.Action.UPLOADED).count() == 1
    assert FileEvent.objects.get(action=FileEvent.Action.REFUSED).detail == "folder full"


def test_the_check_under_the_lock_is_inside_the_transaction(meeting, folder, monkeypatch):
    """The test above tells the two checks apart by the transaction; keep that true."""
    seen = []
    check_room_for = services.check_room_for

    def record(locked, size):
        seen.append(connection.in_atomic_block)
        return check_room_for(locked, size)

    monkeypatch.setattr(services, "check_room_for", record)
    add(folder, png_of_about(1000), "slika.png")
    assert seen == [False, True]
    assert not transaction.get_connection().in_atomic_block
