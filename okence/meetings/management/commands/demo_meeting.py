"""A meeting to try at once: a confirmed appointment with a demo official starting in a few
minutes, and its citizen link. Booking needs two hours' notice, so `make run` makes one of these
to show the waiting room, the console and the call without waiting."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from okence.booking.models import Appointment, Status
from okence.booking.services import absolute_url
from okence.offices.models import Official
from okence.tokens import hash_token, new_token


class Command(BaseCommand):
    help = "Create a confirmed demo appointment starting in a few minutes; print its links."

    def add_arguments(self, parser):
        parser.add_argument("--official", default="ana.novak", help="The official's user name.")
        parser.add_argument("--minutes", type=int, default=5, help="Minutes until it starts.")

    def handle(self, *args, official, minutes, **options):
        official = Official.objects.filter(user__username=official).first()
        if official is None:
            raise CommandError("No such official; run `manage.py load_demo` first.")
        service = official.services.select_related("unit").first()
        now = timezone.now()
        start = (now + datetime.timedelta(minutes=minutes)).replace(second=0, microsecond=0)
        token = new_token()
        # The official may already have a meeting then (an earlier run): try later starts.
        for _ in range(48):
            try:
                with transaction.atomic():
                    Appointment.objects.create(
                        unit=service.unit,
                        service=service,
                        official=official,
                        status=Status.CONFIRMED,
                        start=start,
                        end=start + service.duration,
                        name="Demo Občan",
                        email="demo.obcan@example.si",
                        phone="041 000 000",
                        notes="Demo: poskusni sestanek.",
                        hold_token_hash=hash_token(new_token()),
                        meeting_token_hash=hash_token(token),
                        created_at=now,
                        confirmed_at=now,
                    )
                break
            except IntegrityError:
                start += service.duration
        else:
            raise CommandError("The official has no free time today for a demo meeting.")
        local = timezone.localtime(start)
        self.stdout.write(
            f"Demo meeting with {official} at {local:%H:%M} ({service.name}):\n"
            f"  citizen's link  {absolute_url(reverse('meetings:room', args=[token]))}\n"
            f"  official        {absolute_url(reverse('login'))} as "
            f"{official.user.username} / okence-demo, then the console"
        )
