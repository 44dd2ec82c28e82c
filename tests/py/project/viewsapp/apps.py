from django.apps import AppConfig


class ViewsAppConfig(AppConfig):
    name = "viewsapp"
    default_auto_field = "django.db.models.BigAutoField"
