"""Settings of the project the e2e tests serve with a real `runbolt`."""

import os
from pathlib import Path

from django_bolt.db import databases

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "tests-only-" + "k" * 40
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_bolt",
    "testapp",
    "typedapp",
    "shopapp",
    "streamapp",
    "viewsapp",
    "wsapp",
]
# SQLite (TEST_DB, default in memory) unless TEST_DATABASE_URL names a server: the database
# tests set it from DATABASE_URL (tests/pg/start.sh) for their PostgreSQL run only.
DATABASES = databases(
    BASE_DIR, url=os.environ.get("TEST_DATABASE_URL", ""), sqlite_name=os.environ.get("TEST_DB", ":memory:")
)
# The Django side (admin, sessions, CSRF) that tests/py/e2e/test_django_*.py,
# test_sessions.py and test_static.py exercise through the fallback to Django.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "testproject.middleware.StampMiddleware",
]
ROOT_URLCONF = "testproject.urls"
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
            ]
        },
    }
]
# Tests only: the default PBKDF2 (1M iterations) can take longer than HANDLER_TIMEOUT (3 s)
# on a loaded CI machine, and a login would then be a 504.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("TEST_STATIC_ROOT") or None
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
MARKER_DIR = os.environ.get("TEST_MARKER_DIR", "")

FILES_DIR = BASE_DIR / "files"

DJANGO_BOLT = {
    "FILE_RESPONSE_ROOTS": [str(FILES_DIR)],
    "API": ["testproject.extra_api.api", "testproject.django_api.api", "testproject.django_api.mw_api"],
    "HANDLER_TIMEOUT": 3,
    "GRACEFUL_TIMEOUT": 10,
    # One process unless a test asks for more (--workers): the single-process path.
    "WORKERS": 1,
}
if os.environ.get("TEST_LIFESPAN"):
    DJANGO_BOLT["API"] = [*DJANGO_BOLT["API"], "testproject.lifespan_api.api"]

# Global CORS policy (django-cors-headers names), used by tests/py/e2e/test_middleware.py.
CORS_ALLOWED_ORIGINS = ["https://app.example"]
CORS_EXPOSE_HEADERS = ["X-Total"]
if os.environ.get("TEST_MAX_BODY"):
    DJANGO_BOLT["MAX_BODY_SIZE"] = int(os.environ["TEST_MAX_BODY"])
if os.environ.get("TEST_MAX_CONNECTIONS"):
    DJANGO_BOLT["MAX_CONNECTIONS"] = int(os.environ["TEST_MAX_CONNECTIONS"])
# Auth and rate-limit routes (tests/py/e2e/test_auth.py, test_ratelimit.py).
if os.environ.get("TEST_AUTH"):
    DJANGO_BOLT["API"] = ["testproject.extra_api.api", "testproject.auth_api.api"]
    DJANGO_BOLT["TEST_CLOCK"] = float(os.environ["TEST_AUTH"])
if os.environ.get("TEST_TRUSTED_PROXIES"):
    DJANGO_BOLT["TRUSTED_PROXIES"] = os.environ["TEST_TRUSTED_PROXIES"].split(",")
if os.environ.get("TEST_RATE_LIMIT_KEYS"):
    DJANGO_BOLT["RATE_LIMIT_MAX_KEYS"] = int(os.environ["TEST_RATE_LIMIT_KEYS"])
if os.environ.get("TEST_SIGNALS"):
    DJANGO_BOLT["DJANGO_SIGNALS"] = True
# Uploads (tests/py/e2e/test_multipart.py): small limits so that tests stay small.
DJANGO_BOLT["FILE_UPLOAD_MAX_MEMORY_SIZE"] = 64 * 1024
DJANGO_BOLT["MULTIPART_MAX_FILES"] = 10
DJANGO_BOLT["MULTIPART_MAX_FIELDS"] = 50
if os.environ.get("TEST_UPLOAD_DIR"):
    DJANGO_BOLT["FILE_UPLOAD_TEMP_DIR"] = os.environ["TEST_UPLOAD_DIR"]
# Shared state in Redis (tests/py/e2e/test_shared_state.py).
if os.environ.get("TEST_STATE"):
    DJANGO_BOLT["API"] = ["testproject.state_api.api"]
    DJANGO_BOLT["STATE"] = os.environ["TEST_STATE"]
# BackgroundTasks and durable tasks (tests/py/e2e/test_background.py): django-tasks with
# its database backend (django-tasks-db).
if os.environ.get("TEST_BACKGROUND"):
    DJANGO_BOLT["API"] = ["testproject.background_api.api"]
    INSTALLED_APPS += ["django_tasks", "django_tasks_db"]
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Extra DJANGO_BOLT keys as JSON (metrics and access-log tests).
if os.environ.get("TEST_BOLT_SETTINGS"):
    import json

    DJANGO_BOLT.update(json.loads(os.environ["TEST_BOLT_SETTINGS"]))
# issue 19: the serializers' N+1 guard on (it follows DEBUG by default), and a settings-level
# default pagination class for the test that sets TEST_DEFAULT_PAGINATION.
BOLT_N_PLUS_ONE_WARNINGS = True
BOLT_DEFAULT_PAGINATION_CLASS = os.environ.get("TEST_DEFAULT_PAGINATION") or None
# tests/py/e2e/test_websocket.py: the opt-in query token and a small socket cap.
if os.environ.get("TEST_WS"):
    DJANGO_BOLT["WS_QUERY_TOKEN"] = "access_token"
    DJANGO_BOLT["WS_MAX_CONNECTIONS"] = 3
# Host checks (tests/py/e2e/test_hardening.py): comma-separated ALLOWED_HOSTS.
if os.environ.get("TEST_ALLOWED_HOSTS"):
    ALLOWED_HOSTS = os.environ["TEST_ALLOWED_HOSTS"].split(",")
# An API whose routes collide with testapp's (tests/py/e2e/test_route_conflicts.py).
if os.environ.get("TEST_CONFLICT_API"):
    DJANGO_BOLT["API"] = [*DJANGO_BOLT["API"], "testproject.conflict_api.api"]
# Issue 18 part A (tests/py/e2e/test_tokens.py, test_media.py, test_admin_bridge.py): JWKS key
# sets and token pairs, MEDIA_URL served by Go, django_bolt.admin's bridge.
if os.environ.get("TEST_TOKENS"):
    DJANGO_BOLT["API"] = ["testproject.tokens_api.api"]
if os.environ.get("TEST_MEDIA_ROOT"):
    MEDIA_URL = "/media/"
    MEDIA_ROOT = os.environ["TEST_MEDIA_ROOT"]
if os.environ.get("TEST_BOLT_MEDIA_MAX_AGE"):
    BOLT_MEDIA_MAX_AGE = int(os.environ["TEST_BOLT_MEDIA_MAX_AGE"])
if os.environ.get("TEST_ADMIN_BRIDGE"):
    DJANGO_BOLT["API"] = [*DJANGO_BOLT["API"], "testproject.admin_bridge_api.api"]
