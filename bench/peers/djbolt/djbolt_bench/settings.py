"""Minimal settings for the django-bolt peer: no database, no middleware, no admin."""

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django_bolt"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "djbolt_bench.urls"
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True

# django-bolt logs every request to the "django.server" logger (level INFO in Django's
# defaults) from its Rust side, even with BoltAPI(enable_logging=False) and DEBUG = False.
# An explicit LOGGING makes runbolt keep its hands off logging; raising "django.server" to
# WARNING turns the per-request access line off.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django_bolt": {"level": "WARNING"},
    },
}
