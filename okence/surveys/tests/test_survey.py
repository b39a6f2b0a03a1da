"""The satisfaction survey: who is invited, the page, its rules, anonymity and the follow-up.

A meeting at 08:00 on Monday 7 December 2026 (Ljubljana) is ended by Ana at 08:25 through the
meetings services, as the console does; the survey app is invited by the ``meeting_ended``
signal once the transaction commits.
"""

import datetime
import re
import threading
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from okence.booking.models import Appointment, Status
from okence.conftest import LJUBLJANA, make_appointment
from okence.meetings import services as meetings
from okence.meetings.models import Room
from okence.offices.models import Official, Service, Unit
from okence.outbox import services as outbox
from okence.outbox.models import Email
from okence.surveys import services
from okence.surveys.models import Answer, Ticket
from okence.tokens import hash_token, new_token

START = datetime.datetime(2026, 12, 7, 8, 0, tzinfo=LJUBLJANA)
ENDED = START + datetime.timedelta(minutes=25)
MINUTE = datetime.timedelta(minutes=1)
NAME, EMAIL, PHONE = "Rajko Lah", "rajko.lah@example.si", "041 123 456"
NOTE = "Potrebujem potrdilo o stalnem prebivališču."
LINK = re.compile(r"https?://[^\s\"<>]+/anketa/[A-Za-z0-9_-]+/")


def book(official, service, *, status=Status.IN_MEETING, language="sl", start=START):
    """An appointment whose citizen holds ``token`` (the meeting link); admitted if in_meeting."""
    appointment, token = make_appointment(
        official,
        service=service,
        start=start,
        status=status,
        name=NAME,
        email=EMAIL,
        phone=PHONE,
        notes=NOTE,
        language=language,
        created_at=start - datetime.timedelta(days=3),
    )
    if status == Status.IN_MEETING:
        Room.objects.create(
            appointment=appointment,
            display_name="Rajko",
            first_knocked_at=start - 3 * MINUTE,
            knocked_at=start - 3 * MINUTE,
            admitted_at=start,
        )
    return appointment, token


def end(appointment, official, capture):
    """The official ends the meeting now; the commit hooks (the survey invitation) run."""
    with capture(execute=True):
        meetings.end(appointment, official, timezone.now())
    appointment.refresh_from_db()


def survey_url(token: str) -> str:
    return reverse("surveys:from_meeting", args=[token])


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path


@pytest.fixture
def ended(clock, ana, service, django_capture_on_commit_callbacks):
    """A meeting that took place and was ended at 08:25; its appointment and meeting token."""
    appointment, token = book(ana, service)
    clock.move_to(ENDED)
    end(appointment, ana, django_capture_on_commit_callbacks)
    return appointment, token


def follow_up_mails(now=None) -> list:
    """Send the due follow-ups and deliver the outbox; the e-mails that left."""
    before = len(mail.outbox)
    services.send_follow_ups(now or timezone.now())
    outbox.deliver_due(timezone.now())
    return mail.outbox[before:]


