"""Minimal settings for the django-bolt peer: no middleware, no admin; a database only when
DATABASE_URL is set (bench/run.py --db), configured as "ours" is (bench/peers/peer_db.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # bench/peers: peer_db

from peer_db import databases  # noqa: E402

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django_bolt", "djbolt_bench"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "djbolt_bench.urls"
DATABASES = databases()
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

# The 1 MiB upload workload: django-bolt refuses file parts over 1 MiB by default (413).
BOLT_MAX_UPLOAD_SIZE = 4 * 1024 * 1024
