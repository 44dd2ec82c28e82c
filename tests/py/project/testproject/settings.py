"""Settings of the project the e2e tests serve with a real `runbolt`."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "tests-only-" + "k" * 40
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_bolt",
    "testapp",
    "typedapp",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("TEST_DB", ":memory:"),
    }
}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
MARKER_DIR = os.environ.get("TEST_MARKER_DIR", "")

FILES_DIR = BASE_DIR / "files"

DJANGO_BOLT = {
    "FILE_RESPONSE_ROOTS": [str(FILES_DIR)],
    "API": "testproject.extra_api.api",
    "HANDLER_TIMEOUT": 3,
    "GRACEFUL_TIMEOUT": 10,
    # One process unless a test asks for more (--workers): the single-process path.
    "WORKERS": 1,
}
if os.environ.get("TEST_LIFESPAN"):
    DJANGO_BOLT["API"] = ["testproject.extra_api.api", "testproject.lifespan_api.api"]

# Global CORS policy (django-cors-headers names), used by tests/py/e2e/test_middleware.py.
CORS_ALLOWED_ORIGINS = ["https://app.example"]
CORS_EXPOSE_HEADERS = ["X-Total"]
if os.environ.get("TEST_MAX_BODY"):
    DJANGO_BOLT["MAX_BODY_SIZE"] = int(os.environ["TEST_MAX_BODY"])
if os.environ.get("TEST_MAX_CONNECTIONS"):
    DJANGO_BOLT["MAX_CONNECTIONS"] = int(os.environ["TEST_MAX_CONNECTIONS"])
# Extra DJANGO_BOLT keys as JSON (metrics and access-log tests).
if os.environ.get("TEST_BOLT_SETTINGS"):
    import json

    DJANGO_BOLT.update(json.loads(os.environ["TEST_BOLT_SETTINGS"]))
