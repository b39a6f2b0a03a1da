"""The per-language content of units and services (django-modeltranslation).

Each field listed here gets a column per site language (``name_sl``, ``name_en``, ...); reading
``service.name`` gives the active language's value, or the Slovenian one where it is missing.
Slovenian is the one required language. ``okence.offices.content`` tells which language a shown
value is in, so that templates can mark it with ``lang``.
"""

from modeltranslation.translator import TranslationOptions, register

from okence.offices.models import Service, Unit


@register(Unit)
class UnitTranslation(TranslationOptions):
    fields = ("name",)
    required_languages = {"sl": ("name",)}


@register(Service)
class ServiceTranslation(TranslationOptions):
    fields = ("name", "description", "preparation")
    required_languages = {"sl": ("name",)}
