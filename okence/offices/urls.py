from django.urls import path

from okence.offices import views

app_name = "offices"
urlpatterns = [
    path("uprava/<int:unit_id>/", views.unit_home, name="unit"),
    path("uprava/<int:unit_id>/storitve/", views.service_list, name="services"),
    path("uprava/<int:unit_id>/storitve/nova/", views.service_edit, name="service_new"),
    path("uprava/<int:unit_id>/storitve/<int:service_id>/", views.service_edit, name="service"),
    path("uprava/<int:unit_id>/delovni-cas/", views.hours_list, name="hours"),
    path(
        "uprava/<int:unit_id>/delovni-cas/<int:official_id>/", views.hours_edit, name="hours_edit"
    ),
    path("uprava/<int:unit_id>/odsotnosti/", views.absences, name="absences"),
    path("uprava/<int:unit_id>/odsotnosti/<slug:kind>/", views.absence_add, name="absence_add"),
    path(
        "uprava/<int:unit_id>/odsotnosti/<slug:kind>/<int:pk>/izbrisi/",
        views.absence_delete,
        name="absence_delete",
    ),
]
