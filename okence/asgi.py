"""The ASGI entry point: HTTP through Django, WebSockets through Channels.

WebSockets check that the Origin is the site's own, scheme, host and port alike (a page
elsewhere cannot open a socket with the official's cookies: okence/websocket_origin.py) and
carry the Django session, so officials are known by their sign-in.
Uploads to a shared folder are a small ASGI app of their own in front of Django, so that the
body streams to disk as it arrives instead of being read whole first; so are the probes
(``/healthz``, ``/readyz``) and ``/metrics``, which no middleware of Django's must turn away.
Every request and connection gets a request id (okence.request_id) for the logs.
Their checks run in worker processes, started here with the server.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okence.settings")
django.setup(set_prefix=False)  # as django.core.asgi.get_asgi_application does

from okence.server.asgi_handler import SyncChainHandler  # noqa: E402  (needs Django set up first)

django_application = SyncChainHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path, re_path  # noqa: E402

from okence import health, metrics  # noqa: E402
from okence.exchange import inspection  # noqa: E402
from okence.exchange import routing as exchange  # noqa: E402
from okence.meetings import routing as meetings  # noqa: E402
from okence.request_id import RequestIdMiddleware  # noqa: E402
from okence.websocket_origin import SameOriginValidator  # noqa: E402

application = RequestIdMiddleware(
    ProtocolTypeRouter(
        {
            "http": URLRouter(
                [
                    path("healthz", health.liveness),
                    path("readyz", health.readiness),
                    path("metrics", metrics.endpoint),
                    *metrics.counting_uploads(exchange.upload_urlpatterns),
                    re_path(r"", django_application),
                ]
            ),
            "websocket": SameOriginValidator(
                AuthMiddlewareStack(
                    URLRouter(
                        metrics.counting_websockets(
                            [*meetings.websocket_urlpatterns, *exchange.websocket_urlpatterns]
                        )
                    )
                )
            ),
        }
    )
)

inspection.start()
