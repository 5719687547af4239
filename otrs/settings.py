"""Django settings, read once from the environment (and ``.env``) through ``otrs.env``.

With nothing set the system runs on the embedded default: a SQLite file under ``var/``,
a Celery broker on the local filesystem and attachments on disk. Every external part is
switched by one variable; a bad value stops the start with a message naming it.
Business policy (queues, SLAs, portal options) lives in the database, not here.
"""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from otrs.env import Settings
from otrs.mail import pipe as _mail_pipe

BASE_DIR = Path(__file__).resolve().parent.parent
env = Settings(BASE_DIR / ".env")

VAR_DIR = Path(env.str("OTRS_VAR_DIR", str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", False)


def _secret_key() -> str:
    """Use SECRET_KEY if set; otherwise keep a generated key under var/ across restarts."""
    configured = env.str("SECRET_KEY", "")
    if configured:
        return configured
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "admin_portal.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "otrs.daemon",
    "otrs.ops",
    "otrs.web",
    "otrs.policy",
    "otrs.accounts",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "otrs.events",
    "otrs.search",
    "otrs.mail",
    "otrs.agent",
    "otrs.calendars",
    "otrs.fields",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "otrs.api",
    "otrs.webhooks",
    "tickets",
    "customers",
    "faq",
    "cmdb",
    "admin_portal",
    "customer_portal",
]
# Extension packages: Django apps installed beside the project (comma-separated dotted paths,
# e.g. EXTRA_APPS=acme_reports,acme_sla.apps.SlaConfig). They plug into the same registries
# as the domain apps (agent screens and menu entries through their agent_urls module, event
# handlers from their AppConfig.ready()) without a change to the core; see README "Extending".
INSTALLED_APPS += env.apps("EXTRA_APPS", installed=INSTALLED_APPS)

MIDDLEWARE = [
    # 503 for everything but the liveness probe while manage.py upgrade runs (otrs/ops).
    "otrs.ops.maintenance.UpgradeMaintenanceMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "otrs.web.site.SiteUrlCheckMiddleware",
    # Above the session and CSRF middleware: sees their cookies, and installs the upload
    # limits before anything reads a request body (otrs/web/security.py).
    "otrs.web.security.SecureCookiesMiddleware",
    "otrs.web.security.ContentSecurityPolicyMiddleware",
    "otrs.web.uploads.UploadLimitsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "otrs.accounts.middleware.IdleSessionRenewalMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "otrs.accounts.middleware.UserPreferencesMiddleware",
    # TWO_FACTOR_REQUIRED_FOR_ADMINS: an admin without a second factor may only enrol.
    "otrs.accounts.twofactor.RequireEnrolmentMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "otrs.urls"
WSGI_APPLICATION = "otrs.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------

DATABASES = {"default": env.database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'otrs.sqlite3'}")}
_db = DATABASES["default"]
_engine = _db["ENGINE"]
_db["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", 0, minimum=0)
if _engine.endswith("sqlite3"):
    # IMMEDIATE transactions take the write lock at BEGIN, so two writers queue up instead of
    # failing with "database is locked" when one of them upgrades a read lock. WAL lets
    # readers run beside the writer.
    _db.setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file (not :memory:) so that the multi-process tests share the test database.
    _db["TEST"] = {"NAME": str(VAR_DIR / "test-otrs.sqlite3")}
elif _engine.endswith("postgresql"):
    # The help desk's queries are short and many; PostgreSQL's JIT compiler costs more than it
    # saves on them (page 20 of the open-tickets list: 920 ms with JIT, 160 ms without).
    _db.setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
elif _engine.endswith("mysql"):
    _db.setdefault("OPTIONS", {}).update(
        {
            "charset": "utf8mb4",
            "isolation_level": "read committed",
            "init_command": "SET sql_mode='STRICT_TRANS_TABLES'",
        }
    )
    _db["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Django's database sessions, whose idle lifetime follows the admin's system configuration
# (the policy setting ``session_idle_minutes``, falling back to SESSION_COOKIE_AGE below).
SESSION_ENGINE = "otrs.accounts.session_store"
# Idle expiry: the session lives this long after the last request (the row and the cookie are
# renewed at most once a minute, by otrs.accounts.middleware.IdleSessionRenewalMiddleware), so
# an agent who walks away is signed out, one who works stays signed in.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", 120, minimum=5) * 60
SESSION_RENEW_SECONDS = 60
LOGIN_URL = "agent:login"
# Two-factor sign-in (otrs/accounts/twofactor.py): agents and customers may enrol an
# authenticator app in their preferences; with this on, an admin (a staff agent) without one
# can do nothing but enrol after signing in.
TWO_FACTOR_REQUIRED_FOR_ADMINS = env.bool("TWO_FACTOR_REQUIRED_FOR_ADMINS", False)
# The name authenticator apps show beside the login.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", "OTRS-Django")
LOGIN_REDIRECT_URL = "agent:home"
# Sign-in throttling (otrs/accounts/throttle.py), counted in the database, separately for the
# agent, customer and admin sign-in and the password reset. Wrong passwords allowed for one
# login from one client address, and failed sign-ins from one address whatever the login, in
# the window below; then that login at that address (or that address) waits for the window.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", 20, minimum=1)
LOGIN_FAILURE_WINDOW = env.int("LOGIN_FAILURE_WINDOW_MINUTES", 15, minimum=1) * 60
# Password reset mails per customer account, and reset requests per client address, in the
# window below.
PASSWORD_RESET_LIMIT = env.int("PASSWORD_RESET_LIMIT", 3, minimum=1)
PASSWORD_RESET_ADDRESS_LIMIT = env.int("PASSWORD_RESET_ADDRESS_LIMIT", 10, minimum=1)
PASSWORD_RESET_WINDOW = env.int("PASSWORD_RESET_WINDOW_MINUTES", 60, minimum=1) * 60
# The reverse proxies (addresses and CIDR networks) whose X-Forwarded-For is believed when
# telling the client's address (otrs/accounts/client_address.py). Empty: the header is
# ignored and the peer is the client. Behind the nginx or Apache of deploy/ on this host:
# 127.0.0.1,::1.
TRUSTED_PROXIES = env.networks("TRUSTED_PROXIES", [])

# The cache is shared by every process of a host (files under var/), or by every host
# (CACHE_URL=redis://...). It holds locks of the mail fetching and nothing that matters.
CACHES = {
    "default": env.cache("CACHE_URL", f"filecache://{VAR_DIR / 'cache'}"),
}

# --- Internationalisation ----------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English dates that read the same everywhere ("7 Dec 2026", 24-hour times): otrs/formats.
FORMAT_MODULE_PATH = ["otrs.formats"]
TIME_ZONE = env.str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files and attachments ---------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "media")},
    },
    "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(Path(env.str("ATTACHMENT_DIR", str(VAR_DIR / "article"))))},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Where new attachments go: "fs" (the "attachments" storage above) or "db" (a blob column).
