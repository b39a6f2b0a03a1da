"""Okence settings: one module, read from environment variables.

Safe for production by default: ``DEBUG`` is off and ``SECRET_KEY`` is required. The development
profile (``OKENCE_PROFILE=development``, chosen by ``make run``) runs everything in one process on
SQLite with e-mail written to an outbox folder. See ``.env.example`` for every variable.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from okence import logs
from okence.env import envbool, envint, envlist, envstr, smtp_options

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("OKENCE_VAR_DIR", str(BASE_DIR / "var")))

PROFILE = envstr("OKENCE_PROFILE", "production")
if PROFILE not in {"production", "development", "test"}:
    raise ImproperlyConfigured(f"OKENCE_PROFILE must be production, development or test: {PROFILE}")
DEVELOPMENT = PROFILE in {"development", "test"}
TESTING = PROFILE == "test"

DEBUG = envbool("DEBUG", False)
SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if not DEVELOPMENT:
        raise ImproperlyConfigured("SECRET_KEY is required outside the development profile.")
    SECRET_KEY = "development-only-not-secret"  # noqa: S105

# The public address that links in e-mails name; never taken from a request's Host header. Unset in
# development, it follows the address `manage.py serve` binds (okence/server: `make run PORT=9000`).
SITE_URL = (envstr("SITE_URL") or "").rstrip("/")
SITE_URL_FOLLOWS_SERVE = DEVELOPMENT and not SITE_URL
SITE_URL = SITE_URL or "http://127.0.0.1:8000"
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEVELOPMENT else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
# The proxies whose X-Forwarded-For and X-Forwarded-Proto `manage.py serve` believes: the client
# address every per-address limit counts (okence/clientaddress.py) comes from them. Comma-separated
# addresses or networks; "*" trusts anyone who can reach the port (only for a unix socket).
FORWARDED_ALLOW_IPS = envlist("FORWARDED_ALLOW_IPS", ["127.0.0.1"])

INSTALLED_APPS = [
    "modeltranslation",  # before the admin, whose forms it extends with the languages' fields
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "okence.offices",
    "okence.booking",
    "okence.meetings",
    "okence.outbox",
    "okence.exchange",
    "okence.surveys",
    "okence.reports",
    "okence.server",
    "okence.ratelimits",
    "okence.audit",
    "okence.staff",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "okence.legal",
]

MIDDLEWARE = [
    "okence.metrics.CountRequests",  # first, so that it sees every answer
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "okence.page_headers.PageHeadersMiddleware",  # after WhiteNoise: static files stay cacheable
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: it is sync-only, and under Django's own ASGI handler every middleware below it would
    # run async, Django's own crossing into the request's thread for each of their methods
    # (Okence serves with okence/server/asgi_handler.py, which runs the whole chain sync).
    "okence.staff.second_factor.SecondFactorMiddleware",  # every page, the admin included
]

ROOT_URLCONF = "okence.urls"
ASGI_APPLICATION = "okence.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "okence" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL names another (PostgreSQL at scale).
_env = environ.Env()
DATABASE_URL = envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'okence.sqlite3'}")
DATABASES = {"default": _env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock at BEGIN, so concurrent claims queue up instead of
    # failing on a lock upgrade; WAL lets readers go on while one writer works.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests race threads on the database: an in-memory test database makes a second writer fail at
    # once ("database table is locked") instead of queueing, so tests use a file too.
    # One file per test run, so that two runs at once do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and (
    _pool_size := envint("DATABASE_POOL_SIZE", 0)
):
    # Django closes the database connection after every request; under ASGI it cannot keep it
    # (each request runs in a thread of its own), so without a pool every page pays for a new
    # PostgreSQL connection and server process. The pool keeps up to this many per process.
    DATABASES["default"]["OPTIONS"] = {"pool": {"min_size": 1, "max_size": _pool_size}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache holds nothing that must last or be complete: rate limits and the meeting chat are kept
# in the database, where a restart or a full cache cannot take them.
REDIS_URL = envstr("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # channels_redis waits for messages with blocking reads of 5 s; redis-py 8 would time
            # the socket out at 5 s too and drop quiet WebSockets (django/channels_redis#422).
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": None}]},
        }
    }
else:
    # Room for every service's kept calendar pages (≈ 10 KB each, okence/booking/calendar_page.py)
    # and free times in one process: Django's default of 300 entries would cull them in a rush.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 3000},
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Background jobs: huey on SQLite inside the web process by default, on Redis with separate workers
# at scale; in tests they run inline. E-mail deliveries have a queue of their own
# (HUEY_DELIVERIES, okence/outbox/delivery_queue.py): a mail server that does not answer holds up
# deliveries only, never the periodic jobs (expiring holds, purging folders, retention).
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "okence",
        "url": REDIS_URL,
        "immediate": TESTING,
    }
    HUEY_DELIVERIES = HUEY | {"name": "okence-deliveries"}
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "okence",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": TESTING,
    }
    # A file of its own, so that the two queues' workers never wait on each other's write lock.
    HUEY_DELIVERIES = HUEY | {
        "name": "okence-deliveries",
        "filename": str(VAR_DIR / "huey-deliveries.sqlite3"),
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Every password check counts against the guess limits (okence/meetings/signin.py): wrong staff
# passwords per account from one address, and per address over all accounts, per window.
AUTHENTICATION_BACKENDS = ["okence.meetings.signin.GuessLimitedBackend"]
SIGNIN_GUESS_WINDOW_SECONDS = 15 * 60
SIGNIN_GUESSES_PER_ACCOUNT_AND_ADDRESS = envint("SIGNIN_GUESSES_PER_ACCOUNT_AND_ADDRESS", 10)
SIGNIN_GUESSES_PER_ADDRESS = envint("SIGNIN_GUESSES_PER_ADDRESS", 30)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "meetings:console"
LOGOUT_REDIRECT_URL = "login"
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only

LANGUAGE_CODE = "sl"
# Italian and Hungarian are official in the bilingual areas (Koper, Izola, Piran; Lendava); which of
# these a unit offers is set per unit (offices.Unit.languages).
LANGUAGES = [
    ("sl", _("Slovenian")),
    ("en", _("English")),
    ("it", _("Italian")),
    ("hu", _("Hungarian")),
]
LOCALE_PATHS = [BASE_DIR / "okence" / "locale"]
# The names, descriptions and preparation lists of units and services have a column per language
# (offices/translation.py); Slovenian is required and shown where a translation is missing.
MODELTRANSLATION_DEFAULT_LANGUAGE = "sl"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("sl",)
MODELTRANSLATION_PREPOPULATE_LANGUAGE = "sl"  # the admin's slugs come from the Slovenian name
# A unit or service made in code with name="..." gets it as its Slovenian name, whatever the
# active language (load_demo, the tests).
MODELTRANSLATION_AUTO_POPULATE = "default"


def MODELTRANSLATION_BUILD_LOCALIZED_VERBOSE_NAME(verbose_name, language):  # noqa: N802
    from okence.offices.content import localized_verbose_name

    return localized_verbose_name(verbose_name, language)


TIME_ZONE = "Europe/Ljubljana"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = None if DEVELOPMENT else VAR_DIR / "static"  # collected for production only
STATICFILES_DIRS = [BASE_DIR / "okence" / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "media")},
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEVELOPMENT
        else "okence.staticstorage.StaticStorage"
    },
}
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEVELOPMENT

# E-mail. Messages are queued in the database and delivered by background jobs with retries.
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Okence <okence@localhost>")
OUTBOX_DIR = VAR_DIR / "outbox"
SMTP_URL = envstr("SMTP_URL")  # smtp+tls://user:password@host:587, smtp+ssl://...:465 (env.py)
if SMTP_URL:
    MAILERS = {
        "default": {
            "BACKEND": "okence.outbox.backends.SmtpBackend",
            "OPTIONS": smtp_options(SMTP_URL, ca_file=envstr("SMTP_CA_FILE"))
            | {
                # A server that takes the connection but does not greet us is down: give up soon.
                "connect_timeout": envint("SMTP_CONNECT_TIMEOUT", 5),
                # Once it has answered, it may take its time with the message (spam checks).
                "timeout": envint("SMTP_TIMEOUT", 30),
            },
        }
    }
elif DEVELOPMENT:
    MAILERS = {
        "default": {
            "BACKEND": "okence.outbox.backends.OutboxFolderBackend",
            "OPTIONS": {"folder": str(OUTBOX_DIR)},
        }
    }
else:
    raise ImproperlyConfigured("SMTP_URL is required outside the development profile.")
EMAIL_RETRY_DELAYS = [60, 120, 300, 600, 1800, 3600]  # seconds after each failed attempt

# Security headers. A strict CSP with nonces: no inline script or style without the nonce, no
# third-party origins.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "media-src": [CSP.SELF, "blob:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
HTTPS = SITE_URL.startswith("https://")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and envbool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
# includeSubDomains and preload bind every host under the domain to HTTPS for a year or for good;
# an administrative unit's domain has hosts Okence does not run, so only its owner can decide
# that (SECURE_HSTS_INCLUDE_SUBDOMAINS, SECURE_HSTS_PRELOAD). `check --deploy` warns of the two
# off; they are silenced deliberately, for that reason (docs/deploy.md).
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SESSION_COOKIE_HTTPONLY = True

# Booking rules.
BOOKING_HOLD_MINUTES = 10  # a code (and its hold) lasts this long, longer if its e-mail is retried
BOOKING_HOLD_MAX_MINUTES = 30  # but no hold lasts longer than this from its first code
BOOKING_CODE_MAX_WRONG_TRIES = 5
BOOKING_CODE_RESEND_INTERVAL_SECONDS = 60
BOOKING_CODE_SENDS_PER_HOUR = 5
BOOKING_KEEP_PERSONAL_DAYS = envint("BOOKING_KEEP_PERSONAL_DAYS", 90)  # after the meeting's end
OUTBOX_KEEP_SENT_HOURS = envint("OUTBOX_KEEP_SENT_HOURS", 24)  # delivered mail holds tokens
OUTBOX_KEEP_FAILED_DAYS = envint("OUTBOX_KEEP_FAILED_DAYS", 7)  # for the operator to look into
BOOKING_HOLDS_PER_IP_PER_HOUR = envint("BOOKING_HOLDS_PER_IP_PER_HOUR", 20)

# Meetings. The embedded default needs neither STUN nor TURN: browsers on one network find each
# other by their host candidates.
MEETING_OPENS_MINUTES_BEFORE = envint("MEETING_OPENS_MINUTES_BEFORE", 10)
MEETING_CLOSES_MINUTES_AFTER_END = envint("MEETING_CLOSES_MINUTES_AFTER_END", 120)
# Whether an official's calendar feed names the citizen in each event (otherwise only the service).
CALENDAR_FEED_NAMES = envbool("CALENDAR_FEED_NAMES", False)
STUN_URLS = envlist("STUN_URLS", [])  # e.g. stun:turn.example.si:3478
TURN_URLS = envlist("TURN_URLS", [])  # e.g. turn:turn.example.si:3478?transport=udp
TURN_SECRET = envstr("TURN_SECRET", "")  # coturn's static-auth-secret
TURN_CREDENTIAL_GRACE_MINUTES = 15  # credentials last the meeting's length plus this
MEETING_ICE_TRANSPORT_POLICY = envstr("MEETING_ICE_TRANSPORT_POLICY", "all")  # or "relay"
WEBSOCKET_MAX_MESSAGE_BYTES = 64 * 1024
WEBSOCKET_MESSAGES_PER_SECOND = 20  # sustained, per connection
WEBSOCKET_MESSAGE_BURST = 100

# Shared folders. Files go through Django's storage API: local disk by default, S3-compatible
# storage when EXCHANGE_S3_BUCKET is set (credentials and endpoint from the AWS_* variables).
EXCHANGE_MAX_FILE_BYTES = envint("EXCHANGE_MAX_FILE_MB", 20) * 1024 * 1024
EXCHANGE_MAX_FOLDER_BYTES = envint("EXCHANGE_MAX_FOLDER_MB", 100) * 1024 * 1024
EXCHANGE_MAX_FILES = envint("EXCHANGE_MAX_FILES", 20)
EXCHANGE_ALLOWED_TYPES = envlist(
    "EXCHANGE_ALLOWED_TYPES", ["pdf", "jpg", "jpeg", "png", "docx", "xlsx", "odt", "ods"]
)
EXCHANGE_MAX_IMAGE_PIXELS = envint("EXCHANGE_MAX_IMAGE_MEGAPIXELS", 50) * 1_000_000
# What an office document may unpack to, and a PDF decompress to, while it is checked.
EXCHANGE_MAX_UNPACKED_BYTES = envint("EXCHANGE_MAX_UNPACKED_MB", 200) * 1024 * 1024
EXCHANGE_GRACE_MINUTES = envint("EXCHANGE_GRACE_MINUTES", 60)  # files stay this long after the end
# Uploads in flight: at most this many at once per folder and per uploader (a citizen's address,
# an official's sign-in), each holding its declared size of the folder's room until it ends. A
# body that sends nothing for STALL seconds, or is not all there after UPLOAD seconds, is dropped.
EXCHANGE_UPLOADS_PER_FOLDER = envint("EXCHANGE_UPLOADS_PER_FOLDER", 2)
EXCHANGE_UPLOADS_PER_ADDRESS = envint("EXCHANGE_UPLOADS_PER_ADDRESS", 3)
EXCHANGE_UPLOAD_STALL_SECONDS = envint("EXCHANGE_UPLOAD_STALL_SECONDS", 30)
EXCHANGE_UPLOAD_SECONDS = envint("EXCHANGE_UPLOAD_SECONDS", 900)
# After this many refused uploads a visitor may upload no more into that folder.
EXCHANGE_MAX_REFUSED = envint("EXCHANGE_MAX_REFUSED", 20)
# The file checks run in worker processes; one that takes longer is killed and the file refused.
EXCHANGE_CHECK_WORKERS = envint("EXCHANGE_CHECK_WORKERS", 2)
EXCHANGE_CHECK_SECONDS = envint("EXCHANGE_CHECK_SECONDS", 30)
# A request whose head (request line and headers) is not all there after this long is dropped.
HTTP_HEADER_SECONDS = envint("HTTP_HEADER_SECONDS", 10)
CLAMD_ADDRESS = envstr("CLAMD_ADDRESS", "")  # /run/clamav/clamd.ctl or host:port; empty: no scan
FILE_UPLOAD_TEMP_DIR = envstr("FILE_UPLOAD_TEMP_DIR") or None
EXCHANGE_S3_BUCKET = envstr("EXCHANGE_S3_BUCKET", "")
if EXCHANGE_S3_BUCKET:
    STORAGES["exchange"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": EXCHANGE_S3_BUCKET,
            "endpoint_url": envstr("AWS_S3_ENDPOINT_URL") or None,
            "access_key": envstr("AWS_ACCESS_KEY_ID") or None,
            "secret_key": envstr("AWS_SECRET_ACCESS_KEY") or None,
            "region_name": envstr("AWS_S3_REGION_NAME") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    STORAGES["exchange"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "exchange")},
    }

# The survey after a meeting.
SURVEY_VALID_DAYS = 14
# Answers are not linked to anyone, but a comment is free text that may still name a person.
AUDIT_KEEP_DAYS = envint("AUDIT_KEEP_DAYS", 365)  # what staff did, for the unit administrators
SURVEY_KEEP_COMMENTS_DAYS = envint("SURVEY_KEEP_COMMENTS_DAYS", 365)  # after the meeting's day
SURVEY_FOLLOW_UP_AFTER_MINUTES = envint("SURVEY_FOLLOW_UP_AFTER_MINUTES", 30)
# Unit and organisation administrators must turn on the second factor (an authenticator app).
STAFF_REQUIRE_SECOND_FACTOR_FOR_ADMINISTRATORS = envbool(
    "STAFF_REQUIRE_SECOND_FACTOR_FOR_ADMINISTRATORS", False
)
OTP_TOTP_ISSUER = "Okence"

# Metrics at /metrics for Prometheus, with this bearer token; without one /metrics is not served.
METRICS_TOKEN = envstr("METRICS_TOKEN", "")

# Logs: one JSON object a line in production (LOG_FORMAT=json), readable text in development,
# each with the request's id; without tokens, codes, e-mail addresses, query strings or (unless
# LOG_CLIENT_ADDRESSES) the addresses citizens connect from. See docs/operations.md.
LOG_FORMAT = envstr("LOG_FORMAT", "text" if DEVELOPMENT else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text: {LOG_FORMAT}")
LOG_CLIENT_ADDRESSES = envbool("LOG_CLIENT_ADDRESSES", False)
LOG_LEVEL = envstr("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_tokens": {"()": "okence.redaction.RedactTokens"},
        "redact_email_addresses": {"()": "okence.redaction.RedactEmailAddresses"},
        "redact_addresses": {"()": "okence.redaction.RedactAddresses"},
        "access_log_without_query": {"()": "okence.logs.AccessLogWithoutQuery"},
        "request_id": {"()": "okence.logs.AddRequestId"},
    },
    "formatters": {
        "json": logs.JSON_FORMATTER,
        "text": logs.TEXT_FORMATTER,
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "level": LOG_LEVEL,
            "formatter": LOG_FORMAT,
            "filters": [
                "access_log_without_query",
                "redact_tokens",
                "redact_email_addresses",
                *([] if LOG_CLIENT_ADDRESSES else ["redact_addresses"]),
                "request_id",
            ],
        },
        "metrics": {"class": "okence.metrics.CountEvents"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # uvicorn's loggers go through the same handler (serve passes log_config=None), so that its
    # access log is redacted too.
    "loggers": {
        # The services' events (INFO) are counted for the metrics whatever LOG_LEVEL lets through.
        "okence": {"handlers": ["metrics"], "level": "DEBUG" if LOG_LEVEL == "DEBUG" else "INFO"},
        # Never DEBUG, whatever LOG_LEVEL says: at DEBUG the template engine logs every missing
        # variable with the whole context (a citizen's name, e-mail, chat), the database every
        # query with its parameters, and uvicorn.error every WebSocket frame (chat, names).
        "django.template": {"level": "INFO"},
        "django.db.backends": {"level": "INFO"},
        # uvicorn's own configuration, when something applied it, stops them propagating.
        "uvicorn": {"level": "INFO", "propagate": True},
        "uvicorn.error": {"level": "INFO", "propagate": True},
        "uvicorn.access": {"level": "INFO", "propagate": True},
    },
}

# The organisation that runs this Okence, named on the legal pages (the accessibility statement
# and the privacy notice); feedback on accessibility goes to its contact.
ORGANISATION_NAME = envstr("ORGANISATION_NAME", "Upravne enote Republike Slovenije")
ORGANISATION_ADDRESS = envstr("ORGANISATION_ADDRESS", "")
ORGANISATION_EMAIL = envstr("ORGANISATION_EMAIL", "okence@example.si")
ACCESSIBILITY_CONTACT_EMAIL = envstr("ACCESSIBILITY_CONTACT_EMAIL", "") or ORGANISATION_EMAIL
DPO_EMAIL = envstr("DPO_EMAIL", "") or ORGANISATION_EMAIL
# The accessibility statement: "full", "partial" or "not" conformant, and when it was prepared.
ACCESSIBILITY_STATUS = envstr("ACCESSIBILITY_STATUS", "partial")
ACCESSIBILITY_STATEMENT_DATE = envstr("ACCESSIBILITY_STATEMENT_DATE", "2026-12-01")
LEGAL_KEEP_FEEDBACK_DAYS = envint("LEGAL_KEEP_FEEDBACK_DAYS", 365)  # for the answer and the record
LEGAL_FEEDBACK_PER_ADDRESS_PER_HOUR = envint("LEGAL_FEEDBACK_PER_ADDRESS_PER_HOUR", 5)
