from django.urls import path

from okence.meetings import agenda_views, views

app_name = "meetings"
urlpatterns = [
    path("sestanek/<str:token>/", views.room, name="room"),
    path("sestanek/<str:token>/preizkus/", views.check, name="check"),
    path("uradnik/", views.console, name="console"),
    path("uradnik/sestanek/<uuid:public_id>/", views.official_room, name="official_room"),
    path("uradnik/dnevni-red/", agenda_views.day, name="agenda_day"),
    path("uradnik/teden/", agenda_views.week, name="agenda_week"),
    path("uradnik/termin/<uuid:public_id>/odpoved/", agenda_views.cancel, name="cancel"),
    path("uradnik/termin/<uuid:public_id>/izostanek/", agenda_views.no_show, name="no_show"),
    path("uradnik/termin/<uuid:public_id>/zapisek/", agenda_views.note, name="note"),
    path("uradnik/koledar/", agenda_views.calendar_feed_settings, name="calendar_feed_settings"),
    path("koledar/<str:token>.ics", agenda_views.calendar_feed_file, name="calendar_feed"),
]
