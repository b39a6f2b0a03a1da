"""`manage.py demo_meeting`: a meeting to try at once, with a working citizen link."""

import io
import re

import pytest
from django.core.management import call_command

from okence.booking.models import Appointment, Status


@pytest.mark.django_db
def test_it_makes_meetings_that_open_soon_and_never_overlap(client):
    call_command("load_demo", stdout=io.StringIO())
    links = []
    for _ in range(2):
        out = io.StringIO()
        call_command("demo_meeting", stdout=out)
        links.append(re.search(r"http://[^/]+(/sestanek/[^/]+/)", out.getvalue()).group(1))
    first, second = Appointment.objects.filter(email="demo.obcan@example.si").order_by("start")
    assert first.status == second.status == Status.CONFIRMED
    assert first.end <= second.start
    page = client.get(links[0])
    assert page.status_code == 200 and b'data-state="loading"' in page.content
