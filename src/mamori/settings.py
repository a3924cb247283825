"""Django settings for mamori, built from :mod:`mamori.config` (``MAMORI_*`` variables)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from mamori import config as _config

CONFIG = _config.load()  # reading the settings writes nothing: see config.prepare_data_dir

PACKAGE_DIR = Path(__file__).resolve().parent
SECRET_KEY = _config.read_secret(CONFIG.secret_key_file)  # "" until prepared: Django refuses
DEBUG = CONFIG.debug
ALLOWED_HOSTS = list(CONFIG.allowed_hosts)
CSRF_TRUSTED_ORIGINS = list(CONFIG.csrf_trusted_origins)
# a body that is not a file upload is at most 1 MiB (mamori.core.limits refuses longer ones)
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_filters",
    "django_tables2",
    "mamori.core",
    "mamori.accounts",
    "mamori.notifications",
    "mamori.scheduler",
    "mamori.events",
    "mamori.auditlog",
    "mamori.rulebook",
    "mamori.custody",
    "mamori.reconciliation",
    "mamori.keys",
    "mamori.risk",
    "mamori.operations",
    "mamori.guard",
]

MIDDLEWARE = [
    "mamori.core.limits.BodyLimitMiddleware",
    "mamori.core.api_parser.NulRefusalMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mamori.auditlog.context.AuditContextMiddleware",
    "mamori.accounts.middleware.UserLanguageMiddleware",
    "mamori.accounts.middleware.MfaRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mamori.urls"
WSGI_APPLICATION = "mamori.wsgi.application"
ASGI_APPLICATION = "mamori.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mamori.core.context_processors.navigation",
                "mamori.accounts.context_processors.organisation",
            ],
        },
    },
]


def _databases() -> dict[str, dict[str, object]]:
    db = dj_database_url.parse(CONFIG.database_url, conn_max_age=0)
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db["OPTIONS"] = {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
            ),
            "transaction_mode": "IMMEDIATE",
        }
    # Tests use a file (not shared-cache memory) so concurrency behaves as in production.
    # A view's changes and the audit entries they cause commit together, or not at all.
    db["ATOMIC_REQUESTS"] = True
    db["TEST"] = {"NAME": str(CONFIG.data_dir / "test.sqlite3") if CONFIG.uses_sqlite else None}
    return {"default": dict(db)}


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"

# Sessions: an idle session ends after MAMORI_SESSION_IDLE_SECONDS (the expiry is pushed
# forward on every request), and never outlives the browser.
SESSION_COOKIE_AGE = CONFIG.session_idle_seconds
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "mamori_session"
CSRF_COOKIE_NAME = "mamori_csrftoken"
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_NAME = "mamori_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Transport security: secure cookies and HSTS when served over TLS.
SESSION_COOKIE_SECURE = CONFIG.tls
CSRF_COOKIE_SECURE = CONFIG.tls
LANGUAGE_COOKIE_SECURE = CONFIG.tls
SECURE_SSL_REDIRECT = CONFIG.tls
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if CONFIG.tls else None
SECURE_HSTS_SECONDS = 31_536_000 if CONFIG.tls else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = CONFIG.tls
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HSTS preloading is hard to undo and a choice for the operator of the domain, not mamori.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LANGUAGE_CODE = CONFIG.language
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = CONFIG.time_zone
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = CONFIG.data_dir / "static"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def _email() -> None:
    from urllib.parse import parse_qs, unquote, urlsplit

    globals()["EMAIL_BACKEND"] = "django.core.mail.backends.smtp.EmailBackend"
    globals()["DEFAULT_FROM_EMAIL"] = CONFIG.mail_from
    globals()["EMAIL_TIMEOUT"] = 10
    if not CONFIG.smtp_url:
        globals()["EMAIL_HOST"] = ""
        return
    parts = urlsplit(CONFIG.smtp_url)
    query = parse_qs(parts.query)
    globals().update(
        EMAIL_HOST=parts.hostname,
        EMAIL_PORT=parts.port or (465 if parts.scheme == "smtps" else 25),
        EMAIL_HOST_USER=unquote(parts.username or ""),
        EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
        EMAIL_USE_SSL=parts.scheme == "smtps",
        EMAIL_USE_TLS=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
    )


_email()
MAMORI_WEBHOOK_ALLOWED_HOSTS = list(CONFIG.webhook_allowed_hosts)

MAMORI_LOGIN_SLOWDOWN_AFTER = CONFIG.login_slowdown_after
MAMORI_LOGIN_LOCK_AFTER = CONFIG.login_lock_after
MAMORI_LOGIN_LOCK_SECONDS = CONFIG.login_lock_seconds
MAMORI_LOGIN_SOURCE_LOCK_AFTER = CONFIG.login_source_lock_after

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": CONFIG.log_level},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