# `manage.py attachment_storage --to db|fs` moves existing ones.
ATTACHMENT_STORAGE = env.choice("ATTACHMENT_STORAGE", ["fs", "db"], "fs")
# Uploads in every form of both portals (otrs/web/uploads.py), enforced while the body
# streams in: the most one file may have, and all files of one request together. Keep the
# reverse proxy's request size limit (client_max_body_size, LimitRequestBody) above the
# second. AGENT_UPLOAD_MAX_BYTES is the older name of UPLOAD_MAX_REQUEST_BYTES.
UPLOAD_MAX_REQUEST_BYTES = env.int(
    "UPLOAD_MAX_REQUEST_BYTES",
    env.int("AGENT_UPLOAD_MAX_BYTES", 20 * 1024 * 1024, minimum=1),
    minimum=1,
)
UPLOAD_MAX_FILE_BYTES = env.int("UPLOAD_MAX_FILE_BYTES", UPLOAD_MAX_REQUEST_BYTES, minimum=1)

# --- Tickets ---------------------------------------------------------------------------------

TICKET_NUMBER_GENERATOR = env.choice(
    "TICKET_NUMBER_GENERATOR", ["AutoIncrement", "Date", "DateChecksum", "Random"], "DateChecksum"
)
SYSTEM_ID = env.int("SYSTEM_ID", 10, minimum=0, maximum=99)
TICKET_NUMBER_MIN_COUNTER_SIZE = env.int("TICKET_NUMBER_MIN_COUNTER_SIZE", 5, minimum=1, maximum=20)
TICKET_HOOK = env.str("TICKET_HOOK", "Ticket#")
# Time accounting with notes, calls and replies (OTRS Ticket::Frontend::AccountTime and
# NeedAccountedTime): "off" (no field), "optional" or "required".
TICKET_TIME_UNITS = env.choice("TICKET_TIME_UNITS", ["off", "optional", "required"], "optional")
# Which custom field values a merge copies to the main ticket where it has none (OTRS
# Ticket::MergeDynamicFields): "off", "marked" (the fields marked "copy on merge") or "all".
TICKET_MERGE_FIELD_VALUES = env.choice(
    "TICKET_MERGE_FIELD_VALUES", ["off", "marked", "all"], "marked"
)
# A ticket search counts its results up to this many and says "more than" beyond.
SEARCH_COUNT_CAP = env.int("SEARCH_COUNT_CAP", 1000, minimum=100, maximum=1_000_000)
# Agents with ro on this group (directly or through a role) see the reports under
# /agent/reports/, with rw they also schedule them (OTRS's "stats" group).
REPORTS_GROUP = env.str("REPORTS_GROUP", "stats")
# The dashboard's escalation widget lists tickets escalated or escalating within this many
# minutes ("soon escalating"; OTRS's dashboard uses a fixed window per widget).
DASHBOARD_ESCALATION_SOON_MINUTES = env.int(
    "DASHBOARD_ESCALATION_SOON_MINUTES", 120, minimum=0, maximum=60 * 24 * 30
)
# An agent's open zoom or composer counts as present on the ticket for this many seconds
# after its last renewal (the page renews three times as often; tickets/presence.py).
TICKET_PRESENCE_SECONDS = env.int("TICKET_PRESENCE_SECONDS", 60, minimum=6, maximum=3600)
# OTRS's RequiredLock on the reply screen: opening the composer on an unlocked ticket locks
# it to the agent (who becomes its owner), so that two agents do not answer at once.
TICKET_LOCK_ON_REPLY = env.bool("TICKET_LOCK_ON_REPLY", False)

