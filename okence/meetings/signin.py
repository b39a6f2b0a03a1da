"""Staff sign-in with a limit on wrong passwords: per account and per address, 10 a quarter of
an hour. Past the limit the form says to wait, and no password is checked at all."""

import hashlib
import time

from django.contrib.auth.views import LoginView
from django.utils.translation import gettext_lazy as _

from okence import clientaddress, ratelimits

WINDOW_SECONDS = 15 * 60
MAX_FAILURES = 10


class SignInView(LoginView):
    def _keys(self) -> list[str]:
        username = self.request.POST.get("username", "").strip().lower()
        account = hashlib.sha256(username.encode()).hexdigest()[:32]
        return [f"signin:account:{account}", f"signin:ip:{clientaddress.of(self.request)}"]

    def _blocked(self) -> bool:
        now = time.time()
        return any(
            ratelimits.used(key, window_seconds=WINDOW_SECONDS, now=now) >= MAX_FAILURES
            for key in self._keys()
        )

    def post(self, request, *args, **kwargs):
        if self._blocked():
            form = self.get_form()
            form.errors.clear()
            form.add_error(
                None, _("Too many unsuccessful sign-ins. Please wait 15 minutes and try again.")
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        now = time.time()
        for key in self._keys():
            ratelimits.hit(key, limit=MAX_FAILURES, window_seconds=WINDOW_SECONDS, now=now)
        return super().form_invalid(form)
