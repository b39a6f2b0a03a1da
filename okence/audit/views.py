"""The unit administrators' audit log: read only, filtered, one page at a time."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from okence.audit import log
from okence.audit.forms import LogFilterForm
from okence.offices.access import access_of

PER_PAGE = 50


@login_required
@require_GET
def audit_log(request):
    access = access_of(request.user)
    if access is None or not access.administers_any:
        raise Http404
    form = LogFilterForm(request.GET, access.administered_units())
    if "unit" in form.errors:  # a unit outside the user's scope: not found, existing or not
        raise Http404
    events = log.visible_to(access)
    if form.is_valid():
        events = log.filtered(events, zone=timezone.get_current_timezone(), **form.cleaned_data)
    else:
        events = events.none()
    page = Paginator(events, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/log.html",
        {
            "staff_access": access,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "keep_days": settings.AUDIT_KEEP_DAYS,
        },
        status=200 if form.is_valid() else 400,
    )