# --- Mail -------------------------------------------------------------------------------------

# Where outgoing mail goes: smtp://[user:password@]host[:port], smtp+starttls://..., smtps://...,
# or file:///dir (the embedded default: each message is written to var/outbox/ as .eml).
OUTGOING_MAIL = env.mail_transport("OUTGOING_MAIL_URL", f"file://{VAR_DIR / 'outbox'}")
# The outgoing queue retries as an MTA does: waiting 2, 4, 8 ... minutes, at most
# OUTGOING_MAIL_MAX_BACKOFF_MINUTES, for OUTGOING_MAIL_LIFETIME_HOURS after the message was
# queued (postfix's maximal_queue_lifetime, 5 days); then it fails for good (shown on the
# article). OUTGOING_MAIL_MAX_ATTEMPTS (0: no limit) can end it after that many attempts.
OUTGOING_MAIL_LIFETIME_HOURS = env.int("OUTGOING_MAIL_LIFETIME_HOURS", 120, minimum=1)
OUTGOING_MAIL_MAX_BACKOFF_MINUTES = env.int("OUTGOING_MAIL_MAX_BACKOFF_MINUTES", 60, minimum=1)
OUTGOING_MAIL_MAX_ATTEMPTS = env.int("OUTGOING_MAIL_MAX_ATTEMPTS", 0, minimum=0, maximum=10000)
# Administrators get one system mail about messages failing for longer than this; to these
# addresses (comma-separated), else to every active superuser with an e-mail address.
OUTGOING_MAIL_ALERT_AFTER_MINUTES = env.int("OUTGOING_MAIL_ALERT_AFTER_MINUTES", 60, minimum=1)
OUTGOING_MAIL_ALERT_TO = env.str("OUTGOING_MAIL_ALERT_TO", "")
# Log the relay in with SASL XOAUTH2, using the OAuth2 token of the mail account of this name
# (connected in the admin); the login is the URL's user, or else that account's login.
OUTGOING_MAIL_OAUTH2_ACCOUNT = env.str("OUTGOING_MAIL_OAUTH2_ACCOUNT", "")
# Fetching mail accounts: seconds to connect, and to wait for each answer, per account; how
# many accounts one run fetches at once (each in its own thread, so a slow server or token
# endpoint holds up only its own account).
MAIL_FETCH_CONNECT_TIMEOUT = env.int("MAIL_FETCH_CONNECT_TIMEOUT", 15, minimum=1, maximum=600)
MAIL_FETCH_READ_TIMEOUT = env.int("MAIL_FETCH_READ_TIMEOUT", 60, minimum=1, maximum=3600)
MAIL_FETCH_PARALLEL = env.int("MAIL_FETCH_PARALLEL", 4, minimum=1, maximum=64)
# An OAuth2 token endpoint: seconds to connect and to wait for its answer.
MAIL_OAUTH_TIMEOUTS = (
    env.int("MAIL_OAUTH_CONNECT_TIMEOUT", 10, minimum=1, maximum=120),
    env.int("MAIL_OAUTH_READ_TIMEOUT", 20, minimum=1, maximum=300),
)
# The host name in the Message-IDs we make, and the sender of agent notifications.
MAIL_DOMAIN = env.str("MAIL_DOMAIN", "localhost")
NOTIFICATION_FROM = env.str("NOTIFICATION_FROM", f"Help desk <helpdesk@{MAIL_DOMAIN}>")


