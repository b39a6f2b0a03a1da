"""The optional second factor of staff accounts: a TOTP authenticator app (django-otp).

A member of staff who turned it on must enter a code after the password before any page other
than the code page, sign-out and the language switch opens, the administration included. With
STAFF_REQUIRE_SECOND_FACTOR_FOR_ADMINISTRATORS the operator makes it compulsory for unit and
organisation administrators: until they turn it on, they are sent to the page that does.
"""

import base64

from django.conf import settings
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from okence.offices.access import access_of

ALWAYS_OPEN = {"logout", "set_language", "staff:verify", "staff:set_password"}


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def secret_of(device: TOTPDevice) -> str:
    """The key as an authenticator app takes it when typed in: base32."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def must_enrol(user) -> bool:
    if not settings.STAFF_REQUIRE_SECOND_FACTOR_FOR_ADMINISTRATORS:
        return False
    access = access_of(user)
    return access is not None and access.administers_any


class SecondFactorMiddleware:
    """After django_otp's OTPMiddleware: a session without its second factor goes no further."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return self.get_response(request)
        try:
            name = resolve(request.path_info).view_name
        except Resolver404:
            return self.get_response(request)
        if name in ALWAYS_OPEN:
            return self.get_response(request)
        if user_has_device(user, confirmed=True):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('staff:verify')}?{query}")
        if name != "staff:second_factor" and must_enrol(user):
            return redirect("staff:second_factor")
        return self.get_response(request)
