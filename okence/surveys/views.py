"""The survey page: from the meeting page when it ends, or from the follow-up e-mail."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from okence.surveys import services
from okence.surveys.forms import SurveyForm


def _survey(request, ticket, thanks_url: str):
    if ticket is None:
        raise Http404
    now = timezone.now()
    current = services.state(ticket, now)
    form = SurveyForm(request.POST if request.method == "POST" and current == "open" else None)
    if form.is_bound and form.is_valid():
        try:
            services.answer(ticket, form.cleaned_data["rating"], form.cleaned_data["comment"], now)
        except services.SurveyClosed as closed:
            current = closed.reason
        else:
            return redirect(thanks_url)
    return render(
        request,
        "surveys/survey.html",
        {
            "form": form,
            "state": current,
            "appointment": ticket.appointment,
        },
        status=200 if current == "open" or request.method == "GET" else 409,
    )


@require_http_methods(["GET", "POST"])
def from_meeting(request, token: str):
    return _survey(request, services.by_meeting_token(token), request.path + "hvala/")


@require_http_methods(["GET", "POST"])
def from_email(request, token: str):
    return _survey(request, services.by_token(token), request.path + "hvala/")


def thanks(request, token: str):
    ticket = services.by_meeting_token(token) or services.by_token(token)
    if ticket is None:
        raise Http404
    return render(request, "surveys/thanks.html", {"appointment": ticket.appointment})
