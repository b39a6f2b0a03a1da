from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from okence.meetings.signin import AdminSignInForm, SignInView

admin.site.login_form = AdminSignInForm  # says "wait" when the guess limit refuses

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
]
if settings.DEVELOPMENT:
    urlpatterns += [path("dev/outbox/", include("okence.outbox.urls"))]

urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("prijava/", SignInView.as_view(), name="login"),
    path("odjava/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("okence.meetings.urls")),
    path("", include("okence.exchange.urls")),
    path("", include("okence.surveys.urls")),
    path("", include("okence.reports.urls")),
    path("", include("okence.staff.urls")),
    path("", include("okence.audit.urls")),
    path("", include("okence.offices.urls")),
    path("", include("okence.legal.urls")),
    path("", include("okence.booking.urls")),
    prefix_default_language=False,
)
