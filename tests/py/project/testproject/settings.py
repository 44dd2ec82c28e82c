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

DJANGO_BOLT = {
    "API": "testproject.extra_api.api",
    "HANDLER_TIMEOUT": 3,
    "GRACEFUL_TIMEOUT": 10,
}
