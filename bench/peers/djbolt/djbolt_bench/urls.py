"""Empty URLconf: runbolt serves the BoltAPI routes itself, Django's URLconf is unused."""

urlpatterns: list[object] = []