def _site_url() -> str:
    """The address links in mails point at (the agent and customer portals). Unset: with
    ``ALLOWED_HOSTS`` configured, the first named host over HTTPS (a site behind the proxy of
    deploy/); else the local development server, on ``PORT`` (what ``make run`` serves on).
    A request served under another address logs a warning (otrs/web/site.py)."""
    configured = env.str("SITE_URL", "")
    if configured:
        return configured.rstrip("/")
    if env.str("ALLOWED_HOSTS", ""):
        named = [h for h in ALLOWED_HOSTS if h and h != "*" and not h.startswith(".")]
        if named:
            return f"https://{named[0]}"
    return f"http://127.0.0.1:{env.int('PORT', 8000, minimum=1, maximum=65535)}"


SITE_URL = _site_url()
# Mail sent through Django's mail API (password reset, registration) goes into the same
# persistent outgoing queue as ticket mail (otrs/mail/backend.py), from the notification sender.
EMAIL_BACKEND = "otrs.mail.backend.QueueBackend"
DEFAULT_FROM_EMAIL = NOTIFICATION_FROM
# A worker processing a stored inbound mail holds it this long; a mail left behind by a crash
# is taken over by the inbound sweep (every few minutes) once that time has passed.
POSTMASTER_CLAIM_SECONDS = env.int("POSTMASTER_CLAIM_SECONDS", 300, minimum=10)
# Raw mails and cas/ files nothing refers to are removed by the daily mail-store sweep only
# once they are this old (a writer may be about to refer to a younger one).
MAIL_STORE_ORPHAN_GRACE_HOURS = env.int("MAIL_STORE_ORPHAN_GRACE_HOURS", 24, minimum=1)

# Commit the processing of a stored inbound mail without waiting for the disk (PostgreSQL
# synchronous_commit off for that transaction only). The raw mail's own commit always waits,
# so a database crash can lose at most the last fraction of a second of processing, which
# the inbound sweep redoes from the stored row (still "processing" under its claim).
POSTMASTER_ASYNC_COMMIT = env.bool("POSTMASTER_ASYNC_COMMIT", True)
# Group commit of the inbound mail a worker drains (the spool, stored messages waiting): so
# many messages processed in one transaction, a savepoint each, committed once; a group also
# ends after so many milliseconds (the rows it changed stay locked until its commit).
POSTMASTER_GROUP_SIZE = env.int("POSTMASTER_GROUP_SIZE", 50, minimum=1)
POSTMASTER_GROUP_MS = env.int("POSTMASTER_GROUP_MS", 500, minimum=0)
# Inbound mail larger than this is kept in quarantine instead of being processed.
POSTMASTER_MAX_EMAIL_BYTES = env.int("POSTMASTER_MAX_EMAIL_BYTES", 16 * 1024 * 1024, minimum=1024)
# MIME parts of one inbound mail that are read; the parts beyond stay in the raw message only
# and the article says so (a mail of 10,000 tiny parts costs bounded time and memory).
POSTMASTER_MAX_PARTS = env.int("POSTMASTER_MAX_PARTS", 1000, minimum=10)
# Automatic mails (auto responses, notifications to customers) per address and day.
POSTMASTER_MAX_AUTO_MAILS = env.int("POSTMASTER_MAX_AUTO_MAILS", 40, minimum=0)
# Where mail goes that reaches no system address and comes with no forced queue.
POSTMASTER_DEFAULT_QUEUE = env.str("POSTMASTER_DEFAULT_QUEUE", "Raw")
# Also look for a ticket number in the body of a mail (OTRS FollowUpCheck Body, off there too).
POSTMASTER_FOLLOW_UP_IN_BODY = env.bool("POSTMASTER_FOLLOW_UP_IN_BODY", False)
# The spool where otrs-postmaster (the fast MTA pipe) leaves mail for the daemon; the script
# reads MAIL_SPOOL_DIR and OTRS_VAR_DIR from the environment or .env itself, with the same
# defaults (otrs/mail/pipe.py): in an installed package without OTRS_VAR_DIR, the deployment's.
MAIL_SPOOL_DIR = Path(
    env.str(
        "MAIL_SPOOL_DIR",
        str(VAR_DIR / "spool" / "mail")
        if env.str("OTRS_VAR_DIR", "") or _mail_pipe.is_checkout(str(BASE_DIR))
        else _mail_pipe.INSTALLED_SPOOL_DIR,
    )
)
# Tries (with a back-off up to an hour) before a spooled message is moved into failed/.
MAIL_SPOOL_MAX_ATTEMPTS = env.int("MAIL_SPOOL_MAX_ATTEMPTS", 100, minimum=1)
# Where manage.py lmtpd listens: host:port and/or unix:/path, comma-separated.
LMTP_LISTEN = env.str("LMTP_LISTEN", "127.0.0.1:8024")

