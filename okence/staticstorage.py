"""Static files for production: hashed names, compressed copies, and module imports rewritten.

The meeting room's ES modules import each other by relative paths; with this flag Django's
manifest storage rewrites those imports to the hashed names too, so far-future caching is safe.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
