"""Locust users for bench/booking_rush.py: citizens who browse to a free time and book it.

Not run on its own by ``make bench`` (it lives below bench/, which the Makefile does not glob);
bench/booking_rush.py starts locust with it and the environment below. ``CalendarBrowser`` only
browses calendars (steps 3 and 4; ``--browse-only``). Each ``Citizen`` walks the whole
journey as a browser would, with its own cookies, no pause between steps and no pause between
journeys (a closed loop of ``-u`` clients):

1. the unit list, 2. a unit's services, 3. a calendar month, 4. a day's free times,
5. the details form (which sets the CSRF cookie), 6. the hold (the form posted with its
``csrfmiddlewaretoken`` and the cookie), 7. the code page, 8. the code e-mail, read from the
folder the benchmark's SMTP sink writes, 9. the code posted, 10. the booked page.

Someone else may take the chosen time between steps 4 and 6; the page then says so (409) and the
journey ends there: that is a "hold (time taken)" sample, not a failure. Everything else that is
not the expected status is a failure. Environment:

- ``RUSH_PATHS``: JSON list of [unit slug, service slug] to choose from.
- ``RUSH_MAIL_DIR``: where the sink writes ``<address>.code`` for each code e-mail.
- ``RUSH_RUN``: a tag in the citizens' addresses, so that runs never share an address.
- ``RUSH_MAIL_TIMEOUT``: seconds a user waits for its code e-mail (20).
"""

import itertools
import json
import os
import random
import re
import time
from html import unescape
from pathlib import Path
from urllib.parse import unquote, urljoin

import gevent
from locust import FastHttpUser, constant, events, task

PATHS = json.loads(os.environ.get("RUSH_PATHS", "[]"))
MAIL_DIR = Path(os.environ.get("RUSH_MAIL_DIR", "."))
RUN = os.environ.get("RUSH_RUN", "run")
MAIL_TIMEOUT = float(os.environ.get("RUSH_MAIL_TIMEOUT", "20"))
CITIZENS = itertools.count(1)

FREE_DAY = re.compile(r'class="day free" href="\?month=([\d-]+)&amp;date=([\d-]+)#times"')
NEXT_MONTH = re.compile(r'href="\?month=([\d-]+)" aria-label="[^"]*">[^<]*›')
FREE_TIME = re.compile(r'class="time" href="[^"?]*\?start=([^"]+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser(FastHttpUser):
    """What both kinds of user do: fetch pages, say what failed. No task of its own."""

    abstract = True
    wait_time = constant(0)

    def referer(self, url: str) -> dict:
        """As a browser sends with a form: over HTTPS Django's CSRF check wants the page the
        form came from, on this site."""
        return {"Referer": urljoin(self.host, url)}

    def page(self, url: str, name: str) -> str:
        """The page's HTML; a failure unless it answers 200."""
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"answered {response.status_code}")
                return ""
            return response.text or ""

    def fail(self, name: str, why: str, started: float | None = None) -> None:
        events.request.fire(
            request_type="CHECK",
            name=name,
            response_time=(time.perf_counter() - started) * 1000 if started else 0,
            response_length=0,
            exception=RuntimeError(why),
            context={},
        )


class Citizen(Browser):
    """The whole journey, booking at the end."""

    @task
    def book(self):
        unit, service = random.choice(PATHS)
        calendar = f"/{unit}/{service}/"
        self.page("/", "1 units")
        self.page(f"/{unit}/", "2 services")
        month = self.page(calendar, "3 calendar month")
        days = FREE_DAY.findall(month)
        if not days and (later := NEXT_MONTH.search(month)):
            days = FREE_DAY.findall(self.page(f"{calendar}?month={later[1]}", "3 calendar month"))
        if not days:
            return  # nothing free in the bookable window: a citizen goes away
        month_value, day = random.choice(days)
        times = FREE_TIME.findall(self.page(f"{calendar}?month={month_value}&date={day}", "4 day"))
        if not times:
            return
        start = unescape(random.choice(times))
        details_url = f"{calendar}podatki/"
        form = self.page(f"{details_url}?start={start}", "5 details form")
        csrf = CSRF.search(form)
        if csrf is None:
            return self.fail("5 details form", "no csrfmiddlewaretoken in the form")
        email = f"citizen-{RUN}-{os.getpid()}-{next(CITIZENS)}@rush.example.si"
        with self.client.post(
            details_url,
            data={
                "csrfmiddlewaretoken": csrf[1],
                "start": unquote(start),
                "name": "Rush Citizen",
                "email": email,
                "phone": "041 123 456",
                "notes": "",
                "privacy": "on",
                "replaces": "",
            },
            name="6 hold",
            headers=self.referer(details_url),
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 409:
                response.request_meta["name"] = "6 hold (time taken)"
                response.success()
                return
            if response.status_code != 303:
                response.failure(f"hold answered {response.status_code}, not 303")
                return
            verify_url = response.headers["Location"]
        code_page = self.page(verify_url, "7 code page")
        csrf = CSRF.search(code_page)
        code = self.code_for(email)
        if csrf is None or code is None:
            return
        with self.client.post(
            verify_url,
            data={"csrfmiddlewaretoken": csrf[1], "code": code, "action": "confirm"},
            name="9 confirm",
            headers=self.referer(verify_url),
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 303:
                response.failure(f"confirm answered {response.status_code}, not 303")
                return
            done_url = response.headers["Location"]
        self.page(done_url, "10 booked")

    def code_for(self, email: str) -> str | None:
        """The code from the e-mail, waited for (bounded) as a sample of its own."""
        started = time.perf_counter()
        path = MAIL_DIR / f"{email}.code"
        deadline = started + MAIL_TIMEOUT
        while not path.exists():
            if time.perf_counter() > deadline:
                self.fail("8 code e-mail", f"no e-mail within {MAIL_TIMEOUT:g} s", started)
                return None
            gevent.sleep(0.02)
        events.request.fire(
            request_type="MAIL",
            name="8 code e-mail",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=None,
            context={},
        )
        return path.read_text().strip()


class CalendarBrowser(Browser):
    """Only the calendar: a month, then one of its free days (steps 3 and 4), again and again.
    What the calendar alone can serve, without the booking's writes (``--browse-only``)."""

    @task
    def browse(self):
        unit, service = random.choice(PATHS)
        calendar = f"/{unit}/{service}/"
        days = FREE_DAY.findall(self.page(calendar, "3 calendar month"))
        if days:
            month_value, day = random.choice(days)
            self.page(f"{calendar}?month={month_value}&date={day}", "4 day")
