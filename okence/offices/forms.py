"""The unit administrators' forms: services, weekly hours, leave, closures and changed hours."""

from django import forms
from django.conf import settings
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from okence.offices.models import (
    ChangedHours,
    Closure,
    Leave,
    Official,
    Service,
    Unit,
    WorkingHours,
)

LANGUAGES = [code for code, _ in settings.LANGUAGES]
TRANSLATED = ("name", "description", "preparation")  # offices/translation.py


def per_language(field: str) -> list[str]:
    return [f"{field}_{code}" for code in LANGUAGES]


def keep_offered_languages(form: forms.ModelForm, unit: Unit) -> None:
    """An input per language the unit offers; the other languages' values stay as they are."""
    offered = set(unit.offered_languages)
    for field in TRANSLATED:
        for code in LANGUAGES:
            if code not in offered:
                form.fields.pop(f"{field}_{code}", None)


class UnitNamesForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = per_language("name")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        keep_offered_languages(self, self.instance)


class ServiceForm(forms.ModelForm):
    officials = forms.ModelMultipleChoiceField(
        label=_("Officials who offer it"),
        queryset=Official.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Service
        fields = [
            *per_language("name"),
            "slug",
            *per_language("description"),
            *per_language("preparation"),
            "duration_minutes",
            "min_notice_minutes",
            "max_advance_days",
            "cancel_cutoff_minutes",
            "active",
        ]

    def __init__(self, *args, unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.unit = unit
        keep_offered_languages(self, unit)
        self.fields["officials"].queryset = unit.officials.select_related("user")
        if self.instance.pk:
            self.fields["officials"].initial = list(self.instance.officials.all())

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        taken = Service.objects.filter(unit=self.instance.unit, slug=slug).exclude(
            pk=self.instance.pk
        )
        if taken.exists():
            raise forms.ValidationError(_("Another service of this unit has this address."))
        return slug

    def save_officials(self) -> None:
        self.instance.officials.set(self.cleaned_data["officials"])


class TimeInput(forms.TimeInput):
    input_type = "time"


class DateInput(forms.DateInput):
    input_type = "date"


HoursFormSet = inlineformset_factory(
    Official,
    WorkingHours,
    fields=["weekday", "start", "end"],
    widgets={"start": TimeInput(format="%H:%M"), "end": TimeInput(format="%H:%M")},
    extra=2,
    can_delete=True,
)


class DaysForm(forms.ModelForm):
    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and first > last:
            self.add_error("last_day", _("The last day may not be before the first."))
        return data


class ClosureForm(DaysForm):
    class Meta:
        model = Closure
        fields = ["first_day", "last_day", "reason"]
        widgets = {"first_day": DateInput(), "last_day": DateInput()}


class LeaveForm(DaysForm):
    class Meta:
        model = Leave
        fields = ["official", "first_day", "last_day", "reason"]
        widgets = {"first_day": DateInput(), "last_day": DateInput()}

    def __init__(self, *args, unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["official"].queryset = unit.officials.select_related("user")


class ChangedHoursForm(forms.ModelForm):
    class Meta:
        model = ChangedHours
        fields = ["official", "day", "start", "end"]
        widgets = {"day": DateInput(), "start": TimeInput(), "end": TimeInput()}

    def __init__(self, *args, unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["official"].queryset = unit.officials.select_related("user")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start >= end:
            self.add_error("end", _("The hours must end after they start."))
        return data
