from django.apps import AppConfig


class TypedappConfig(AppConfig):
    name = "typedapp"
