"""Django settings. Every environment variable is read once, in config/env.py."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from config.env import BASE_DIR, read_env

ENV = read_env()

SECRET_KEY = ENV.secret_key
DEBUG = ENV.debug
ZHENGWU_ENV = ENV.mode
ALLOWED_HOSTS = ENV.allowed_hosts
CSRF_TRUSTED_ORIGINS = ENV.csrf_trusted_origins

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    # Listed so the API docs load Swagger UI from our static files, not a CDN (CSP: script-src 'self').
    "ninja",
    "rules.apps.AutodiscoverRulesConfig",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "zhengwu.core",
    "zhengwu.accounts",
    "zhengwu.org",
    "zhengwu.workcalendar",
    "zhengwu.catalog",
    "zhengwu.documents",
    "zhengwu.licences",
    "zhengwu.notify",
    "zhengwu.cases",
    "zhengwu.supervision",
    "zhengwu.portal",
    "zhengwu.api",
    "zhengwu.demo",
    "zhengwu.security",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "zhengwu.security.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "zhengwu.core.middleware.RequestContextMiddleware",
    # After the request context, so a refusal's audit row carries the client address.
    "zhengwu.security.ratelimit.RateLimitMiddleware",
    "zhengwu.accounts.middleware.IdleTimeoutMiddleware",
    "zhengwu.accounts.otp_middleware.OTPRequiredMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:staff_home"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "zhengwu" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zhengwu.core.context_processors.site",
            ],
        },
    },
]

DATABASES = {"default": ENV.database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "zhengwu.accounts.validators.PolicyPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = ENV.static_root
STATICFILES_DIRS = [BASE_DIR / "zhengwu" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if ZHENGWU_ENV == "production"
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = ENV.media_root
MEDIA_URL = "/media/"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if ZHENGWU_ENV == "production":
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # nginx redirects HTTP to HTTPS and sends HSTS (deploy/nginx.conf, checked by its test).
    SILENCED_SYSTEM_CHECKS = ["security.W004", "security.W008"]

ZHENGWU = {
    "SWEEPER_INTERVAL_SECONDS": ENV.sweeper_interval,
    "SWEEPER_STALE_AFTER_SECONDS": ENV.sweeper_stale_after,
    # Administrators and supervisors always need the second factor; this extends it to all staff.
    "OTP_REQUIRED_FOR_ALL_STAFF": ENV.otp_required_for_all_staff,
}
OTP_TOTP_ISSUER = "政务服务平台"
# Wrong codes count against the security policy's lockout instead; django-otp's own growing delay
# would reject a right code typed just after a typo.
OTP_TOTP_THROTTLE_FACTOR = 0

ZHENGWU_CSP_REPORT_ONLY = ENV.csp_report_only
# Audit events stay in the table this long, then `manage.py audit_archive` moves them to files here.
ZHENGWU_AUDIT_RETENTION_DAYS = ENV.audit_retention_days
ZHENGWU_AUDIT_ARCHIVE_DIR = ENV.audit_archive_dir
# The 审计管理员 account the daily `audit_archive` run acts as (deploy/zhengwu-audit-archive.timer).
ZHENGWU_AUDIT_ARCHIVE_USER = ENV.audit_archive_user
# Master secret for personal data at rest (身份证 columns, licence holders); see zhengwu/core/crypto.py.
ZHENGWU_DATA_KEY = ENV.data_key
# The previous master secret, set only during `manage.py rotate_data_key` (docs/deploy.md §9).
ZHENGWU_DATA_KEY_PREVIOUS = ENV.data_key_previous
# 文书 PDFs are written after the issuing transaction by the clock process (or on first download);
# the test suite renders them in the transaction, so a test can read a notice right after issuing it.
ZHENGWU_DOCUMENTS_DEFERRED = ZHENGWU_ENV != "test"
# SMS and e-mail wait in the outbox (notify.Outgoing) written with the business change; the clock
# process sends them every ZHENGWU_NOTIFY_POLL_SECONDS. The test suite sends them right after the commit.
ZHENGWU_NOTIFY_DEFERRED = ZHENGWU_ENV != "test"
ZHENGWU_NOTIFY_POLL_SECONDS = 2.0


def _rate_group(name: str, paths: list[str], methods: list[str], rate: tuple[int, int]) -> dict:
    return {"name": name, "paths": paths, "methods": methods, "limit": rate[0], "window": rate[1]}


# Per client address; a trailing "$" makes a path exact. See zhengwu/security/ratelimit.py.
ZHENGWU_RATE_LIMITS = {
    "enabled": ENV.rate_limit_enabled,
    # Counted in the database, shared by every worker and app server; "cache" uses the cache below.
    "store": "database",
    "cache": "default",
    "groups": [
        _rate_group("login", ["/accounts/login/", "/accounts/otp/", "/admin/login/", "/cases/signin/"], ["POST"],
                    ENV.rate_limit_login),
        _rate_group("progress", ["/cases/progress/", "/api/v1/cases/progress"], [], ENV.rate_limit_progress),
        _rate_group("submit", ["/cases/signup/", "/cases/apply/", "/api/v1/cases$"], ["POST"],
                    ENV.rate_limit_submit),
    ],
}

# Every handler drops query strings from URLs and masks 身份证 / phone numbers (zhengwu/core/logfilters.py);
# django.server (runserver's request lines) is routed here too instead of Django's own handler.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "zhengwu.core.logfilters.PersonalDataFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["personal_data"]}},
    "root": {"handlers": ["console"], "level": ENV.log_level},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
