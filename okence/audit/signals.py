"""Sign-in and sign-out of members of staff go into the audit log (Django's own signals)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.utils import timezone

from okence import audit
from okence.audit.models import Action
from okence.offices.access import access_of


@receiver(user_logged_in, dispatch_uid="audit-signed-in")
def signed_in(sender, request, user, **kwargs):
    if access_of(user) is not None:  # a citizen has no account; only staff are recorded
        audit.record(user, Action.SIGNED_IN, now=timezone.now())


@receiver(user_logged_out, dispatch_uid="audit-signed-out")
def signed_out(sender, request, user, **kwargs):
    if user is not None and access_of(user) is not None:
        audit.record(user, Action.SIGNED_OUT, now=timezone.now())
