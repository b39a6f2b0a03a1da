"""The unit administrators' staff pages (/uprava/osebje/) and one's own account (/racun/)."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from okence.offices.access import StaffAccess, access_of
from okence.offices.models import Official
from okence.staff import services
from okence.staff.forms import InviteForm


def _administrator(request) -> StaffAccess:
    access = access_of(request.user)
    if access is None or not access.administers_any:
        raise Http404
    return access


def _official_in(unit, official_id) -> Official:
    """An official of the unit; 404 for anyone else, existing or not."""
    official = Official.objects.filter(pk=official_id, units=unit).select_related("user").first()
    if official is None:
        raise Http404
    return official


@login_required
def staff_list(request):
    access = _administrator(request)
    units = access.administered_units().prefetch_related("officials__user")
    return render(request, "staff/list.html", {"staff_access": access, "units": units})


@login_required
@require_http_methods(["GET", "POST"])
def invite(request, unit_id):
    access = _administrator(request)
    unit = access.administered_unit(unit_id)
    form = InviteForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        official = services.invite(request.user, unit, now=timezone.now(), **form.cleaned_data)
        messages.success(
            request,
            _("An invitation was sent to %(email)s.") % {"email": official.user.email},
        )
        return redirect("staff:list")
    return render(
        request,
        "staff/invite.html",
        {"staff_access": access, "unit": unit, "form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def reset_password(request, unit_id, official_id):
    access = _administrator(request)
    unit = access.administered_unit(unit_id)
    official = _official_in(unit, official_id)
    services.send_password_reset(request.user, official, unit, timezone.now())
    messages.success(
        request,
        _("A link to set a new password was sent to %(email)s.") % {"email": official.user.email},
    )
    return redirect("staff:list")


@login_required
@require_http_methods(["GET", "POST"])
def deactivate(request, unit_id, official_id):
    access = _administrator(request)
    unit = access.administered_unit(unit_id)
    official = _official_in(unit, official_id)
    if official.user_id == request.user.pk:
        raise Http404  # nobody locks themselves out; another administrator can
    now = timezone.now()
    if request.method == "POST" and official.user.is_active:
        services.deactivate(request.user, official, unit, now)
    return render(
        request,
        "staff/deactivate.html",
        {
            "staff_access": access,
            "unit": unit,
            "official": official,
            "appointments": services.future_appointments(official, now),
        },
    )


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The invitation's or the reset's one-time link: Django's own, checked by its validators."""

    template_name = "staff/set_password.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        messages.success(self.request, _("Your password is set. You can sign in now."))
        return super().form_valid(form)


class ChangePasswordView(auth_views.PasswordChangeView):
    template_name = "staff/account.html"
    success_url = reverse_lazy("staff:account")

    def dispatch(self, request, *args, **kwargs):
        if access_of(request.user) is None and request.user.is_authenticated:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(staff_access=access_of(self.request.user), **kwargs)

    def form_valid(self, form):
        messages.success(self.request, _("Your password is changed."))
        return super().form_valid(form)
