from .settings import *  # noqa: F403

DJANGO_BOLT = {"HANDLER_TIMEOUT": 3, "HANDLER_TIMOUT": 3}
