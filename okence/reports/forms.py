import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from okence.offices.models import Official, Service

MAX_DAYS = 400


class FilterForm(forms.Form):
    """The period and filters of a statistics page, limited to the reader's units."""

    # In context: a plain "To" is the outbox's e-mail recipient ("Prejemnik").
    first_day = forms.DateField(
        label=pgettext_lazy("period", "From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    last_day = forms.DateField(
        label=pgettext_lazy("period", "To"), widget=forms.DateInput(attrs={"type": "date"})
    )
    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int, required=False, empty_value=None)
    service = forms.TypedChoiceField(
        label=_("Service"), coerce=int, required=False, empty_value=None
    )
    official = forms.TypedChoiceField(
        label=_("Official"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, data, scope):
        today = timezone.localdate()
        defaults = {"first_day": today - datetime.timedelta(days=29), "last_day": today}
        super().__init__({**{k: v.isoformat() for k, v in defaults.items()}, **data.dict()})
        self.scope = scope
        everyone = [("", _("All"))]
        self.fields["unit"].choices = everyone + [(u.pk, u.name) for u in scope.units]
        services = Service.objects.filter(unit__in=scope.unit_ids).select_related("unit")
        self.fields["service"].choices = everyone + [
            (s.pk, f"{s.name} ({s.unit.name})") for s in services
        ]
        officials = (
            Official.objects.filter(units__in=scope.unit_ids).distinct().select_related("user")
        )
        self.fields["official"].choices = everyone + [(o.pk, str(o)) for o in officials]

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and first > last:
            raise forms.ValidationError(_("The period must end after it starts."))
        if first and last and (last - first).days > MAX_DAYS:
            raise forms.ValidationError(
                _("Choose a period of at most %(days)d days.") % {"days": MAX_DAYS}
            )
        return data

    def unit_ids(self) -> frozenset[int]:
        unit = self.cleaned_data.get("unit")
        return frozenset([unit]) if unit else frozenset(self.scope.unit_ids)
