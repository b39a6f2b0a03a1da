from django import forms
from django.utils.translation import gettext_lazy as _

from okence.surveys.models import Rating


class SurveyForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("1. Rate your overall experience with the virtual counter"),
        choices=[(value, f"{value} – {label}") for value, label in Rating.choices],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose a rating from 1 to 5.")},
    )
    comment = forms.CharField(
        label=_("2. Is there anything else you would like to tell us?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 2000}),
        help_text=_("Optional, at most 2,000 characters. Please do not write personal data."),
    )
