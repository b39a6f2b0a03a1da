"""Static files for production: hashed names, compressed copies, and module imports rewritten.

The meeting room's ES modules import each other by relative paths; with this flag Django's
manifest storage rewrites those imports to the hashed names too, so far-future caching is safe.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True


def not_collected() -> list[str]:
    """The static files the pages may name that ``collectstatic`` has not collected (yet, or
    since the last upgrade): without them every page that names one fails with HTTP 500.

    Empty when the storage needs no collecting (the development profile serves the sources).
    """
    from django.contrib.staticfiles import finders
    from django.contrib.staticfiles.storage import staticfiles_storage

    if not isinstance(staticfiles_storage, StaticStorage):
        return []
    collected, _ = staticfiles_storage.load_manifest()
    return sorted(
        path
        for finder in finders.get_finders()
        for path, _ in finder.list(["CVS", ".*", "*~"])
        if path not in collected
    )
