from django.contrib.auth.decorators import login_required
from django.urls import path

from okence.staff import views

app_name = "staff"
urlpatterns = [
    path("uprava/osebje/", views.staff_list, name="list"),
    path("uprava/osebje/<int:unit_id>/povabi/", views.invite, name="invite"),
    path(
        "uprava/osebje/<int:unit_id>/<int:official_id>/geslo/",
        views.reset_password,
        name="reset_password",
    ),
    path(
        "uprava/osebje/<int:unit_id>/<int:official_id>/deaktiviraj/",
        views.deactivate,
        name="deactivate",
    ),
    path("racun/", login_required(views.ChangePasswordView.as_view()), name="account"),
    path("racun/drugi-faktor/", views.second_factor, name="second_factor"),
    path("racun/potrditev/", views.verify, name="verify"),
    path(
        "racun/nastavi-geslo/<uidb64>/<token>/",
        views.SetPasswordView.as_view(),
        name="set_password",
    ),
]
