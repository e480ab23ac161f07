"""Django settings for the govsite platform.

Everything a deployment changes comes from the environment, so the same code runs the
zero-configuration demo (SQLite and files under ``./var``) and a PostgreSQL production site.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("GOVSITE_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

# GOVSITE_ENV=production: the settings a public server needs, and a refusal to start on the
# development defaults (``govsite check --deploy`` passes without warnings) [0082].
PRODUCTION = os.environ.get("GOVSITE_ENV", "").strip().lower() == "production"
DEV_SECRET_KEY = "govsite-insecure-development-key-change-me"
SECRET_KEY = os.environ.get("GOVSITE_SECRET_KEY", DEV_SECRET_KEY)
DEBUG = os.environ.get("GOVSITE_DEBUG", "0") == "1" and not PRODUCTION
if PRODUCTION and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured(
        "GOVSITE_ENV=production 需要设置 GOVSITE_SECRET_KEY：至少 50 个字符的随机值，不能使用默认密钥"
        "（生成：python -c \"import secrets; print(secrets.token_urlsafe(64))\"）"
    )
ALLOWED_HOSTS = [h for h in os.environ.get("GOVSITE_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",") if h]

INSTALLED_APPS = [
    # project apps first, so their templates and translations win
    "cms",
    "content_models",
    "services",
    # wagtail
    "wagtail_localize",
    "wagtail_localize.locales",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    # django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "cms.api.errors.ApiErrorMiddleware",
    "cms.api.cors.ApiCorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "cms.urls"
WSGI_APPLICATION = "cms.wsgi.application"
# hot GET endpoints (the status lookup) answered ahead of Django's routing [0085]; 0: all through Django
GOVSITE_FAST_PATHS = os.environ.get("GOVSITE_FAST_PATHS", "1") != "0"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "cms" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite under GOVSITE_DATA_DIR unless DATABASE_URL says otherwise (postgres://...).
_sqlite_url = f"sqlite:///{DATA_DIR / 'govsite.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _sqlite_url), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the site build and the worker read while the admin writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests use a file, not Django's shared-cache in-memory database: threads (the in-process
    # build worker) then wait on the busy timeout instead of failing with "table is locked".
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-govsite.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The shared cache: throttling counters, used challenges and other state every server process must
# see the same [0079]. The database cache by default (its table is made by ``govsite migrate``,
# cms.apps); Redis when GOVSITE_CACHE_URL is set (redis://host:6379/0, Django's RedisCache).
CACHE_URL = os.environ.get("GOVSITE_CACHE_URL", "").strip()
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL,
                          "KEY_PREFIX": os.environ.get("GOVSITE_CACHE_PREFIX", "govsite")}}
elif CACHE_URL:
    raise ImproperlyConfigured(f"GOVSITE_CACHE_URL 只支持 redis://、rediss:// 或 unix://：{CACHE_URL}")
else:
    # MAX_ENTRIES high: culling deletes live entries at random once the table is full, and a
    # throttling counter must not be evicted by someone filling the cache.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "govsite_cache",
                          "OPTIONS": {"MAX_ENTRIES": 2_000_000}}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

# Chinese first; English is the second locale (Django i18n + wagtail-localize).
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
# publish is plain Python, not a Django app: its messages are found here.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "publish" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# WhiteNoise sends "Access-Control-Allow-Origin: *" by default; admin assets need no other origin.
WHITENOISE_ALLOW_ALL_ORIGINS = False

if PRODUCTION:
    # HTTPS only: the proxy in front terminates TLS and says so in X-Forwarded-Proto (set
    # GOVSITE_SSL_REDIRECT=0 only when the proxy redirects itself; check --deploy then warns).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = os.environ.get("GOVSITE_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = int(os.environ.get("GOVSITE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    X_FRAME_OPTIONS = "DENY"
    if ALLOWED_HOSTS == ["localhost", "127.0.0.1", "[::1]", "testserver"]:
        raise ImproperlyConfigured("GOVSITE_ENV=production 需要设置 GOVSITE_ALLOWED_HOSTS（本站的域名，逗号分隔）")

# The dashboard's "what's new in Wagtail" banner links to English release notes.
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAILADMIN_USER_LOGIN_FORM = "cms.admin.forms.ChineseLoginForm"
WAGTAIL_SITE_NAME = os.environ.get("GOVSITE_SITE_NAME", "中国·南安")
WAGTAILADMIN_BASE_URL = os.environ.get("GOVSITE_ADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "wps", "ofd", "zip", "rar", "txt", "csv", "jpg", "png"]

# Wagtail's own background work runs inline; site builds go to the database queue and a worker
# (`govsite db_worker --queue-name builds`, or in-process in `govsite demo`).
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "builds": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["builds"]},
}

# ---------------------------------------------------------------------------
# The platform's own settings. Each app reads them with defaults from its own conf module.
# ---------------------------------------------------------------------------
GOVSITE_PORTAL = {
    "name": os.environ.get("GOVSITE_SITE_NAME", "中国·南安"),
    "domain": os.environ.get("GOVSITE_SITE_DOMAIN", "www.nanan.gov.cn"),
    "base_url": os.environ.get("GOVSITE_BASE_URL", "https://www.nanan.gov.cn"),
    "site_id_code": os.environ.get("GOVSITE_SITE_ID_CODE", "3505830001"),
    "organ_code_prefix": "11350583",
}
# The footer's identity marks (site_generator/identity.py): 主办/承办, contact, the ICP and 公安 filing
# numbers (linked to their registers), the 党政机关网站标识's verification page and the 我为政府网站找错
# link (default: the State Council's platform for this 网站标识码).
GOVSITE_IDENTITY = {
    "sponsor": os.environ.get("GOVSITE_SPONSOR", ""),
    "organizer": os.environ.get("GOVSITE_ORGANIZER", ""),
    "phone": os.environ.get("GOVSITE_CONTACT_PHONE", ""),
    "email": os.environ.get("GOVSITE_CONTACT_EMAIL", ""),
    "address": os.environ.get("GOVSITE_CONTACT_ADDRESS", ""),
    "icp": os.environ.get("GOVSITE_ICP", ""),
    "police": os.environ.get("GOVSITE_POLICE_RECORD", ""),
    "conac_url": os.environ.get("GOVSITE_CONAC_URL", ""),
    "error_report_url": os.environ.get("GOVSITE_ERROR_REPORT_URL", ""),
}
# The build worker's clock (cms/build/schedule.py): Wagtail's scheduled publishing and expiry every
# GOVSITE_SCHEDULE_INTERVAL seconds; the daily jobs once a day from GOVSITE_DAILY_HOUR (local time).
GOVSITE_SCHEDULE_INTERVAL = int(os.environ.get("GOVSITE_SCHEDULE_INTERVAL", "60"))
GOVSITE_DAILY_HOUR = int(os.environ.get("GOVSITE_DAILY_HOUR", "2"))
GOVSITE_DAILY_JOBS = ["cms.inspection.jobs.daily_report"]
# Self-inspection (cms/inspection): update periods in days per 栏目类型 over the checklist's defaults
# (content_models.vocabularies.COLUMN_STALE_DAYS), e.g. {"动态要闻": 7}; the working-day calendar.
GOVSITE_COLUMN_STALE_DAYS: dict[str, int] = {}
GOVSITE_WORKDAYS_BETWEEN = "services.workdays.workdays_between"
# absolute(), not resolve(): the site dir is a symlink to the live release (site_generator.output).
GOVSITE_SITE_DIR = Path(os.environ.get("GOVSITE_SITE_DIR", DATA_DIR / "site")).absolute()
GOVSITE_THEME = os.environ.get("GOVSITE_THEME", "default")
# Attachment files, stored once by content hash (content_models/filestore.py); the site build hard
# links them into the release, so keep it on the site directory's file system (else they are copied).
GOVSITE_FILES_DIR = Path(os.environ.get("GOVSITE_FILES_DIR", DATA_DIR / "files")).absolute()
# Enabled service modules: each is a Django app, ``services.<name>`` for a bare name, or the dotted
# name of an app elsewhere (``myorg.appointments``); it hands in its API, pages and links through its
# AppConfig (cms/service_modules.py).
GOVSITE_SERVICES = [s for s in os.environ.get("GOVSITE_SERVICES", "status,letters,ratings,supervision,guides,consultations,appointments,surveys,inforequests,proposals").split(",") if s]
INSTALLED_APPS += [name if "." in name else f"services.{name}" for name in GOVSITE_SERVICES]
# The service modules' pages on the static site (with their header/footer links and the builds
# their data changes ask for); "0": the modules serve their API only.
GOVSITE_SERVICE_PAGES = os.environ.get("GOVSITE_SERVICE_PAGES", "1") == "1"
# Build plugins (site_generator.plugins: events on_render/on_live), run in this order: dotted paths
# of classes or functions returning a plugin; a missing module is skipped with a warning.
GOVSITE_BUILD_PLUGINS = [
    "search_index.plugin.SearchIndexPlugin",
    "cms.publishing.auto_publish_plugin",
]
# Serve the built static site at / from this Django server (the demo; production uses nginx or a bucket).
GOVSITE_SERVE_SITE = os.environ.get("GOVSITE_SERVE_SITE", "1") == "1"
# The largest document body one import line may bring (bytes of UTF-8); a larger one is reported
# with its line number and skipped.
GOVSITE_IMPORT_MAX_BODY_BYTES = int(os.environ.get("GOVSITE_IMPORT_MAX_BODY_BYTES", str(5 * 1024 * 1024)))
GOVSITE_CORS_ORIGINS = [o for o in os.environ.get("GOVSITE_CORS_ORIGINS", "").split(",") if o]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GOVSITE_LOG_LEVEL", "WARNING")},
}

# E-mail (notifications to applicants and staff, services/notify.py): SMTP when EMAIL_HOST is set,
# else the messages are printed to the console (the demo).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "0") == "1"
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "0") == "1"
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@localhost")
