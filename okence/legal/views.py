"""The accessibility statement with its feedback form, and the privacy notice."""

import datetime

from django.conf import settings
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from okence import clientaddress
from okence.legal import services
from okence.legal.forms import FeedbackForm
from okence.personal_data import PERSONAL_DATA


def _organisation() -> dict:
    return {
        "name": settings.ORGANISATION_NAME,
        "address": settings.ORGANISATION_ADDRESS,
        "email": settings.ORGANISATION_EMAIL,
        "accessibility_email": settings.ACCESSIBILITY_CONTACT_EMAIL,
        "dpo_email": settings.DPO_EMAIL,
    }


@require_http_methods(["GET", "POST"])
def accessibility(request):
    form = FeedbackForm(request.POST or None)
    too_many = False
    if form.is_bound and form.is_valid():
        try:
            services.send_feedback(
                form.instance,
                client=clientaddress.of(request),
                language=get_language(),
                now=timezone.now(),
            )
        except services.TooMuchFeedback:
            too_many = True
        else:
            return redirect("legal:feedback_thanks")
    status = 200
    if form.is_bound:
        status = 429 if too_many else 400
    return render(
        request,
        "legal/accessibility.html",
        {
            "form": form,
            "too_many": too_many,
            "organisation": _organisation(),
            "status": settings.ACCESSIBILITY_STATUS,
            "prepared": datetime.date.fromisoformat(settings.ACCESSIBILITY_STATEMENT_DATE),
        },
        status=status,
    )


def feedback_thanks(request):
    return render(request, "legal/thanks.html", {"organisation": _organisation()})


def privacy(request):
    rules = [rule.in_words() for rule in PERSONAL_DATA]
    return render(request, "legal/privacy.html", {"rules": rules, "organisation": _organisation()})
