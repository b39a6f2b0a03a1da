"""The language switch's choices: a unit's languages on its pages, every language elsewhere."""

from django import template
from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import get_language_info

register = template.Library()


@register.simple_tag
def switch_languages(unit=None) -> list[tuple[str, str]]:
    """(code, name in that language) of each language to offer, in the site's order."""
    codes = unit.offered_languages if unit else [code for code, _ in settings.LANGUAGES]
    return [(code, capfirst(get_language_info(code)["name_local"])) for code in codes]
