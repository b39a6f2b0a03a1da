"""Load the pilot's demo data: Domžale and Ljutomer, their four services, officials and hours,
and a past of about 60 days for the statistics.

Idempotent: every object is keyed on a slug or username, so running the command again only
brings the data back to the state described here. Passwords are set only when a user is created,
so a password changed since is left alone. The first official of each unit administers it (reads
its statistics and comments); the superuser needs nothing more, it sees every unit.

The past (appointments on working days with their outcomes, rooms, survey invitations and
answers) is made only for a unit that has no appointment before today yet, so a second run adds
nothing. It comes from a seeded random generator, so it is the same every time for the same day.
The citizens are invented, with addresses at example.si.
"""

import datetime
import random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from okence.booking import free_times
from okence.booking.models import Appointment, Status
from okence.meetings.models import Room
from okence.offices.models import Official, Service, Unit, Weekday, WorkingHours
from okence.offices.services import closed_days
from okence.surveys.models import Answer, Ticket
from okence.tokens import hash_token, new_token

DEMO_PASSWORD = "okence-demo"  # noqa: S105 - demo data, documented
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "okence-admin"  # noqa: S105 - demo data, documented

UNITS = [
    {
        "slug": "domzale",
        "name": {
            "sl": "Upravna enota Domžale",
            "en": "Domžale Administrative Unit",
            "it": "Unità amministrativa di Domžale",
            "hu": "Domžalei Közigazgatási Egység",
        },
        "email": "ue.domzale@example.si",
        "phone": "01 724 20 00",
        "address": "Ljubljanska cesta 69, 1230 Domžale",
        "officials": [
            ("ana.novak", "Ana", "Novak"),
            ("marko.kovac", "Marko", "Kovač"),
            ("petra.zupan", "Petra", "Zupan"),
        ],
    },
    {
        "slug": "ljutomer",
        "name": {
            "sl": "Upravna enota Ljutomer",
            "en": "Ljutomer Administrative Unit",
            "it": "Unità amministrativa di Ljutomer",
            "hu": "Ljutomeri Közigazgatási Egység",
        },
        "email": "ue.ljutomer@example.si",
        "phone": "02 584 90 00",
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
        "name": {
            "sl": "Pridobivanje splošnih informacij",
            "en": "General information",
            "it": "Informazioni generali",
            "hu": "Általános tájékoztatás",
        },
        "duration_minutes": 30,
        "description": {
            "sl": "Splošne informacije o postopkih, ki jih vodi upravna enota: kaj potrebujete, "
            "koliko časa postopek traja in kakšne so takse.",
            "en": "General information on the procedures the unit conducts: what you need, "
            "how long a procedure takes and what the fees are.",
            "it": "Informazioni generali sui procedimenti dell'unità amministrativa: che cosa "
            "serve, quanto dura il procedimento e quali sono le tasse.",
            "hu": "Általános tájékoztatás a közigazgatási egység eljárásairól: mire van "
            "szükség, mennyi ideig tart az eljárás és mennyi az illeték.",
        },
        "preparation": {
            "sl": "Pripravite vprašanja, ki jih želite zastaviti, in po potrebi dokumente, "
            "na katere se vprašanja nanašajo.",
            "en": "Prepare the questions you want to ask and, if needed, the documents "
            "they concern.",
            "it": "Prepari le domande che desidera porre e, se necessario, i documenti a cui "
            "si riferiscono.",
            "hu": "Készítse elő kérdéseit, és szükség esetén azokat a dokumentumokat, "
            "amelyekre a kérdések vonatkoznak.",
        },
    },
    {
        "slug": "potrdila",
        "name": {
            "sl": "Pridobivanje potrdil iz uradnih evidenc",
            "en": "Certificates from official records",
            "it": "Certificati dai registri ufficiali",
            "hu": "Igazolások hivatalos nyilvántartásokból",
        },
        "duration_minutes": 30,
        "description": {
            "sl": "Izdaja potrdil o dejstvih iz uradnih evidenc, ki jih vodi upravna enota, "
            "na primer potrdila o stalnem prebivališču.",
            "en": "Certificates of facts from the official records the unit keeps, for "
            "example a certificate of permanent residence.",
        },
        "preparation": {
            "sl": "Imejte pri roki osebni dokument in podatke o tem, katero potrdilo "
            "potrebujete in za kakšen namen.",
            "en": "Have your identity document at hand and know which certificate you need "
            "and what for.",
        },
    },
    {
        "slug": "poizvedba",
        "name": {
            "sl": "Poizvedba glede specifičnega postopka",
            "en": "Enquiry about a particular procedure",
            "it": "Richiesta su un procedimento specifico",
            "hu": "Érdeklődés egy adott eljárásról",
        },
        "duration_minutes": 30,
        "description": {
            "sl": "Informacije o stanju postopka, ki ga upravna enota vodi za vas, "
            "in o nadaljnjih korakih.",
            "en": "Where the procedure the unit conducts for you stands, and the next steps.",
        },
        "preparation": {
            "sl": "Pripravite številko zadeve (če jo imate) in dopise, ki ste jih v postopku "
            "že prejeli ali poslali.",
            "en": "Have the case number (if you have one) and the letters you have received "
            "or sent in the procedure.",
        },
    },
    {
        "slug": "smrtovnica",
        "name": {
            "sl": "Sestava smrtovnice",
            "en": "Death notice for probate",
            "it": "Verbale di decesso per la successione",
            "hu": "Hagyatéki leltár felvétele",
        },
        # Compiling a death notice means going through the deceased's family and property
        # with the relative, item by item, so it needs more time than the other services.
        "duration_minutes": 45,
        "description": {
            "sl": "Sestava smrtovnice za zapuščinski postopek: skupaj z uradnikom zberete "
            "podatke o pokojniku, njegovih dedičih in premoženju.",
            "en": "The death notice for probate proceedings: with the official you gather the "
            "facts about the deceased, their heirs and property.",
        },
        "preparation": {
            "sl": "Pripravite podatke o pokojniku, njegovih sorodnikih (imena, naslovi, datumi "
            "rojstva) in premoženju, na primer nepremičninah, vozilih in bančnih računih.",
            "en": "Prepare the facts about the deceased, their relatives (names, addresses, "
            "dates of birth) and property, for example real estate, vehicles and bank accounts.",
        },
    },
]