def in_language(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


# Who is invited.


def test_a_completed_meeting_creates_a_ticket(ended):
    appointment, _ = ended
    assert appointment.status == Status.COMPLETED
    ticket = Ticket.objects.get(appointment=appointment)
    assert ticket.created_at == ENDED
    assert ticket.expires_at == ENDED + datetime.timedelta(days=14)
    assert ticket.answered_at is None and ticket.follow_up_sent_at is None
    assert ticket.token_hash is None  # the e-mail token exists only once the e-mail is sent


def test_a_no_show_gets_no_ticket_and_no_page(
    clock, client, ana, service, django_capture_on_commit_callbacks
):
    appointment, token = book(ana, service, status=Status.CONFIRMED)
    clock.move_to(ENDED)
    end(appointment, ana, django_capture_on_commit_callbacks)
    assert appointment.status == Status.NO_SHOW
    assert not Ticket.objects.exists()
    assert client.get(survey_url(token)).status_code == 404


def test_inviting_twice_keeps_one_ticket(ended):
    appointment, _ = ended
    first = Ticket.objects.get()
    assert services.invite(appointment) == first
    assert Ticket.objects.count() == 1


def test_an_unknown_token_is_not_found(client, ended):
    assert client.get(survey_url(new_token())).status_code == 404
    assert client.get(reverse("surveys:answer", args=[new_token()])).status_code == 404
    assert client.get(reverse("surveys:thanks", args=[new_token()])).status_code == 404


# The page and its rules.


def test_answering_from_the_meeting_page(client, ended, ana, service):
    appointment, token = ended
    page = client.get(survey_url(token))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="rating"' in html and 'name="comment"' in html
    assert html.count('type="radio"') == 5
    assert service.name in html

    response = client.post(survey_url(token), {"rating": "4", "comment": "  Hitro in prijazno. "})

    assert response.status_code == 302
    assert response["Location"] == survey_url(token) + "hvala/"
    assert client.get(response["Location"]).status_code == 200
    answer = Answer.objects.get()
    assert (answer.unit, answer.service, answer.official) == (service.unit, service, ana)
    assert answer.meeting_day == datetime.date(2026, 12, 7)
    assert (answer.rating, answer.comment) == (4, "Hitro in prijazno.")
    assert Ticket.objects.get().answered_at == ENDED


def test_the_rating_is_required_and_the_comment_typed_stays(client, ended):
    _, token = ended
    comment = "Slika se je občasno zatikala, sicer vse v redu."

    response = client.post(survey_url(token), {"comment": comment})

    assert response.status_code == 200
    html = response.content.decode()
    assert in_language("sl", "Please choose a rating from 1 to 5.") in html
    assert 'role="alert"' in html and 'aria-describedby="rating-error"' in html
    assert f">\n{comment}</textarea>" in html  # nothing typed is lost
    assert not Answer.objects.exists()
    assert Ticket.objects.get().answered_at is None


@pytest.mark.parametrize("rating", ["0", "6", "pet", "4.5"])
def test_a_rating_outside_1_to_5_is_refused(client, ended, rating):
    _, token = ended
    response = client.post(survey_url(token), {"rating": rating})
    assert response.status_code == 200
    assert 'id="rating-error"' in response.content.decode()
    assert not Answer.objects.exists()


def test_a_comment_over_2000_characters_is_refused(client, ended):
    _, token = ended
    too_long = "a" * 2001

    response = client.post(survey_url(token), {"rating": "5", "comment": too_long})

    assert response.status_code == 200
    assert "2000" in response.content.decode().replace(".", "").replace(",", "")
    assert not Answer.objects.exists()
    assert Ticket.objects.get().answered_at is None

    response = client.post(survey_url(token), {"rating": "5", "comment": "b" * 2000})
    assert response.status_code == 302
    assert len(Answer.objects.get().comment) == 2000


def test_one_answer_per_appointment(client, ended):
    _, token = ended
    assert client.post(survey_url(token), {"rating": "5"}).status_code == 302

    again = client.post(survey_url(token), {"rating": "1", "comment": "Še enkrat."})

    assert again.status_code == 409
    assert in_language("sl", "This survey has already been answered. Thank you!") in (
        again.content.decode()
    )
    assert 'name="rating"' not in again.content.decode()
    assert Answer.objects.count() == 1
    assert Answer.objects.get().rating == 5
    page = client.get(survey_url(token))
    assert page.status_code == 200 and 'name="rating"' not in page.content.decode()


def test_the_service_refuses_a_second_answer(ended):
    appointment, _ = ended
    ticket = Ticket.objects.get()
    services.answer(ticket, 3, "", timezone.now())
    with pytest.raises(services.SurveyClosed) as closed:
        services.answer(ticket, 4, "", timezone.now())
    assert closed.value.reason == "answered"
    assert Answer.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_answers_at_the_same_moment_make_exactly_one(ended):
    """Two tabs send the form together: each request on its own connection, released at once."""
    _, token = ended
    barrier = threading.Barrier(2)
    statuses: list[object] = [None, None]

    def post(i: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            statuses[i] = (
                Client().post(survey_url(token), {"rating": str(i + 4), "comment": f"nit {i}"})
            ).status_code
        except BaseException as error:  # every outcome is reported
            statuses[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses, key=str) == [302, 409], statuses
    assert Answer.objects.count() == 1


# Expiry.


def test_the_survey_is_open_until_just_before_14_days(client, clock, ended):
    _, token = ended
    clock.shift(datetime.timedelta(days=13, hours=23))
    page = client.get(survey_url(token))
    assert page.status_code == 200 and 'name="rating"' in page.content.decode()
    assert client.post(survey_url(token), {"rating": "5"}).status_code == 302
    assert Answer.objects.count() == 1


def test_the_survey_closes_after_14_days(client, clock, ended):
    _, token = ended
    clock.shift(datetime.timedelta(days=14))
    page = client.get(survey_url(token))
    closed = in_language(
        "sl", "This survey is closed: answers are accepted for 14 days after the meeting."
    )
    assert page.status_code == 200
    assert closed in page.content.decode() and 'name="rating"' not in page.content.decode()

    response = client.post(survey_url(token), {"rating": "5"})

    assert response.status_code == 409
    assert closed in response.content.decode()
    assert not Answer.objects.exists()
    assert follow_up_mails() == []  # nor is the reminder sent for a closed survey


# No identity kept.


def test_the_answer_keeps_no_identity(client, ended):
    appointment, token = ended
    client.post(survey_url(token), {"rating": "2", "comment": "Predolgo čakanje."})

    fields = {field.name for field in Answer._meta.concrete_fields}
    assert fields == {"id", "unit", "service", "official", "meeting_day", "rating", "comment"}
    related = {field.related_model for field in Answer._meta.concrete_fields if field.is_relation}
    assert related == {Unit, Service, Official}
    assert not any(
        field.is_relation and field.related_model is Answer
        for model in (Appointment, Ticket)
        for field in model._meta.get_fields()
    )
    stored = str(Answer.objects.values().get())
    for personal in (NAME, "Rajko", "Lah", EMAIL, PHONE, NOTE, str(appointment.public_id), token):
        assert personal not in stored, personal


# The follow-up e-mail.


def test_no_follow_up_before_30_minutes(clock, ended):
    clock.shift(29 * MINUTE + 59 * datetime.timedelta(seconds=1))
    assert services.send_follow_ups(timezone.now()) == 0
    assert follow_up_mails() == []
    assert not Email.objects.exists()
    assert Ticket.objects.get().follow_up_sent_at is None


def test_the_follow_up_is_sent_once_and_its_link_works(clock, ended, ana, service):
    appointment, _ = ended
    clock.shift(30 * MINUTE)

    sent = follow_up_mails()

    assert len(sent) == 1
    message = sent[0]
    assert message.to == [EMAIL]
    assert message.subject == in_language("sl", "How was your meeting at the virtual counter?")
    links = LINK.findall(message.body)
    assert len(links) == 1
    url = links[0]
    assert url in message.alternatives[0].content
    ticket = Ticket.objects.get()
    assert ticket.follow_up_sent_at == timezone.now()
    assert ticket.token_hash == hash_token(local_path(url).rstrip("/").rsplit("/", 1)[1])

    client = Client()
    page = client.get(local_path(url))
    assert page.status_code == 200 and 'name="rating"' in page.content.decode()
    response = client.post(local_path(url), {"rating": "5", "comment": "Odlično."})
    assert response.status_code == 302
    assert response["Location"] == local_path(url) + "hvala/"
    assert client.get(response["Location"]).status_code == 200
    answer = Answer.objects.get()
    assert (answer.unit, answer.service, answer.official, answer.rating) == (
        service.unit,
        service,
        ana,
        5,
    )

    clock.shift(30 * MINUTE)
    assert follow_up_mails() == []  # sent once
    assert Email.objects.count() == 1


def test_the_follow_up_is_not_sent_twice_even_unanswered(clock, ended):
    clock.shift(30 * MINUTE)
    assert len(follow_up_mails()) == 1
    for _ in range(3):
        clock.shift(10 * MINUTE)
        assert services.send_follow_ups(timezone.now()) == 0
    assert follow_up_mails() == []
    assert Email.objects.count() == 1


def test_no_follow_up_when_already_answered(client, clock, ended):
    _, token = ended
    client.post(survey_url(token), {"rating": "4"})
    clock.shift(30 * MINUTE)
    assert services.send_follow_ups(timezone.now()) == 0
    assert follow_up_mails() == []
    assert not Email.objects.exists()


def test_no_follow_up_when_answered_while_the_job_runs(clock, ended, monkeypatch):
    """The citizen answers on the meeting page just after the job listed the due tickets."""
    clock.shift(30 * MINUTE)
    ticket = Ticket.objects.get()
    real_token = services.new_token

    def answer_first() -> str:
        services.answer(ticket, 5, "", timezone.now())
        return real_token()

    monkeypatch.setattr(services, "new_token", answer_first)
    assert services.send_follow_ups(timezone.now()) == 0
    assert not Email.objects.exists()
    assert Ticket.objects.get().follow_up_sent_at is None


def test_a_ticket_answered_while_the_job_runs_does_not_stop_the_others(
    clock, ended, ana, service, monkeypatch
):
    """Caught: giving up on the whole run at the first ticket claimed elsewhere, or a wrong count
    of follow-ups sent."""
    for hours in (2, 3):  # two earlier meetings of the morning, completed too
        appointment, _ = book(
            ana, service, status=Status.COMPLETED, start=START - hours * 60 * MINUTE
        )
        services.invite(appointment, timezone.now())
    clock.shift(30 * MINUTE)
    first, *others = Ticket.objects.order_by("pk")
    real_token = services.new_token

    def answer_the_first_before_its_claim() -> str:
        if Ticket.objects.get(pk=first.pk).answered_at is None:
            services.answer(first, 4, "", timezone.now())
        return real_token()

    monkeypatch.setattr(services, "new_token", answer_the_first_before_its_claim)
    assert services.send_follow_ups(timezone.now()) == 2
    assert Ticket.objects.get(pk=first.pk).follow_up_sent_at is None
    assert [Ticket.objects.get(pk=t.pk).follow_up_sent_at for t in others] == [timezone.now()] * 2
    assert Email.objects.count() == 2


def test_no_follow_up_for_a_no_show(clock, ana, service, django_capture_on_commit_callbacks):
    appointment, _ = book(ana, service, status=Status.CONFIRMED)
    clock.move_to(ENDED)
    end(appointment, ana, django_capture_on_commit_callbacks)
    clock.shift(2 * 30 * MINUTE)
    assert services.send_follow_ups(timezone.now()) == 0
    assert follow_up_mails() == []


@pytest.mark.parametrize(
    ("language", "greeting", "prefix"),
    [("sl", "Spoštovani Rajko Lah,", "/anketa/"), ("en", "Dear Rajko Lah,", "/en/anketa/")],
)
def test_the_follow_up_is_in_the_citizens_language(
    clock, ana, service, django_capture_on_commit_callbacks, language, greeting, prefix
):
    appointment, _ = book(ana, service, language=language)
    clock.move_to(ENDED)
    end(appointment, ana, django_capture_on_commit_callbacks)
    clock.shift(30 * MINUTE)
    translation.activate("en" if language == "sl" else "sl")  # whatever the worker's language

    (message,) = follow_up_mails()

    assert message.subject == in_language(language, "How was your meeting at the virtual counter?")
    assert message.body.startswith(greeting)
    assert f'lang="{language}"' in message.alternatives[0].content
    url = LINK.search(message.body).group(0)
    assert local_path(url).startswith(prefix)
    page = Client().get(local_path(url))
    assert page.status_code == 200
    assert f'<html lang="{language}">' in page.content.decode()


def test_old_comments_go_by_the_time_given_and_only_blanked_ones_count(clock, ana, settings):
    """Caught: the job reading the clock instead of the time it is given, or counting answers
    that had no comment to forget."""
    settings.SURVEY_KEEP_COMMENTS_DAYS = 30
    today = timezone.localdate()
    for comment in ("Rajko Lah, hvala.", ""):
        Answer.objects.create(unit=ana.units.first(), meeting_day=today, rating=3, comment=comment)
    assert services.forget_old_comments(timezone.now()) == 0
    assert services.forget_old_comments(timezone.now() + 31 * 24 * 60 * MINUTE) == 1
    assert list(Answer.objects.values_list("comment", "rating")) == [("", 3), ("", 3)]