# --- Customer portal ----------------------------------------------------------------------------

# Visitors may create their own customer account at /customer/register/ (confirmed by a link
# sent to the address). Off: the page does not exist and the sign-in page does not offer it.
CUSTOMER_SELF_REGISTRATION = env.bool("CUSTOMER_SELF_REGISTRATION", False)
# Customers may close their own tickets in the portal (a "Close" button on the ticket page).
CUSTOMER_CAN_CLOSE = env.bool("CUSTOMER_CAN_CLOSE", True)
# Agents with rw on this group (directly or through a role) manage customer users and
# companies in the agent portal; every agent may look them up (as OTRS's "users" group).
CUSTOMER_MANAGER_GROUP = env.str("CUSTOMER_MANAGER_GROUP", "users")

# --- CMDB -------------------------------------------------------------------------------------

# CI names unique across all classes (OTRS UniqueCIName); they are always unique per class.
CMDB_UNIQUE_NAME_GLOBAL = env.bool("CMDB_UNIQUE_NAME_GLOBAL", False)
# The links an incident travels along as a warning: link types, each with the direction
# ("source": from a target to what points at it, i.e. to what depends on it; "target": the
# other way; "both"), as in ITSM::Core::IncidentLinkTypeDirection (default DependsOn, both).
CMDB_INCIDENT_LINK_TYPES = env.list("CMDB_INCIDENT_LINK_TYPES", ["DependsOn:both"])
# An open ticket linked "relevant to" a CI raises it to Incident; closing it lowers it again
# (ITSMConfigItem::SetIncidentStateOnLink).
CMDB_INCIDENT_FROM_TICKETS = env.bool("CMDB_INCIDENT_FROM_TICKETS", False)
# Customers see their own CIs (company or owner attribute), read-only, in the customer portal.
CMDB_CUSTOMER_PORTAL = env.bool("CMDB_CUSTOMER_PORTAL", False)

# --- Search ------------------------------------------------------------------------------------

