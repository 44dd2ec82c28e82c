from .settings import *  # noqa: F403

# bolt_openapi --check strict mode: an API whose body is an untyped dict.
DJANGO_BOLT = {**DJANGO_BOLT, "API": ["testproject.extra_api.api", "testproject.untyped_api.api"]}  # noqa: F405
