"""Units' and services' names, descriptions and preparation lists in each language: entered per
language, shown in the page's language or else in Slovenian, marked with ``lang`` when they
differ from the page's."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from okence.conftest import make_appointment
from okence.offices.content import differs, shown_language
from okence.offices.models import Service, Unit
from okence.tokens import hash_token


@pytest.fixture
def translated(service):
    """The service with an Italian name and description, and nothing else translated."""
    service.name_it = "Informazioni generali"
    service.description_it = "Informazioni generali sulle procedure."
    service.save()
    return service


@pytest.mark.django_db
def test_a_missing_translation_falls_back_to_slovenian(translated):
    with translation.override("it"):
        assert translated.name == "Informazioni generali"
        assert translated.preparation == "Osebni dokument."  # no Italian: the Slovenian one
        assert (shown_language(translated, "name"), differs(translated, "name")) == ("it", "")
        assert differs(translated, "preparation") == "sl"
    with translation.override("hu"):
        assert translated.name == "Pridobivanje splošnih informacij"
        assert differs(translated, "name") == "sl"
    with translation.override("sl"):
        assert translated.name == "Pridobivanje splošnih informacij"
        assert differs(translated, "name") == ""


@pytest.mark.django_db
def test_a_name_given_in_code_is_the_slovenian_one_whatever_the_language(unit):
    with translation.override("en"):
        made = Service.objects.create(unit=unit, name="Potni listi", slug="potni-listi")
    made.refresh_from_db()
    assert made.name_sl == "Potni listi"


@pytest.mark.django_db(transaction=True)
def test_the_migration_makes_the_existing_content_slovenian():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    before = [("offices", "0006_unit_languages")]
    after = [("offices", "0007_translated_names_descriptions")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    unit = old.get_model("offices", "Unit").objects.create(name="Upravna enota Izola", slug="izola")
    old.get_model("offices", "Service").objects.create(
        unit_id=unit.pk, name="Osebna izkaznica", slug="oi", preparation="Fotografija."
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    service = Service.objects.get(slug="oi")
    assert (service.name_sl, service.preparation_sl) == ("Osebna izkaznica", "Fotografija.")
    assert Unit.objects.get(slug="izola").name_sl == "Upravna enota Izola"
    with translation.override("en"):
        assert service.name == "Osebna izkaznica"


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "it", "hu"])
def test_the_pages_show_the_translation_and_mark_the_slovenian_fallback(
    client, clock, service, ana, language
):
    Unit.objects.filter(pk=service.unit.pk).update(languages=["sl", "en", "it", "hu"])
    names = {
        "en": "General information",
        "it": "Informazioni generali",
        "hu": "Általános tájékoztatás",
    }
    setattr(service, f"name_{language}", names[language])
    service.save()
    services = client.get(f"/{language}/domzale/").text
    assert f'<html lang="{language}">' in services
    assert f">{names[language]}</a></h2>" in services  # the page's language: no mark
    assert '<p lang="sl">Splošne informacije o postopkih.</p>' in services
    assert '<span lang="sl">Osebni dokument.</span>' in services
    assert '<span lang="sl">Upravna enota Domžale</span>' in services  # the breadcrumb
    calendar = client.get(f"/{language}/domzale/splosne-informacije/").text
    assert f"<dd>{names[language]}</dd>" in calendar
    assert '<dd><span lang="sl">Upravna enota Domžale</span></dd>' in calendar
    # The citizen's own appointment: moving it shows the same marks.
    make_appointment(
        ana,
        start=timezone.now() + datetime.timedelta(days=2),
        manage_token_hash=hash_token("manage-token"),
    )
    moving = client.get(f"/{language}/termin/manage-token/prestavi/").text
    assert f"<dd>{names[language]}</dd>" in moving
    assert '<dd><span lang="sl">Upravna enota Domžale</span></dd>' in moving


@pytest.mark.django_db
def test_slovenian_pages_mark_nothing(client, clock, service, ana):
    page = client.get("/domzale/").text
    assert "Pridobivanje splošnih informacij</a></h2>" in page
    assert 'lang="sl"' not in page.split("<main", 1)[1]


def admin_of(person, unit) -> Client:
    person.administers.add(unit)
    client = Client()
    client.force_login(person.user)
    return client


FORM = {
    "slug": "potni-listi",
    "duration_minutes": "20",
    "min_notice_minutes": "60",
    "max_advance_days": "14",
    "cancel_cutoff_minutes": "0",
    "active": "on",
}


@pytest.mark.django_db
def test_an_administrator_enters_the_content_in_each_of_the_unit_s_languages(clock, unit, ana):
    Unit.objects.filter(pk=unit.pk).update(languages=["sl", "en", "hu"])
    unit.refresh_from_db()
    admin = admin_of(ana, unit)
    url = reverse("offices:service_new", args=[unit.pk])
    page = admin.get(url).text
    assert "Naziv (madžarsko)" in page and "Kaj pripraviti (angleško)" in page
    assert "name_it" not in page  # the unit does not offer Italian
    response = admin.post(
        url,
        FORM
        | {
            "name_sl": "Potni listi",
            "name_en": "Passports",
            "name_hu": "Útlevelek",
            "preparation_hu": "Fénykép.",
        },
    )
    assert response.status_code == 302
    made = Service.objects.get(slug="potni-listi")
    assert (made.name_sl, made.name_en, made.name_hu) == ("Potni listi", "Passports", "Útlevelek")
    with translation.override("hu"):
        assert (made.name, made.preparation) == ("Útlevelek", "Fénykép.")


@pytest.mark.django_db
def test_a_missing_slovenian_name_is_refused_and_nothing_typed_is_lost(clock, unit, ana):
    admin = admin_of(ana, unit)
    response = admin.post(
        reverse("offices:service_new", args=[unit.pk]),
        FORM | {"name_en": "Passports", "description_en": "New and renewed passports."},
    )
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"name_sl"}
    html = response.text
    assert "To polje je obvezno." in html and 'aria-invalid="true"' in html
    assert 'value="Passports"' in html and "New and renewed passports.</textarea>" in html
    assert not Service.objects.filter(slug="potni-listi").exists()


@pytest.mark.django_db
def test_editing_in_one_language_keeps_the_languages_the_unit_does_not_offer(clock, service, ana):
    service.name_it = "Informazioni generali"
    service.save()
    admin = admin_of(ana, service.unit)  # Domžale: Slovenian and English only
    response = admin.post(
        reverse("offices:service", args=[service.unit.pk, service.pk]),
        FORM
        | {
            "slug": service.slug,
            "name_sl": "Splošne informacije",
            "name_en": "Information",
            "officials": [ana.pk],
        },
    )
    assert response.status_code == 302
    service.refresh_from_db()
    assert (service.name_sl, service.name_en, service.name_it) == (
        "Splošne informacije",
        "Information",
        "Informazioni generali",
    )


@pytest.mark.django_db
def test_the_django_admin_has_an_input_per_language_and_finds_by_any_of_them(service):
    from django.contrib.auth import get_user_model

    service.name_hu = "Általános tájékoztatás"
    service.save()
    boss = get_user_model().objects.create_superuser("boss", "boss@example.si", "x")
    client = Client()
    client.force_login(boss)
    page = client.get(f"/admin/offices/service/{service.pk}/change/").text
    for code, label in (("sl", "slovensko"), ("it", "italijansko"), ("hu", "madžarsko")):
        assert f'name="name_{code}"' in page and f"Naziv ({label})" in page
        assert f'name="preparation_{code}"' in page
    found = client.get("/admin/offices/service/", {"q": "tájékoztatás"}).text
    assert f"/admin/offices/service/{service.pk}/change/" in found
    unit_page = client.get(f"/admin/offices/unit/{service.unit.pk}/change/").text
    assert 'name="name_en"' in unit_page and 'name="services-0-name_it"' in unit_page


@pytest.mark.django_db
def test_an_administrator_names_the_unit_in_its_languages(clock, unit, ana):
    from okence.audit.models import Action, AuditEvent

    Unit.objects.filter(pk=unit.pk).update(languages=["sl", "en", "it", "hu"])
    admin = admin_of(ana, unit)
    url = reverse("offices:unit", args=[unit.pk])
    assert "Naziv (italijansko)" in admin.get(url).text
    refused = admin.post(url, {"name_sl": "", "name_it": "Unità amministrativa di Domžale"})
    assert refused.status_code == 200 and "To polje je obvezno." in refused.text
    assert 'value="Unità amministrativa di Domžale"' in refused.text  # nothing typed is lost
    assert "<h1>Upravna enota Domžale</h1>" in refused.text
    unit.refresh_from_db()
    assert (unit.name_sl, unit.name_it) == ("Upravna enota Domžale", None)
    names = {"name_sl": "Upravna enota Domžale", "name_it": "Unità amministrativa di Domžale"}
    assert admin.post(url, names | {"name_hu": "Domžalei Közigazgatási Egység"}).status_code == 302
    unit.refresh_from_db()
    assert (unit.name_it, unit.name_hu) == (names["name_it"], "Domžalei Közigazgatási Egység")
    assert AuditEvent.objects.filter(action=Action.UNIT_CHANGED, unit=unit).count() == 1
    assert "Unità amministrativa di Domžale" in Client().get("/it/").text


@pytest.mark.django_db
def test_units_are_listed_by_their_slovenian_name_in_every_language(client, unit, ljutomer):
    Unit.objects.filter(pk=unit.pk).update(name_en="Domžale Administrative Unit")
    Unit.objects.filter(pk=ljutomer.pk).update(name_en="")  # not translated
    page = client.get("/en/").text
    assert page.index("Domžale Administrative Unit") < page.index("Upravna enota Ljutomer")
