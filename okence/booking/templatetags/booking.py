from django import template

from okence.booking import formatting

register = template.Library()


@register.filter
def long_day(day) -> str:
    """A day as the guide writes it: "ponedeljek, 22. november 2021"."""
    return formatting.long_day(day)
