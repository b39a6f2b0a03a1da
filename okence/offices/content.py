"""Per-language content of units and services: which language a shown value is in, and the
labels of its per-language inputs.

``service.name`` gives the active language's name, or the Slovenian one where it is missing
(offices/translation.py). A page in English that shows a Slovenian name must say so with
``lang="sl"``, or a screen reader reads it with English pronunciation.
"""

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from modeltranslation.utils import build_localized_fieldname, resolution_order

IN_LANGUAGE = {
    "sl": _("in Slovenian"),
    "en": _("in English"),
    "it": _("in Italian"),
    "hu": _("in Hungarian"),
}


def localized_verbose_name(verbose_name, language: str):
    """The label of one language's input: "name (in Italian)"."""
    return format_lazy("{} ({})", verbose_name, IN_LANGUAGE[language])


def page_language() -> str:
    return (get_language() or settings.LANGUAGE_CODE).split("-")[0]


def shown_language(obj, field: str) -> str:
    """The language of the value ``getattr(obj, field)`` gives in the active language."""
    language = page_language()
    for candidate in resolution_order(language):
        if getattr(obj, build_localized_fieldname(field, candidate), None):
            return candidate
    return language  # empty in every language: nothing is shown


def differs(obj, field: str) -> str:
    """The shown value's language where it is not the page's, else ""."""
    language = shown_language(obj, field)
    return language if language != page_language() else ""
