from django.urls import path

from okence.legal import views

app_name = "legal"
urlpatterns = [
    path("dostopnost/", views.accessibility, name="accessibility"),
    path("dostopnost/hvala/", views.feedback_thanks, name="feedback_thanks"),
    path("zasebnost/", views.privacy, name="privacy"),
]
