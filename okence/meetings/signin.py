"""Staff sign-in, and the limit on guessing staff passwords.

Every password check goes through ``django.contrib.auth.authenticate`` and so through
``GuessLimitedBackend``, the project's only authentication backend: the sign-in page /prijava/,
the admin's sign-in (/admin/login/, /en/admin/login/) and any later form share one count. A guess
is counted before the password is checked (``ratelimits.hit`` claims it with a conditional
UPDATE), so guesses sent at once cannot all slip past the limit, and given back when it was
right. Two counts per window:

- per account from one address: an official is never locked out from an address that did not
  guess (their office), however many guesses come from elsewhere;
- per address over all accounts: one address cannot spray passwords over many accounts. Its
  default leaves room for a unit whose officials share one address.
IPv6 addresses count per /64, the block one client is usually given.
"""

import hashlib
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from okence import clientaddress, ratelimits

TOO_MANY_GUESSES = _("Too many unsuccessful sign-ins. Please wait 15 minutes and try again.")


def _limits(request, username: str) -> list[tuple[str, int]]:
    account = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    address = clientaddress.of(request)
    return [
        (f"signin:{account}:{address}", settings.SIGNIN_GUESSES_PER_ACCOUNT_AND_ADDRESS),
        (f"signin:{address}", settings.SIGNIN_GUESSES_PER_ADDRESS),
    ]


class GuessLimitedBackend(ModelBackend):
    """Django's user model backend, checking a password only when the guess limits allow."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or username is None or password is None:
            # Not a form on the web (the shell, a test client's login): nothing to limit.
            return super().authenticate(request, username, password, **kwargs)
        now, window = time.time(), settings.SIGNIN_GUESS_WINDOW_SECONDS
        counted = []
        for key, limit in _limits(request, username):
            if not ratelimits.hit(key, limit=limit, window_seconds=window, now=now):
                for done in counted:
                    ratelimits.give_back(done, window_seconds=window, now=now)
                request.too_many_guesses = True
                raise PermissionDenied  # authenticate() stops: no backend checks the password
            counted.append(key)
        user = super().authenticate(request, username, password, **kwargs)
        if user is not None:  # a right password is no guess
            for key in counted:
                ratelimits.give_back(key, window_seconds=window, now=now)
        return user

    async def aauthenticate(self, request, username=None, password=None, **kwargs):
        # ModelBackend's own async version would skip the limit.
        return await sync_to_async(self.authenticate)(request, username, password, **kwargs)


class GuessLimitMessage:
    """Says "wait" instead of "wrong password" when the limit refused to check it."""

    def get_invalid_login_error(self):
        if getattr(self.request, "too_many_guesses", False):
            return ValidationError(TOO_MANY_GUESSES, code="too_many_guesses")
        return super().get_invalid_login_error()


class SignInForm(GuessLimitMessage, AuthenticationForm):
    pass


class AdminSignInForm(GuessLimitMessage, AdminAuthenticationForm):
    pass


class SignInView(LoginView):
    form_class = SignInForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if getattr(self.request, "too_many_guesses", False):
            response.status_code = 429
        return response
