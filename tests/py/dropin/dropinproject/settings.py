"""A project set up the way django-bolt's documentation shows (issue 18's headline test):
nothing here is specific to django-bolt-go."""

SECRET_KEY = "dropin-tests-only-" + "s" * 40
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_bolt",
    "blog",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
ROOT_URLCONF = "dropinproject.urls"
USE_TZ = True
CORS_ALLOWED_ORIGINS = ["https://app.example"]

# django-bolt's setting names (read as aliases, with a deprecation warning each)
BOLT_MAX_UPLOAD_SIZE = 4096
BOLT_EMIT_SIGNALS = False
BOLT_COMPRESSION = False  # server-wide, over BoltAPI(compression=None), which means "on"
# django-bolt accepts plain `def` handlers; this one setting turns that on here
DJANGO_BOLT = {"SYNC_HANDLERS": "thread"}

TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True}]

from pathlib import Path  # noqa: E402

STATIC_URL = "/static/"
STATIC_ROOT = str(Path(__file__).resolve().parent.parent / "staticroot")
BOLT_STATIC_MAX_AGE = 3600  # django-bolt 0.10+: Cache-Control on static files
