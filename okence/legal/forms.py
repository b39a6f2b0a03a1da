from django import forms
from django.utils.translation import gettext_lazy as _

from okence.legal.models import AccessibilityFeedback


class FeedbackForm(forms.ModelForm):
    class Meta:
        model = AccessibilityFeedback
        fields = ["name", "email", "page", "message"]
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "message": forms.Textarea(attrs={"rows": 6, "maxlength": 5000}),
        }
        help_texts = {
            "name": _("Optional."),
            "email": _("We answer to this address."),
            "page": _("Optional: the address or the name of the page."),
        }
        error_messages = {
            "email": {
                "required": _("Please enter your e-mail address, so that we can answer."),
                "invalid": _("Please enter a valid e-mail address, e.g. ime@example.si."),
            },
            "message": {"required": _("Please describe the problem.")},
        }
