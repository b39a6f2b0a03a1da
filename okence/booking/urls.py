from django.urls import path

from okence.booking import views

app_name = "booking"
urlpatterns = [
    path("", views.units, name="units"),
    path("rezervacija/<str:token>/", views.verify, name="verify"),
    path("rezervacija/<str:token>/potrjeno/", views.done, name="done"),
    path("termin/<str:token>/", views.manage, name="manage"),
    path("termin/<str:token>/prestavi/", views.reschedule, name="reschedule"),
    path("<slug:unit>/", views.services, name="services"),
    path("<slug:unit>/<slug:service>/", views.calendar, name="calendar"),
    path("<slug:unit>/<slug:service>/podatki/", views.details, name="details"),
]
