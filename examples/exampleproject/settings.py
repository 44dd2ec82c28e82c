"""Settings of the example project: a plain Django project that also serves django-bolt APIs."""

import json
import os
from pathlib import Path

from django_bolt.db import databases

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret-" + "x" * 32)
# Off unless asked: with DEBUG on, 500 bodies carry full tracebacks. `make run` (development
# mode) turns it on with DJANGO_DEBUG=1; any other way of serving this project keeps it off.
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_bolt",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "exampleproject.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# PostgreSQL with a connection pool when DATABASE_URL is set, else SQLite (WAL) in BASE_DIR.
DATABASES = databases(BASE_DIR, sqlite_name=os.environ.get("EXAMPLE_DB", "db.sqlite3"))

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DJANGO_BOLT = {
    "HOST": "127.0.0.1",
    "PORT": 8000,
}

# Bench hooks (bench/run.py --section middleware), unset in normal use: BENCH_BOLT_SETTINGS
# is a JSON object merged into DJANGO_BOLT (e.g. {"ACCESS_LOG": false, "METRICS_PATH": null}),
# BENCH_CORS_ALLOWED_ORIGINS a comma-separated CORS_ALLOWED_ORIGINS (turns CORS on).
if os.environ.get("BENCH_BOLT_SETTINGS"):
    DJANGO_BOLT.update(json.loads(os.environ["BENCH_BOLT_SETTINGS"]))
if os.environ.get("BENCH_CORS_ALLOWED_ORIGINS"):
    CORS_ALLOWED_ORIGINS = os.environ["BENCH_CORS_ALLOWED_ORIGINS"].split(",")