MORNING = (datetime.time(8, 0), datetime.time(12, 0))
# The first official of each unit also keeps the Wednesday afternoon uradne ure.
WEDNESDAY_AFTERNOON = (Weekday.WEDNESDAY, datetime.time(14, 0), datetime.time(17, 0))
WORKDAYS = [Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY]

# The past: how many days back, and how the appointments of those days went.
PAST_DAYS = 60
SEED = 42  # the first unit's generator; the second unit's is SEED + 1, and so on
FREE_SLOT_CHANCE = 0.55  # a half-hour of an official's hours that nobody booked
SERVICE_WEIGHTS = {"splosne-informacije": 35, "potrdila": 30, "poizvedba": 25, "smrtovnica": 10}
OUTCOME_WEIGHTS = {
    Status.COMPLETED: 80,
    Status.NO_SHOW: 8,
    Status.CANCELLED: 7,
    Status.EXPIRED: 5,  # held with Rezerviraj, the e-mailed code never entered
}
WAIT_SECONDS = (60, 8 * 60)  # in the waiting room before admission
MEETING_SECONDS = (8 * 60, 35 * 60, 18 * 60)  # shortest, longest, most usual
ANSWER_SHARE = 0.6  # of completed meetings
RATING_WEIGHTS = {5: 52, 4: 30, 3: 9, 2: 5, 1: 4}
COMMENT_SHARE = 0.15  # of answers
COMMENTS = {
    5: [
        "Hvala, vse je bilo hitro urejeno.",
        "Zelo prijazna uradnica, odlična izkušnja.",
        "Prihranil sem si pot na upravno enoto.",
        "Odlično, priporočam.",
    ],
    4: [
        "Dobro, le slika je bila na začetku zamegljena.",
        "Vse jasno razloženo, hvala.",
        "Malo sem čakala, sicer v redu.",
    ],
    3: ["Zvok je občasno prekinjal.", "V redu, a bi raje dobil odgovor po e-pošti."],
    2: ["Predolgo čakanje v čakalnici.", "Povezava se je dvakrat prekinila."],
    1: ["Uradnik se ni pridružil pravočasno."],
}
FIRST_NAMES = [
    "Mojca", "Tomaž", "Nina", "Boštjan", "Katja", "Gregor", "Špela", "Rok", "Urša", "Matej",
    "Tina", "Jure", "Barbara", "Aleš", "Nataša", "Primož", "Vesna", "Andrej", "Lea", "Dušan",
]  # fmt: skip
LAST_NAMES = [
    "Bizjak", "Kos", "Golob", "Mlakar", "Žagar", "Kralj", "Rozman", "Hribar", "Oblak", "Petek",
    "Turk", "Kolar", "Zupančič", "Potočnik", "Jereb", "Cerar", "Pirc", "Lesjak",
]  # fmt: skip
NOTES = [
    "Zanima me, katere dokumente potrebujem.",
    "Imam vprašanje glede zadeve, ki je že v postopku.",
    "Potrebujem potrdilo za delodajalca.",
]
ASCII = str.maketrans("čšžČŠŽ", "cszCSZ")


