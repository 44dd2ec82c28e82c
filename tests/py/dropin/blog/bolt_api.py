"""django-bolt also discovers <app>/bolt_api.py."""

from django_bolt import BoltAPI

api = BoltAPI(prefix="/bolt-api")


@api.get("/hello")
def hello() -> dict:  # a plain `def`, as django-bolt allows (SYNC_HANDLERS = "thread")
    return {"sync": True}
