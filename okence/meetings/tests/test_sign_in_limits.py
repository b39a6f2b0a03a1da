"""Guessing staff passwords: one limit over every form that checks one, counted before the check.

Ana's password is "x" (see ``make_official``); the guesser works from 203.0.113.7, Ana's office
is 198.51.100.9.
"""

import datetime
import threading

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import connection
from django.test import Client

GUESSER = "203.0.113.7"
OFFICE = "198.51.100.9"
SIGN_IN_FORMS = ["/prijava/", "/en/prijava/", "/admin/login/", "/en/admin/login/"]


def sign_in(client, url, username, password, address=GUESSER):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(response) -> bool:
    return response.wsgi_request.user.is_authenticated


@pytest.mark.django_db
@pytest.mark.parametrize("url", SIGN_IN_FORMS)
def test_every_sign_in_form_stops_checking_after_ten_wrong_passwords(client, clock, ana, url):
    for _ in range(10):
        assert not signed_in(sign_in(client, url, "ana", "wrong"))

    refused = sign_in(client, url, "ana", "x")  # the right password

    assert not signed_in(refused)
    assert "_auth_user_id" not in client.session
    wait = "Too many unsuccessful sign-ins" if "/en/" in url else "Preveč neuspešnih prijav"
    assert wait in refused.content.decode()


@pytest.mark.django_db
def test_the_sign_in_forms_share_one_count(client, clock, ana):
    for url in SIGN_IN_FORMS:  # 4 + 4 + 2 wrong passwords over the four forms
        for _ in range(4 if url != SIGN_IN_FORMS[-1] else 2):
            sign_in(client, url, "ana", "wrong")

    refused = sign_in(client, "/admin/login/", "ana", "x")

    assert not signed_in(refused)
    assert client.get("/admin/").status_code == 302  # still sent to sign in


@pytest.mark.django_db
def test_the_official_signs_in_from_an_address_that_did_not_guess(client, clock, ana):
    for url in ("/prijava/", "/admin/login/"):
        for _ in range(12):
            sign_in(client, url, "ana", "wrong")

    office = Client()
    response = sign_in(office, "/prijava/", "ana", "x", address=OFFICE)

    assert response.status_code == 302
    assert office.get("/uradnik/").status_code == 200


@pytest.mark.django_db
def test_one_address_cannot_spray_guesses_over_many_accounts(client, clock, ana, marko):
    for n in range(30):  # three guesses each at ten made-up accounts: under each account's limit
        sign_in(client, "/prijava/", f"official{n // 3}", "wrong")

    refused = sign_in(client, "/prijava/", "marko", "x")

    assert refused.status_code == 429
    assert not signed_in(refused)


@pytest.mark.django_db
def test_guesses_from_one_ipv6_block_count_together(client, clock, ana):
    for n in range(10):
        sign_in(client, "/prijava/", "ana", "wrong", address=f"2001:db8:1:2::{n + 1:x}")

    refused = sign_in(client, "/prijava/", "ana", "x", address="2001:db8:1:2:ffff::1")

    assert refused.status_code == 429


@pytest.mark.django_db
def test_a_right_password_does_not_count_as_a_guess(client, clock, ana):
    for _ in range(9):
        sign_in(client, "/prijava/", "ana", "wrong")
    for _ in range(5):
        assert signed_in(sign_in(Client(), "/prijava/", "ana", "x"))

    assert sign_in(client, "/prijava/", "ana", "wrong").status_code == 200  # the tenth guess
    assert sign_in(client, "/prijava/", "ana", "x").status_code == 429


@pytest.mark.django_db
def test_the_limit_lifts_after_a_quarter_of_an_hour(client, clock, ana):
    for _ in range(10):
        sign_in(client, "/prijava/", "ana", "wrong")
    assert sign_in(client, "/prijava/", "ana", "x").status_code == 429

    clock.shift(datetime.timedelta(minutes=15))

    assert sign_in(client, "/prijava/", "ana", "x").status_code == 302


@pytest.mark.django_db
def test_the_limit_outlives_a_cleared_cache(client, clock, ana):
    from django.core.cache import cache

    for _ in range(10):
        sign_in(client, "/prijava/", "ana", "wrong")

    cache.clear()  # a restart of the embedded default, or Redis evicting keys

    assert sign_in(client, "/prijava/", "ana", "x").status_code == 429


@pytest.mark.django_db(transaction=True)
def test_sixty_guesses_sent_at_once_check_no_more_than_ten_passwords(monkeypatch, ana):
    """Each password check waits until every request has either reached a check or been
    refused, so a limit read before the check and counted after it lets them all through."""
    n = 60
    state = threading.Condition()
    checked, statuses = [], []
    verify = MD5PasswordHasher.verify

    def decided() -> int:  # a refused (or failed) request never reaches a check
        return len(checked) + sum(status != 200 for status in statuses)

    def waiting_verify(self, password, encoded):
        with state:
            checked.append(password)
            state.notify_all()
            state.wait_for(lambda: decided() >= n, timeout=30)
        return verify(self, password, encoded)

    monkeypatch.setattr(MD5PasswordHasher, "verify", waiting_verify)
    barrier = threading.Barrier(n)

    def guess() -> None:
        status = None
        try:
            client = Client()
            connection.ensure_connection()
            barrier.wait(timeout=30)
            status = sign_in(client, "/prijava/", "ana", "wrong").status_code
        finally:
            connection.close()
            with state:
                statuses.append(status)
                state.notify_all()

    threads = [threading.Thread(target=guess) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not any(thread.is_alive() for thread in threads)
    assert len(checked) == 10
    assert statuses.count(200) == 10
    assert statuses.count(429) == n - 10