# Where full-text search runs: "database" (PostgreSQL tsvector/GIN, MariaDB FULLTEXT, SQLite
# FTS5) or "elasticsearch" (a cluster, fed from the events; manage.py search_index builds it).
SEARCH_BACKEND = env.choice("SEARCH_BACKEND", ["database", "elasticsearch"], "database")
# Elasticsearch (8.x API; README "Search"): URL (https:// for TLS), credentials (user and
# password, or an API key), the CA bundle of a private CA, and a prefix for the index names
# (several sites or test runs on one cluster).
SEARCH_ELASTICSEARCH_URL = env.str("SEARCH_ELASTICSEARCH_URL", "http://127.0.0.1:9200")
SEARCH_ELASTICSEARCH_USERNAME = env.str("SEARCH_ELASTICSEARCH_USERNAME", "")
SEARCH_ELASTICSEARCH_PASSWORD = env.str("SEARCH_ELASTICSEARCH_PASSWORD", "")
SEARCH_ELASTICSEARCH_API_KEY = env.str("SEARCH_ELASTICSEARCH_API_KEY", "")
SEARCH_ELASTICSEARCH_CA_CERTS = env.str("SEARCH_ELASTICSEARCH_CA_CERTS", "")
SEARCH_ELASTICSEARCH_VERIFY_CERTS = env.bool("SEARCH_ELASTICSEARCH_VERIFY_CERTS", True)
SEARCH_INDEX_PREFIX = env.str("SEARCH_INDEX_PREFIX", "otrs-")
SEARCH_INDEX_SHARDS = env.int("SEARCH_INDEX_SHARDS", 1)
SEARCH_INDEX_REPLICAS = env.int("SEARCH_INDEX_REPLICAS", 0)
# The languages whose analysers (stemming, stopwords) every text field gets besides the
# language-neutral one; default: the site's languages.
SEARCH_LANGUAGES = env.list("SEARCH_LANGUAGES", [code for code, _name in LANGUAGES])
# Totals are exact up to this many hits, "more than" beyond (exact on request).
SEARCH_TRACK_TOTAL = env.int("SEARCH_TRACK_TOTAL", 10_000)
# Attachment text extraction (in the worker): larger files are not opened, longer text is
# cut; both are recorded on the document and counted by search_index --status.
SEARCH_ATTACHMENT_MAX_BYTES = env.int("SEARCH_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
SEARCH_ATTACHMENT_MAX_CHARS = env.int("SEARCH_ATTACHMENT_MAX_CHARS", 1_000_000)

# --- REST API (/api/v1/) -------------------------------------------------------------------------

# Customers may use the API (with their own tokens or session): only their tickets, as in the
# customer portal. Off by default: the API is the agents'.
API_CUSTOMER_ACCESS = env.bool("API_CUSTOMER_ACCESS", False)
# The longest a personal access token may live, in days.
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", 365, minimum=1, maximum=3650)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "otrs.api.authentication.TokenAuthentication",
        "otrs.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["otrs.api.permissions.ApiAccess"],
    "DEFAULT_PAGINATION_CLASS": "otrs.api.pagination.Paging",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "otrs.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "otrs.api.throttling.ApiUserThrottle",
        "otrs.api.throttling.ApiAnonThrottle",
    ],
    # Requests per user (token or session) and per client address without sign-in.
    "DEFAULT_THROTTLE_RATES": {
        "api_user": env.str("API_THROTTLE_USER", "3000/hour"),
        "api_anon": env.str("API_THROTTLE_ANON", "100/hour"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OTRS-Django REST API",
    "DESCRIPTION": "Tickets, articles, customers, master data, FAQ and CMDB. Every request "
    "goes through the same access rules and actions as the screens.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its pages are for API users (signed-in agents, customers if allowed).
    "SERVE_PERMISSIONS": ["otrs.api.permissions.ApiAccess"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "otrs.api.serializers.optional_response_fields",
    ],
    "ENUM_NAME_OVERRIDES": {
        "LockStateEnum": "tickets.choices.LockState",
        "LockChangeEnum": [("lock", "lock"), ("unlock", "unlock")],
        "ChannelEnum": "tickets.choices.Channel",
        "NewArticleChannelEnum": [("internal", "internal"), ("phone", "phone")],
    },
}

# --- Webhooks (admin → Webhooks; otrs/webhooks) -------------------------------------------------

# One request waits this long for an answer (seconds).
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1, maximum=120)
# A failed delivery waits this long before the second attempt, twice that before the third
# and so on (at most WEBHOOK_RETRY_MAX_SECONDS), for as long as the hook's "retry for" allows.
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", 60, minimum=1, maximum=3600)
WEBHOOK_RETRY_MAX_SECONDS = env.int("WEBHOOK_RETRY_MAX_SECONDS", 3600, minimum=1, maximum=86400)
# A hook whose deliveries failed for good this many times in a row is disabled, and the
# administrators (WEBHOOK_ALERT_TO, comma-separated; default: the superusers) and the hook's
# creator get one mail.
WEBHOOK_DISABLE_AFTER_FAILURES = env.int(
    "WEBHOOK_DISABLE_AFTER_FAILURES", 5, minimum=1, maximum=1000
)
WEBHOOK_ALERT_TO = env.str("WEBHOOK_ALERT_TO", "")
# Webhooks reach only public addresses (no loopback, link-local such as the cloud metadata
# service, private or other special ranges), except in these networks (CIDRs, comma-separated:
# "10.20.0.0/16,fd00:1234::/48"). Checked when a hook is saved and again before every attempt.
# HTTPS endpoints' certificates are verified against this file of CA certificates when set
# (an endpoint signed by a private CA); else against requests' bundle. Deliveries go through
# the proxy the environment names (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY; not for NO_PROXY hosts).
WEBHOOK_CA_BUNDLE = env.str("WEBHOOK_CA_BUNDLE", "")
WEBHOOK_ALLOWED_NETWORKS = env.list("WEBHOOK_ALLOWED_NETWORKS", [])
for _network in filter(None, (n.strip() for n in WEBHOOK_ALLOWED_NETWORKS)):
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(f"WEBHOOK_ALLOWED_NETWORKS: {_network!r}: {_exc}") from None

