from django.apps import AppConfig


class ShopAppConfig(AppConfig):
    name = "shopapp"
    default_auto_field = "django.db.models.BigAutoField"