def per_language(field: str, texts: dict[str, str]) -> dict[str, str]:
    """The translated field's columns (name_sl, name_en, ...); a language left out stays empty
    and shows the Slovenian text (the pilot's translations are partial on purpose)."""
    return {f"{field}_{code}": texts.get(code, "") for code, _ in settings.LANGUAGES}


class Command(BaseCommand):
    help = "Load demo units, services, officials and hours of the Domžale and Ljutomer pilot."

    @transaction.atomic
    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load the demo data even in the production profile (it has known passwords).",
        )

    def handle(self, *args, force, **options):
        if not settings.DEVELOPMENT and not force:
            raise CommandError(
                "load_demo creates accounts with published passwords (admin / okence-admin) and "
                "refuses to run in the production profile. Use OKENCE_PROFILE=development, or "
                "--force for a demonstration server that nobody relies on."
            )
        User = get_user_model()

        past_created = 0
        for unit_index, unit_data in enumerate(UNITS):
            unit, _ = Unit.objects.update_or_create(
                slug=unit_data["slug"],
                defaults={
                    **per_language("name", unit_data["name"]),
                    "email": unit_data["email"],
                    "phone": unit_data["phone"],
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
                        **per_language("name", service_data["name"]),
                        **per_language("description", service_data["description"]),
                        **per_language("preparation", service_data["preparation"]),
                        "duration_minutes": service_data["duration_minutes"],
                        "active": True,
                        "position": position,
                    },
                )
                services.append(service)

            officials = []
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
                # The first official of each unit also administers it (and reads its statistics).
                official.administers.set([unit] if index == 0 else [])
                officials.append(official)

                official.hours.all().delete()
                hours = [
                    WorkingHours(official=official, weekday=day, start=MORNING[0], end=MORNING[1])
                    for day in WORKDAYS
                ]
                if index == 0:
                    day, start, end = WEDNESDAY_AFTERNOON
                    hours.append(WorkingHours(official=official, weekday=day, start=start, end=end))
                WorkingHours.objects.bulk_create(hours)

            past_created += self.make_past(unit, services, officials, SEED + unit_index)

        # The hours and appointments above were written in bulk, which sends no signals.
        free_times.forget_everything()
        if not User.objects.filter(username=ADMIN_USERNAME).exists():
            User.objects.create_superuser(ADMIN_USERNAME, "admin@example.si", ADMIN_PASSWORD)
            admin_note = "created"
        else:
            admin_note = "already there"

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded: {Unit.objects.count()} units, "
                f"{Service.objects.count()} services, {Official.objects.count()} officials, "
                f"{WorkingHours.objects.count()} blocks of hours, {past_created} past "
                f"appointments added; superuser '{ADMIN_USERNAME}' {admin_note}."
            )
        )
        self.stdout.write(
            f"Officials sign in with password '{DEMO_PASSWORD}', the superuser with "
            f"'{ADMIN_PASSWORD}' (unless changed since)."
        )

    def make_past(self, unit, services, officials, seed: int) -> int:
        """About PAST_DAYS days of past appointments of one unit, unless it has a past already.

        On each working day every official's hours are filled in part: most meetings took place
        (a room with the waiting and meeting times, a survey invitation and for some an answer),
        some citizens did not come, a few cancelled and a few holds were never confirmed.
        """
        zone = unit.zone
        today = timezone.localdate()
        midnight = datetime.datetime.combine(today, datetime.time(0), tzinfo=zone)
        if Appointment.objects.filter(unit=unit, start__lt=midnight).exists():
            return 0
        rng = random.Random(seed)  # noqa: S311 - demo data, not security
        by_slug = {service.slug: service for service in services}
        slugs, weights = list(SERVICE_WEIGHTS), list(SERVICE_WEIGHTS.values())
        outcomes, outcome_weights = list(OUTCOME_WEIGHTS), list(OUTCOME_WEIGHTS.values())
        first_day = today - datetime.timedelta(days=PAST_DAYS)
        closed = closed_days(unit, first_day, today)
        blocks = {
            official.pk: [(h.weekday, h.start, h.end) for h in official.hours.order_by("start")]
            for official in officials
        }

        planned = []  # (appointment, room or None, ticket or None, answer or None)
        day = first_day
        while day < today:
            if day.weekday() in WORKDAYS and day not in closed:
                for official in officials:
                    for weekday, start, end in blocks[official.pk]:
                        if weekday != day.weekday():
                            continue
                        cursor = datetime.datetime.combine(day, start, tzinfo=zone)
                        closing = datetime.datetime.combine(day, end, tzinfo=zone)
                        while cursor + datetime.timedelta(minutes=30) <= closing:
                            if rng.random() < FREE_SLOT_CHANCE:
                                cursor += datetime.timedelta(minutes=30)
                                continue
                            service = by_slug[rng.choices(slugs, weights)[0]]
                            if cursor + service.duration > closing:
                                break
                            status = rng.choices(outcomes, outcome_weights)[0]
                            planned.append(
                                self.past_appointment(rng, unit, service, official, cursor, status)
                            )
                            cursor += service.duration
            day += datetime.timedelta(days=1)

        appointments = Appointment.objects.bulk_create([plan[0] for plan in planned])
        for appointment, (_, room, ticket, _answer) in zip(appointments, planned, strict=True):
            for item in (room, ticket):
                if item is not None:
                    item.appointment = appointment
        Room.objects.bulk_create([plan[1] for plan in planned if plan[1] is not None])
        Ticket.objects.bulk_create([plan[2] for plan in planned if plan[2] is not None])
        Answer.objects.bulk_create([plan[3] for plan in planned if plan[3] is not None])
        return len(appointments)

    def past_appointment(self, rng, unit, service, official, start, status):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        number = rng.randrange(1000)
        created = start - datetime.timedelta(days=rng.randint(1, 14), minutes=rng.randint(0, 600))
        confirmed = created + datetime.timedelta(minutes=rng.randint(1, 6))
        end = start + service.duration
        appointment = Appointment(
            unit=unit,
            service=service,
            official=official,
            start=start,
            end=end,
            status=status,
            name=f"{first} {last}",
            email=f"{first}.{last}.{number}@example.si".translate(ASCII).lower(),
            phone=f"040 000 {number:03d}",
            notes=rng.choice(NOTES) if rng.random() < 0.3 else "",
            language="en" if rng.random() < 0.08 else "sl",
            hold_token_hash=hash_token(new_token()),
            created_at=created,
        )
        if status == Status.EXPIRED:
            appointment.hold_expires_at = created + datetime.timedelta(minutes=10)
            return appointment, None, None, None
        appointment.confirmed_at = confirmed
        appointment.meeting_token_hash = hash_token(new_token())
        appointment.manage_token_hash = hash_token(new_token())
        if status == Status.CANCELLED:
            before = datetime.timedelta(hours=rng.randint(2, 48))
            appointment.cancelled_at = max(confirmed, start - before)
            return appointment, None, None, None
        if status == Status.NO_SHOW:  # the official waited, then ended it
            room = Room(ended_at=start + datetime.timedelta(minutes=rng.randint(10, 20)))
            return appointment, room, None, None

        knocked = start + datetime.timedelta(seconds=rng.randint(-5 * 60, 2 * 60))
        admitted = knocked + datetime.timedelta(seconds=rng.randint(*WAIT_SECONDS))
        ended = admitted + datetime.timedelta(seconds=round(rng.triangular(*MEETING_SECONDS)))
        room = Room(
            display_name=first,
            first_knocked_at=knocked,
            knocked_at=knocked,
            admitted_at=admitted,
            ended_at=ended,
        )
        follow_up = ended + datetime.timedelta(minutes=30)
        ticket = Ticket(
            created_at=ended,
            expires_at=ended + datetime.timedelta(days=14),
            follow_up_sent_at=follow_up,  # never again: the reminder went out back then
        )
        answer = None
        if rng.random() < ANSWER_SHARE:
            ticket.answered_at = ended + datetime.timedelta(minutes=rng.randint(1, 120))
            if ticket.answered_at < follow_up:
                ticket.follow_up_sent_at = None
            rating = rng.choices(list(RATING_WEIGHTS), list(RATING_WEIGHTS.values()))[0]
            comment = rng.choice(COMMENTS[rating]) if rng.random() < COMMENT_SHARE else ""
            answer = Answer(
                unit=unit,
                service=service,
                official=official,
                meeting_day=start.date(),
                rating=rating,
                comment=comment,
            )
        return appointment, room, ticket, answer
