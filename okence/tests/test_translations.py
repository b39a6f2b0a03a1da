"""Every language's catalogue is complete, and the compiled .mo that Django reads matches the .po.

The .mo files are committed so that running Okence needs no gettext tools; this keeps them
honest: a string added to the .po but not compiled (or compiled before the .po last changed), or
left untranslated or fuzzy, fails here. English is the language of the source: its msgstrs may
stay empty (gettext then shows the msgid), but its .mo must still match its .po.
"""

import ast
import gettext
from pathlib import Path

import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "okence" / "locale"
SOURCE_LANGUAGE = "en"
LANGUAGES = [code for code, _ in settings.LANGUAGES]


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


def catalogue(language: str) -> list[dict]:
    return [
        entry
        for entry in entries(LOCALE / language / "LC_MESSAGES" / "django.po")
        if entry["msgid"]
    ]


def test_every_language_of_the_site_has_a_catalogue_with_the_same_messages():
    def keys(language):
        return {(entry.get("msgctxt"), entry["msgid"]) for entry in catalogue(language)}

    slovenian = keys("sl")
    assert {language: keys(language) ^ slovenian for language in LANGUAGES} == {
        language: set() for language in LANGUAGES
    }


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != SOURCE_LANGUAGE])
def test_every_message_is_translated_and_none_is_fuzzy(language):
    untranslated = [
        entry["msgid"]
        for entry in catalogue(language)
        if "fuzzy" in entry["flags"]
        or not all(value for key, value in entry.items() if key.startswith("msgstr"))
    ]
    assert untranslated == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_the_source(language):
    """A .mo compiled before its .po last changed differs from it here (file times are not
    compared: a git checkout does not keep them)."""
    folder = LOCALE / language / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as compiled:
        catalogue_ = gettext.GNUTranslations(compiled)
    stale = []
    for entry in catalogue(language):
        key = (
            entry["msgid"] if "msgctxt" not in entry else f"{entry['msgctxt']}\x04{entry['msgid']}"
        )
        if "msgid_plural" in entry:
            expected = entry["msgstr[0]"] or key  # gettext's own fallback
            if catalogue_.ngettext(key, entry["msgid_plural"], 1) != expected:
                stale.append(entry["msgid"])
        elif catalogue_.gettext(key) != (entry["msgstr"] or key):
            stale.append(entry["msgid"])
    assert stale == [], f"compile it: msgfmt -o {folder}/django.mo {folder}/django.po"
