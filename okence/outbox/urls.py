from django.urls import path

from okence.outbox import views

app_name = "outbox"
urlpatterns = [
    path("", views.index, name="index"),
    path("<str:name>/html/", views.html_part, name="html"),
    path("<str:name>/attachment/<int:index>/", views.attachment, name="attachment"),
]
