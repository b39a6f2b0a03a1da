from django.urls import path

from okence.meetings import views

app_name = "meetings"
urlpatterns = [
    path("sestanek/<str:token>/", views.room, name="room"),
    path("uradnik/", views.console, name="console"),
    path("uradnik/sestanek/<uuid:public_id>/", views.official_room, name="official_room"),
]
