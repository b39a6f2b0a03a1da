"""Django's ASGI handler, running each request's middleware and view as one stretch of sync code.

Okence's middleware and views are sync. Django's ``ASGIHandler`` runs the middleware chain as
async code and crosses into the request's thread wherever it meets sync code: the sync-only
middleware, then the view's middleware (CSRF's ``process_view``), then the view, each a handoff
between the event loop and the thread. On a kept calendar page those handoffs cost more than
the page itself. This handler loads the chain as Django does for WSGI and crosses once for all
of it; the request's start and end (Django's signals), reading the body and sending the
response stay as Django does them, on the event loop.
"""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class SyncChainHandler(ASGIHandler):
    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        # In the request's own thread (ThreadSensitiveContext), as Django runs a sync view.
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
