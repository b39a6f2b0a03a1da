"""The meeting chat keeps every message for the meeting's life, and goes when the meeting ends."""

import datetime

import pytest
from django.core.cache import cache

from okence.booking.models import Status
from okence.meetings import chat, services
from okence.meetings.exceptions import ChatFull
from okence.meetings.tests.test_services import START, book

MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def appointment(ana, service):
    return book(ana, service)


def test_every_message_of_a_long_chat_is_kept_past_a_restart(appointment, marko, service):
    """420 messages once kept 231: the chat shared a 300-entry local-memory cache, and a restart
    emptied it."""
    other = book(marko, service)
    chat.add(other.pk, "citizen", "Drug sestanek", START)
    for n in range(420):
        chat.add(appointment.pk, ("citizen", "official")[n % 2], f"sporočilo {n}", START)

    cache.clear()  # what a restart of the embedded default does to the cache

    texts = [message["text"] for message in chat.history(appointment.pk)]
    assert texts == [f"sporočilo {n}" for n in range(420)]
    assert [m["text"] for m in chat.history(other.pk)] == ["Drug sestanek"]


def test_a_message_keeps_what_the_sides_are_shown(appointment):
    sent = chat.add(appointment.pk, "official", "Zamujam.", START, waiting_room=True)

    assert chat.history(appointment.pk) == [sent]
    assert sent | {"id": None} == {
        "id": None,
        "from": "official",
        "text": "Zamujam.",
        "at": "2026-12-07T07:00:00+00:00",
        "waiting_room": True,
        "kind": "text",
    }


def test_a_full_chat_refuses_more_messages(appointment, monkeypatch):
    monkeypatch.setattr(chat, "MAX_MESSAGES", 3)
    for n in range(3):
        chat.add(appointment.pk, "citizen", f"{n}", START)

    with pytest.raises(ChatFull):
        chat.add(appointment.pk, "citizen", "še eno", START)
    assert len(chat.history(appointment.pk)) == 3


def test_chats_of_meetings_closed_without_an_end_are_deleted(ana, service):
    live = book(ana, service)
    unfinished = book(ana, service, START - datetime.timedelta(hours=3))  # closes 2 h after its end
    cancelled = book(ana, service, START + datetime.timedelta(hours=1), status=Status.CANCELLED)
    for appointment in (live, unfinished, cancelled):
        chat.add(appointment.pk, "official", "Dober dan", START - 4 * 60 * MINUTE)

    assert services.forget_closed_chats(START) == 2

    assert len(chat.history(live.pk)) == 1
    assert chat.history(unfinished.pk) == chat.history(cancelled.pk) == []


def test_a_meetings_chat_goes_when_it_closes_and_not_a_minute_before(ana, service, settings):
    """Caught: a chat forgotten while its meeting may still be joined, or kept past its close."""
    appointment = book(ana, service)
    chat.add(appointment.pk, "official", "Dober dan", START)
    closes = appointment.end + settings.MEETING_CLOSES_MINUTES_AFTER_END * MINUTE

    assert services.forget_closed_chats(closes - MINUTE) == 0
    assert len(chat.history(appointment.pk)) == 1
    assert services.forget_closed_chats(closes) == 1
    assert chat.history(appointment.pk) == []
