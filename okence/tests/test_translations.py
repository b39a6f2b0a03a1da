"""The Slovenian catalogue is complete, and the compiled .mo that Django reads matches the .po.

The .mo files are committed so that running Okence needs no gettext tools; this keeps them
honest: a string added to the .po but not compiled, or left untranslated or fuzzy, fails here.
"""

import ast
import gettext
from pathlib import Path

import pytest
from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "okence" / "locale" / "sl" / "LC_MESSAGES"


def entries(po: Path) -> list[dict]:
    """The entries of a .po file: their flags, msgctxt, msgid(_plural) and msgstr(s)."""
    found, current, key = [], {"flags": set()}, None
    for line in po.read_text().splitlines() + [""]:
        if not line.strip():
            if "msgid" in current:
                found.append(current)
            current, key = {"flags": set()}, None
        elif line.startswith("#,"):
            current["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            current[key] = ast.literal_eval(value)
    return found


@pytest.fixture(scope="module")
def slovenian():
    return [entry for entry in entries(CATALOGUE / "django.po") if entry["msgid"]]


def test_every_message_is_translated_and_none_is_fuzzy(slovenian):
    untranslated = [
        entry["msgid"]
        for entry in slovenian
        if "fuzzy" in entry["flags"]
        or not all(value for key, value in entry.items() if key.startswith("msgstr"))
    ]
    assert untranslated == []


def test_the_compiled_catalogue_matches_the_source(slovenian):
    with (CATALOGUE / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    stale = []
    for entry in slovenian:
        key = (
            entry["msgid"] if "msgctxt" not in entry else f"{entry['msgctxt']}\x04{entry['msgid']}"
        )
        if "msgid_plural" in entry:
            if catalogue.ngettext(key, entry["msgid_plural"], 1) != entry["msgstr[0]"]:
                stale.append(entry["msgid"])
        elif catalogue.gettext(key) != entry["msgstr"]:
            stale.append(entry["msgid"])
    assert stale == [], "compile it: msgfmt -o django.mo django.po"
