"""The Django app config: ``"django_bolt"`` in ``INSTALLED_APPS`` gives ``manage.py runbolt``
and ``bolt_openapi``."""

from django.apps import AppConfig


class DjangoBoltConfig(AppConfig):
    name = "django_bolt"
    verbose_name = "Django-Bolt (Go)"
