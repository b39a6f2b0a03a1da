from django.urls import path

from okence.meetings import views

app_name = "meetings"
urlpatterns = [
    path("<str:token>/", views.room, name="room"),
]
