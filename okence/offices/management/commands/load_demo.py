"""Load the pilot's demo data: Domžale and Ljutomer, their four services, officials and hours.

Idempotent: every object is keyed on a slug or username, so running the command again only
brings the data back to the state described here. Passwords are set only when a user is created,
so a password changed since is left alone.
"""

import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from okence.offices.models import Official, Service, Unit, Weekday, WorkingHours

DEMO_PASSWORD = "okence-demo"  # noqa: S105 - demo data, documented
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "okence-admin"  # noqa: S105 - demo data, documented

UNITS = [
    {
        "slug": "domzale",
        "name": "Upravna enota Domžale",
        "email": "ue.domzale@example.si",
        "address": "Ljubljanska cesta 69, 1230 Domžale",
        "officials": [
            ("ana.novak", "Ana", "Novak"),
            ("marko.kovac", "Marko", "Kovač"),
            ("petra.zupan", "Petra", "Zupan"),
        ],
    },
    {
        "slug": "ljutomer",
        "name": "Upravna enota Ljutomer",
        "email": "ue.ljutomer@example.si",
        "address": "Vrazova ulica 1, 9240 Ljutomer",
        "officials": [
            ("janez.horvat", "Janez", "Horvat"),
            ("maja.krajnc", "Maja", "Krajnc"),
            ("luka.vidmar", "Luka", "Vidmar"),
        ],
    },
]

SERVICES = [
    {
        "slug": "splosne-informacije",
        "name": "Pridobivanje splošnih informacij",
        "duration_minutes": 30,
        "description": (
            "Splošne informacije o postopkih, ki jih vodi upravna enota: kaj potrebujete, "
            "koliko časa postopek traja in kakšne so takse."
        ),
        "preparation": (
            "Pripravite vprašanja, ki jih želite zastaviti, in po potrebi dokumente, "
            "na katere se vprašanja nanašajo."
        ),
    },
    {
        "slug": "potrdila",
        "name": "Pridobivanje potrdil iz uradnih evidenc",
        "duration_minutes": 30,
        "description": (
            "Izdaja potrdil o dejstvih iz uradnih evidenc, ki jih vodi upravna enota, "
            "na primer potrdila o stalnem prebivališču."
        ),
        "preparation": (
            "Imejte pri roki osebni dokument in podatke o tem, katero potrdilo potrebujete "
            "in za kakšen namen."
        ),
    },
    {
        "slug": "poizvedba",
        "name": "Poizvedba glede specifičnega postopka",
        "duration_minutes": 30,
        "description": (
            "Informacije o stanju postopka, ki ga upravna enota vodi za vas, "
            "in o nadaljnjih korakih."
        ),
        "preparation": (
            "Pripravite številko zadeve (če jo imate) in dopise, ki ste jih v postopku "
            "že prejeli ali poslali."
        ),
    },
    {
        "slug": "smrtovnica",
        "name": "Sestava smrtovnice",
        # Compiling a death notice means going through the deceased's family and property
        # with the relative, item by item, so it needs more time than the other services.
        "duration_minutes": 45,
        "description": (
            "Sestava smrtovnice za zapuščinski postopek: skupaj z uradnikom zberete podatke "
            "o pokojniku, njegovih dedičih in premoženju."
        ),
        "preparation": (
            "Pripravite podatke o pokojniku, njegovih sorodnikih (imena, naslovi, datumi "
            "rojstva) in premoženju, na primer nepremičninah, vozilih in bančnih računih."
        ),
    },
]

MORNING = (datetime.time(8, 0), datetime.time(12, 0))
# The first official of each unit also keeps the Wednesday afternoon uradne ure.
WEDNESDAY_AFTERNOON = (Weekday.WEDNESDAY, datetime.time(14, 0), datetime.time(17, 0))
WORKDAYS = [Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY]


class Command(BaseCommand):
    help = "Load demo units, services, officials and hours of the Domžale and Ljutomer pilot."

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()

        for unit_data in UNITS:
            unit, _ = Unit.objects.update_or_create(
                slug=unit_data["slug"],
                defaults={
                    "name": unit_data["name"],
                    "email": unit_data["email"],
                    "address": unit_data["address"],
                    "timezone": "Europe/Ljubljana",
                },
            )
            services = []
            for position, service_data in enumerate(SERVICES, start=1):
                service, _ = Service.objects.update_or_create(
                    unit=unit,
                    slug=service_data["slug"],
                    defaults={
                        "name": service_data["name"],
                        "description": service_data["description"],
                        "preparation": service_data["preparation"],
                        "duration_minutes": service_data["duration_minutes"],
                        "active": True,
                        "position": position,
                    },
                )
                services.append(service)

            for index, (username, first_name, last_name) in enumerate(unit_data["officials"]):
                user, created = User.objects.update_or_create(
                    username=username,
                    defaults={
                        "first_name": first_name,
                        "last_name": last_name,
                        "email": f"{username}@example.si",
                        "is_staff": True,
                        "is_superuser": False,
                        "is_active": True,
                    },
                )
                if created:
                    user.set_password(DEMO_PASSWORD)
                    user.save(update_fields=["password"])
                official, _ = Official.objects.get_or_create(user=user)
                official.units.set([unit])
                official.services.set(services)

                official.hours.all().delete()
                hours = [
                    WorkingHours(official=official, weekday=day, start=MORNING[0], end=MORNING[1])
                    for day in WORKDAYS
                ]
                if index == 0:
                    day, start, end = WEDNESDAY_AFTERNOON
                    hours.append(WorkingHours(official=official, weekday=day, start=start, end=end))
                WorkingHours.objects.bulk_create(hours)

        if not User.objects.filter(username=ADMIN_USERNAME).exists():
            User.objects.create_superuser(ADMIN_USERNAME, "admin@example.si", ADMIN_PASSWORD)
            admin_note = "created"
        else:
            admin_note = "already there"

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded: {Unit.objects.count()} units, "
                f"{Service.objects.count()} services, {Official.objects.count()} officials, "
                f"{WorkingHours.objects.count()} blocks of hours; superuser "
                f"'{ADMIN_USERNAME}' {admin_note}."
            )
        )
        self.stdout.write(
            f"Officials sign in with password '{DEMO_PASSWORD}', the superuser with "
            f"'{ADMIN_PASSWORD}' (unless changed since)."
        )
