import re

from django import forms
from django.utils.translation import gettext_lazy as _

PHONE = re.compile(r"^\+?[0-9 ()/-]{6,25}$")


class ContactForm(forms.Form):
    """The citizen's contact details: ime in priimek, elektronski naslov, telefon, opombe."""

    name = forms.CharField(
        label=_("Full name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    notes = forms.CharField(
        label=_("Notes"),
        max_length=1000,
        required=False,
        help_text=_(
            "Anything the official should know before the meeting (at most 1,000 characters)."
        ),
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 1000}),
    )
    privacy = forms.BooleanField(
        label=_(
            "I have read the privacy notice and agree that my details are used to carry out "
            "this appointment."
        ),
        error_messages={"required": _("Please confirm that you have read the privacy notice.")},
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if len(name) < 2:
            raise forms.ValidationError(_("Please enter your first and last name."))
        return name

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip()

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if not PHONE.match(phone) or sum(c.isdigit() for c in phone) < 6:
            raise forms.ValidationError(
                _("Please enter a phone number of digits, e.g. 041 123 456 or +386 1 234 56 78.")
            )
        return phone


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
        error_messages={"required": _("Please enter the 6-digit code from the e-mail.")},
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (len(code) == 6 and code.isdigit()):
            raise forms.ValidationError(_("The code has 6 digits."))
        return code
