"""The django-ninja and DRF peers (bench/.venv-django): one project, the URLconf picked by
PEER=ninja|drf. No middleware, no admin, as the other targets; the database comes from
DATABASE_URL, configured as "ours" is (bench/peers/peer_db.py)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # bench/peers: peer_db

from peer_db import databases  # noqa: E402

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "djpeers"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = {"ninja": "djpeers.ninja_urls", "drf": "djpeers.drf_urls"}[
    os.environ.get("PEER", "ninja")
]
DATABASES = databases()
USE_TZ = True
REST_FRAMEWORK = {
    # JSON only, no session/auth lookups: the other targets do neither.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
