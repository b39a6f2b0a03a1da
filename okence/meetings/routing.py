from django.urls import path

from okence.meetings import consumers

websocket_urlpatterns = [
    path("ws/sestanek/<str:token>/", consumers.CitizenConsumer.as_asgi()),
    path("ws/uradnik/sestanek/<uuid:public_id>/", consumers.OfficialConsumer.as_asgi()),
    path("ws/uradnik/konzola/", consumers.ConsoleConsumer.as_asgi()),
]
