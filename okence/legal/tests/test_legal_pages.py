"""The accessibility statement's feedback form over HTTP, and the privacy notice that shows the
retention the code applies."""

import datetime

import pytest
from django.utils import timezone

from okence.legal import services
from okence.legal.models import AccessibilityFeedback
from okence.outbox.models import Email

REPORT = {
    "name": "Rajko Lah",
    "email": "rajko@example.si",
    "page": "/domzale/",
    "message": "The calendar cannot be used with a screen reader.",
}


@pytest.fixture
def contacts(settings):
    settings.ORGANISATION_NAME = "Upravna enota Piran"
    settings.ACCESSIBILITY_CONTACT_EMAIL = "dostopnost@example.si"
    settings.DPO_EMAIL = "dpo@example.si"
    settings.LEGAL_FEEDBACK_PER_ADDRESS_PER_HOUR = 2
    return settings


@pytest.mark.django_db
def test_a_report_is_stored_and_e_mailed_to_the_accessibility_contact(client, clock, contacts):
    response = client.post("/en/dostopnost/", REPORT)
    assert response.status_code == 302
    assert response["Location"] == "/en/dostopnost/hvala/"
    feedback = AccessibilityFeedback.objects.get()
    assert (feedback.email, feedback.message, feedback.language) == (
        "rajko@example.si",
        REPORT["message"],
        "en",
    )
    email = Email.objects.get()
    assert email.to == ["dostopnost@example.si"]
    assert email.reply_to == "rajko@example.si"
    assert REPORT["message"] in email.body_text
    assert "Upravna enota Piran" in client.get(response["Location"]).text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": ""}, "Please enter your e-mail address, so that we can answer."),
        ({"email": "rajko@"}, "Please enter a valid e-mail address"),
        ({"message": ""}, "Please describe the problem."),
        ({"message": "x" * 5001}, "Ensure this value has at most 5000 characters"),
    ],
)
def test_bad_input_gets_a_clear_message_and_keeps_what_was_entered(client, clock, change, message):
    response = client.post("/en/dostopnost/", REPORT | change)
    assert response.status_code == 400
    assert message in response.text
    assert 'value="Rajko Lah"' in response.text  # nothing entered is lost
    assert not AccessibilityFeedback.objects.exists()
    assert not Email.objects.exists()


@pytest.mark.django_db
def test_reports_are_limited_per_address_and_the_refused_one_is_kept_in_the_form(
    client, clock, contacts
):
    for _ in range(2):
        assert client.post("/en/dostopnost/", REPORT).status_code == 302
    refused = client.post("/en/dostopnost/", REPORT | {"message": "Third report."})
    assert refused.status_code == 429
    assert "You have sent several reports in the last hour" in refused.text
    assert "Third report." in refused.text
    assert AccessibilityFeedback.objects.count() == 2
    clock.shift(datetime.timedelta(hours=1))
    assert client.post("/en/dostopnost/", REPORT).status_code == 302


@pytest.mark.django_db
def test_reports_are_forgotten_after_the_kept_days(clock, settings):
    settings.LEGAL_KEEP_FEEDBACK_DAYS = 365
    AccessibilityFeedback.objects.create(**REPORT, language="sl", created_at=timezone.now())
    clock.shift(datetime.timedelta(days=365, minutes=-1))
    assert services.forget_old_feedback(timezone.now()) == 0
    clock.shift(datetime.timedelta(minutes=1))
    assert services.forget_old_feedback(timezone.now()) == 1


@pytest.mark.django_db
def test_the_privacy_notice_shows_the_periods_the_code_applies(client, contacts):
    contacts.BOOKING_KEEP_PERSONAL_DAYS = 30
    contacts.OUTBOX_KEEP_SENT_HOURS = 36
    contacts.EXCHANGE_GRACE_MINUTES = 90
    text = client.get("/en/zasebnost/").text
    assert "30 days after the meeting&#x27;s end" in text
    assert "then 36 hours" in text
    assert "Exchanged files: 90 minutes after" in text
    assert "Staff sign-in sessions: until they expire, 14 days after signing in" in text
    assert "%(" not in text and "_DAYS" not in text
    assert 'href="mailto:dpo@example.si"' in text


@pytest.mark.django_db
def test_the_privacy_notice_counts_in_the_language_s_plural_forms(client, settings):
    settings.BOOKING_KEEP_PERSONAL_DAYS = 2
    assert "2 dneva po koncu" in client.get("/zasebnost/").text


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "/en"])
def test_every_page_s_footer_links_the_legal_pages(client, unit, prefix):
    text = client.get(f"{prefix}/").text
    assert f'href="{prefix}/dostopnost/"' in text
    assert f'href="{prefix}/zasebnost/"' in text


@pytest.mark.django_db
def test_the_statement_follows_the_model_and_names_the_contact(client, contacts):
    text = client.get("/en/dostopnost/").text
    for heading in (
        "Compliance status",
        "Content that is not accessible",
        "Preparation of this statement",
        "Feedback and contact details",
        "Enforcement procedure",
    ):
        assert f"<h2>{heading}</h2>" in text
    assert "partially compliant" in text and "EN 301 549" in text
    assert "dostopnost@example.si" in text
    assert "Dec. 1, 2026" in text  # ACCESSIBILITY_STATEMENT_DATE in the language's format
