"""The unit administrators' staff pages (/uprava/osebje/) and one's own account (/racun/)."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from okence import audit
from okence.audit.models import Action
from okence.booking import conflicts as booking_conflicts
from okence.offices.access import StaffAccess, access_of
from okence.offices.models import Official
from okence.staff import second_factor as second_factor_rules
from okence.staff import services
from okence.staff.forms import CodeForm, InviteForm


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
    """Deactivate an official, deciding for each of their appointments to come: move it to a
    colleague free at the same time, or cancel it with a message to the citizen."""
    access = _administrator(request)
    unit = access.administered_unit(unit_id)
    official = _official_in(unit, official_id)
    if official.user_id == request.user.pk:
        raise Http404  # nobody locks themselves out; another administrator can
    now = timezone.now()
    error, status = "", 200
    to_decide, elsewhere = services.appointments_to_hand_over(access, official, now)
    if request.method == "POST" and (official.user.is_active or to_decide or elsewhere):
        try:
            services.deactivate(access, official, unit, request.POST, now)
        except services.NotDecided:
            error, status = _("Choose what happens to every appointment."), 400
        except IntegrityError:  # the chosen colleague's time was taken meanwhile
            error = _("Someone has just booked the official you chose; choose again.")
            status = 409
        else:
            messages.success(request, _("%(name)s is deactivated.") % {"name": official})
            return redirect("staff:list")
        to_decide, elsewhere = services.appointments_to_hand_over(access, official, now)
    return render(
        request,
        "staff/deactivate.html",
        {
            "staff_access": access,
            "unit": unit,
            "official": official,
            "rows": booking_conflicts.form_rows(to_decide, request.POST),
            "elsewhere": elsewhere,
            "error": error,
        },
        status=status,
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


@login_required
@require_http_methods(["GET", "POST"])
def second_factor(request):
    """Turn the authenticator app on (the secret, then a code to confirm it) or off."""
    access = access_of(request.user)
    if access is None:
        raise Http404
    device = second_factor_rules.confirmed_device(request.user)
    if device is not None:
        if request.method == "POST" and not second_factor_rules.must_enrol(request.user):
            TOTPDevice.objects.filter(user=request.user).delete()
            audit.record(request.user, Action.SECOND_FACTOR_CHANGED, now=timezone.now())
            messages.success(request, _("The second factor is turned off."))
            return redirect("staff:second_factor")
        return render(
            request,
            "staff/second_factor.html",
            {
                "staff_access": access,
                "device": device,
                "required": second_factor_rules.must_enrol(request.user),
            },
        )
    pending, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "Okence"}
    )
    form = CodeForm(request.POST if request.method == "POST" else None, pending)
    if form.is_valid():
        TOTPDevice.objects.filter(pk=pending.pk).update(confirmed=True)
        pending.confirmed = True
        otp_login(request, pending)
        audit.record(request.user, Action.SECOND_FACTOR_CHANGED, now=timezone.now())
        messages.success(request, _("The second factor is on."))
        return redirect("staff:second_factor")
    return render(
        request,
        "staff/second_factor.html",
        {
            "staff_access": access,
            "form": form,
            "secret": second_factor_rules.secret_of(pending),
            "config_url": pending.config_url,
            "required": second_factor_rules.must_enrol(request.user),
        },
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    """The code after the password, for an account with the second factor on."""
    device = second_factor_rules.confirmed_device(request.user)
    if device is None:
        return redirect("meetings:console")
    form = CodeForm(request.POST if request.method == "POST" else None, device)
    if form.is_valid():
        otp_login(request, device)
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
            target = reverse("meetings:console")
        return redirect(target)
    return render(
        request, "staff/verify.html", {"form": form}, status=400 if form.is_bound else 200
    )
