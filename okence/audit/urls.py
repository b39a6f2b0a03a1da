from django.urls import path

from okence.audit import views

app_name = "audit"
urlpatterns = [
    path("uprava/revizija/", views.audit_log, name="log"),
]
