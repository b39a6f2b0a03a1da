"""Statistics for unit and organisation administrators, their charts and exports, and the public
open-data feed of aggregates."""

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from okence import audit
from okence.audit.models import Action
from okence.offices.models import Unit
from okence.reports import charts, exports, statistics
from okence.reports import open_data as open_data_feed
from okence.reports.forms import FilterForm
from okence.reports.scope import scope_of


def _filters(request):
    scope = scope_of(request.user)
    if scope is None:
        raise Http404
    form = FilterForm(request.GET, scope)
    if not form.is_valid():
        return scope, form, None
    data = form.cleaned_data
    return (
        scope,
        form,
        statistics.Filters(
            first_day=data["first_day"],
            last_day=data["last_day"],
            unit_ids=form.unit_ids(),
            service_id=data.get("service"),
            official_id=data.get("official"),
        ),
    )


@login_required
@require_GET
def overview(request):
    scope, form, filters = _filters(request)
    context = {"form": form, "scope": scope}
    if filters is not None:
        report = statistics.withheld(statistics.report(filters))
        query = request.GET.urlencode()
        context |= {
            "report": report,
            "outcomes": charts.outcome_rows(report),
            "weekdays": list(zip(exports.weekday_names(), report.by_weekday, strict=True)),
            "hours": sorted(report.by_hour.items()),
            "comment_groups": statistics.comments(
                filters, scope.comment_unit_ids, timezone.localdate()
            ),
            "minimum_group": statistics.MINIMUM_GROUP,
            "shows_comments": bool(scope.comment_unit_ids & filters.unit_ids),
            "chart_urls": {  # keyed over_time etc.: a template cannot look up "over-time"
                name.replace("-", "_"): reverse("reports:chart", args=[name]) + f"?{query}"
                for name in ("over-time", "ratings", "outcomes")
            },
            "csv_url": reverse("reports:csv") + f"?{query}",
            "xlsx_url": reverse("reports:xlsx") + f"?{query}",
        }
    return render(
        request, "reports/overview.html", context, status=200 if filters is not None else 400
    )


@login_required
@require_GET
def chart(request, name: str):
    _scope, _form, filters = _filters(request)
    if filters is None:
        raise Http404
    report = statistics.withheld(statistics.report(filters))
    render_chart = {
        "over-time": lambda: charts.over_time(report.by_day),
        "ratings": lambda: charts.ratings(report.rating_counts),
        "outcomes": lambda: charts.outcomes(report),
    }.get(name)
    if render_chart is None:
        raise Http404
    return HttpResponse(render_chart(), content_type="image/svg+xml")


EXPORTS = {
    "csv": ("text/csv; charset=utf-8", exports.to_csv),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        exports.to_xlsx,
    ),
}


@login_required
@require_GET
def export(request, kind: str):
    """The figures of the page, with its period and filters: never a name or a message."""
    _scope, form, filters = _filters(request)
    if filters is None:
        raise Http404
    content_type, write = EXPORTS[kind]
    body = write(
        exports.tables(statistics.withheld(statistics.report(filters))), exports.filter_rows(form)
    )
    # One entry per unit the export covers, so each unit's administrators see it in their log.
    for unit in Unit.objects.filter(pk__in=filters.unit_ids):
        audit.record(request.user, Action.EXPORT_DOWNLOADED, unit=unit, now=timezone.now())
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="okence-{filters.first_day}-{filters.last_day}.{kind}"'
    )
    return response


def _public(response):
    """Open data may be read by any site's scripts: it carries nothing personal or per user."""
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
@cache_control(public=True, max_age=3600)
def open_data(request):
    """The public open-data feed: per unit and finished month, aggregates only."""
    today = timezone.localdate()
    try:
        year = int(request.GET.get("leto", today.year))
    except ValueError:
        raise Http404 from None
    if not 2000 <= year <= today.year:
        raise Http404
    body = open_data_feed.feed(year)
    return _public(JsonResponse(body, json_dumps_params={"ensure_ascii": False}))


@require_GET
@cache_control(public=True, max_age=3600)
def open_data_schema(request):
    path = settings.BASE_DIR / "docs" / "open-data.schema.json"
    return _public(JsonResponse(json.loads(path.read_text())))