# --- Celery (the daemon) ---------------------------------------------------------------------

CELERY_BROKER_URL = env.broker("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://") and not CELERY_BROKER_URL[13:].split("/")[0]:
    # kombu logs "No hostname was supplied. Reverting to default 'localhost'" for every
    # connection to a URL without a host (on stderr of each postmaster pipe run); the
    # filesystem transport ignores the host, so name the one kombu would use anyway.
    CELERY_BROKER_URL = "filesystem://localhost/" + CELERY_BROKER_URL[13:].lstrip("/")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "celery"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcast (remote control) messages; kombu's default is a folder in the cwd.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# A batch of events is tried this often per handler (waiting 1, 2, 4 ... minutes, at most an
# hour, in between) before its delivery is marked failed in the admin (otrs/events).
EVENT_DELIVERY_MAX_ATTEMPTS = env.int("EVENT_DELIVERY_MAX_ATTEMPTS", 8, minimum=1, maximum=50)
CELERY_TIMEZONE = TIME_ZONE
# GenericAgent: a run caused by a chain of more event-triggered runs than this is stopped and
# reported as an event loop in its trace.
GENERIC_AGENT_MAX_EVENT_DEPTH = env.int("GENERIC_AGENT_MAX_EVENT_DEPTH", 10, minimum=1, maximum=100)
# Processes: one submitted dialog moves a ticket through at most this many transitions (a
# cycle of conditions that always hold stops there and says so in the ticket's trace).
PROCESS_MAX_TRANSITIONS = env.int("PROCESS_MAX_TRANSITIONS", 10, minimum=1, maximum=100)
# Processes: a step caused by a chain of more automatic changes than this (transition actions
# whose changes let GenericAgent event jobs change the ticket, which let another transition
# hold ...) moves nothing and says so in the ticket's trace.
PROCESS_MAX_EVENT_DEPTH = env.int("PROCESS_MAX_EVENT_DEPTH", 10, minimum=1, maximum=100)

# --- Monitoring --------------------------------------------------------------------------------

# /metrics (Prometheus) answers only "Authorization: Bearer <METRICS_TOKEN>"; empty: 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", "")

# --- Security ----------------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Over HTTPS every cookie is Secure anyway (otrs.web.security.SecureCookiesMiddleware, from
# request.is_secure(), which the proxy's X-Forwarded-Proto sets through gunicorn's
# FORWARDED_ALLOW_IPS); SECURE_COOKIES=true also keeps them from ever going over plain HTTP.
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# The system log the admin reads (/admin/system-log/, otrs/ops/logfile.py): JSON lines from
# SYSTEM_LOG_LEVEL up, beside the console (journald under systemd).
SYSTEM_LOG_FILE = Path(env.str("SYSTEM_LOG_FILE", str(VAR_DIR / "log" / "system.jsonl")))
# Its rotation (otrs/ops/logfile.py): by size, by day or week (in TIME_ZONE), or off (for
# logrotate); the number of old files kept.
SYSTEM_LOG_ROTATE = env.choice("SYSTEM_LOG_ROTATE", ("size", "daily", "weekly", "off"), "size")
SYSTEM_LOG_MAX_BYTES = env.int("SYSTEM_LOG_MAX_MB", 10, minimum=1, maximum=10_000) * 1024 * 1024
SYSTEM_LOG_KEEP = env.int("SYSTEM_LOG_KEEP", 5, minimum=1, maximum=1000)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "system_log": {
            "class": "otrs.ops.logfile.JsonLinesHandler",
            "level": env.str("SYSTEM_LOG_LEVEL", "INFO"),
        },
    },
    "root": {"handlers": ["console", "system_log"], "level": env.str("LOG_LEVEL", "INFO")},
}
