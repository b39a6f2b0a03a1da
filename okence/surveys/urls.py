from django.urls import path

from okence.surveys import views

app_name = "surveys"
urlpatterns = [
    path("sestanek/<str:token>/anketa/", views.from_meeting, name="from_meeting"),
    path("sestanek/<str:token>/anketa/hvala/", views.thanks, name="meeting_thanks"),
    path("anketa/<str:token>/", views.from_email, name="answer"),
    path("anketa/<str:token>/hvala/", views.thanks, name="thanks"),
]
