from django import forms
from django.utils.translation import gettext_lazy as _

from okence.audit.models import Action


class LogFilterForm(forms.Form):
    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int, required=False, empty_value=None)
    action = forms.ChoiceField(label=_("Action"), required=False)
    first_day = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    last_day = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data, units):
        super().__init__(data)
        self.fields["unit"].choices = [("", _("All my units"))] + [(u.pk, u.name) for u in units]
        self.fields["action"].choices = [("", _("All actions")), *Action.choices]
