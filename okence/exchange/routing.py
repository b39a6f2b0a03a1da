from channels.auth import AuthMiddlewareStack
from django.urls import path, re_path

from okence.exchange import consumers
from okence.exchange.upload import UploadApp

websocket_urlpatterns = [
    path("ws/mapa/<str:token>/", consumers.FolderConsumer.as_asgi()),
    path("ws/uradnik/mapa/<uuid:public_id>/", consumers.FolderConsumer.as_asgi()),
]

# Served before Django, so that the body streams to disk as it arrives.
upload_urlpatterns = [
    re_path(r"^(?:(?P<language>[a-z]{2})/)?sestanek/(?P<token>[^/]+)/mapa/nalozi/$", UploadApp()),
    re_path(
        r"^(?:(?P<language>[a-z]{2})/)?uradnik/mapa/(?P<public_id>[0-9a-f-]{36})/nalozi/$",
        AuthMiddlewareStack(UploadApp()),
    ),
]
