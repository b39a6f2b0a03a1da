"""Response headers decided by the page: whether it may be stored, and who may use the camera.

One rule for every page, by its URL name, so that a new page is covered before anyone thinks of it:

- Every page is private: ``Cache-Control: no-store`` (Django's never-cache headers), so that a
  page that carries a token in its address or personal data (a hold, the manage page, a meeting,
  a folder and its downloads, a survey, the console, statistics and their export, the admin) is
  never kept by a browser, its back-forward cache or a proxy. Only the pages in ``PUBLIC_PAGES``,
  the same for everyone, keep their own caching.
- Only the pages in ``MEDIA_PAGES`` may ask for the camera, the microphone and the screen; every
  other page, and anything any page embeds, may not.

``okence/tests/test_page_headers.py`` fails on a URL pattern that is in neither list of its own.
"""

from django.utils.cache import add_never_cache_headers
from django.utils.deprecation import MiddlewareMixin

# The same for everyone, with no token in the address and no personal data.
PUBLIC_PAGES = frozenset(
    {
        "booking:units",
        "booking:services",
        "booking:calendar",
        "reports:open_data",
        "reports:open_data_schema",
        "legal:privacy",
        "legal:feedback_thanks",
    }
)

# Pages where a participant's browser sends video and sound: the meeting pages (the citizen's
# waiting room and meeting, the official's meeting), and where the citizen tries the camera and
# microphone before the day (the check page, which sends nothing anywhere).
MEDIA_PAGES = frozenset({"meetings:room", "meetings:official_room", "meetings:check"})

MEDIA_FEATURES = ("camera", "microphone", "display-capture")
MEDIA_ALLOWED = ", ".join(f"{feature}=(self)" for feature in MEDIA_FEATURES)
MEDIA_DENIED = ", ".join(f"{feature}=()" for feature in MEDIA_FEATURES)


def page_name(request) -> str | None:
    """The page's URL name with its namespace, e.g. ``booking:verify``; None when none matched."""
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else None


class PageHeadersMiddleware(MiddlewareMixin):
    def process_response(self, request, response):
        name = page_name(request)
        if name not in PUBLIC_PAGES:
            add_never_cache_headers(response)
        response["Permissions-Policy"] = MEDIA_ALLOWED if name in MEDIA_PAGES else MEDIA_DENIED
        return response
