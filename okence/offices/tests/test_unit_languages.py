"""Which languages a unit offers: all four in the bilingual areas, Slovenian and English
elsewhere, or what its administrator chose; the language switch offers them on its pages."""

import pytest

from okence.offices.models import Unit


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("slug", "offered"),
    [
        ("piran", ["sl", "en", "it", "hu"]),
        ("lendava", ["sl", "en", "it", "hu"]),
        ("domzale", ["sl", "en"]),
    ],
)
def test_a_new_unit_offers_the_languages_of_its_area(slug, offered):
    assert Unit.objects.create(name=slug, slug=slug).languages == offered


@pytest.mark.django_db
def test_slovenian_is_always_offered():
    unit = Unit.objects.create(name="Izola", slug="izola", languages=["it"])
    assert unit.offered_languages == ["sl", "it"]


@pytest.mark.django_db
def test_the_switch_offers_the_unit_s_languages_on_its_pages_and_every_language_elsewhere(
    client, unit
):
    Unit.objects.filter(pk=unit.pk).update(languages=["sl", "en", "it"])
    on_unit = client.get("/domzale/").text
    assert 'value="it" lang="it">Italiano</button>' in on_unit
    assert 'value="en" lang="en">English</button>' in on_unit
    assert 'value="hu"' not in on_unit
    assert 'value="sl"' not in on_unit  # the page is already in Slovenian
    elsewhere = client.get("/it/").text
    assert '<html lang="it">' in elsewhere
    for code, name in (("sl", "Slovenščina"), ("en", "English"), ("hu", "Magyar")):
        assert f'value="{code}" lang="{code}">{name}</button>' in elsewhere


@pytest.mark.django_db
def test_an_administrator_chooses_the_unit_s_languages_in_the_admin(client, ana):
    ana.user.is_superuser = True
    ana.user.save()
    client.force_login(ana.user)
    assert client.get("/admin/offices/unit/add/").status_code == 200
    response = client.post(
        "/admin/offices/unit/add/",
        {
            "name_sl": "Upravna enota Koper",
            "name_it": "Unità amministrativa Capodistria",
            "slug": "koper",
            "timezone": "Europe/Ljubljana",
            "languages": ["en", "it"],
            "services-TOTAL_FORMS": 0,
            "services-INITIAL_FORMS": 0,
            "closures-TOTAL_FORMS": 0,
            "closures-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.context["adminform"].errors
    koper = Unit.objects.get(slug="koper")
    assert koper.languages == ["sl", "en", "it"]
    assert (koper.name_sl, koper.name_it) == (
        "Upravna enota Koper",
        "Unità amministrativa Capodistria",
    )
