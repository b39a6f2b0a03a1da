"""Show a unit's or service's per-language content marked with its language.

``{{ service|in_language:"name" }}``: the name, inside ``<span lang="sl">`` when it is shown in
another language than the page's (a missing translation); ``<p{{ service|lang_of:"description" }}>``
gives just the attribute, for an element that holds the value. For HTML only: text e-mails and
subjects use the plain value.
"""

from django import template
from django.utils.html import format_html, mark_safe

from okence.offices.content import differs

register = template.Library()


@register.filter
def in_language(obj, field: str):
    value = getattr(obj, field, "")  # like a template variable: nothing when it is missing
    language = differs(obj, field) if value else ""
    return format_html('<span lang="{}">{}</span>', language, value) if language else value


@register.filter
def lang_of(obj, field: str):
    language = differs(obj, field) if getattr(obj, field, "") else ""
    return format_html(' lang="{}"', language) if language else mark_safe("")  # noqa: S308
