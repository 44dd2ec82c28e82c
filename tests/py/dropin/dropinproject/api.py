"""A project-level api.py (django-bolt finds <project>/api.py through ROOT_URLCONF)."""

from django_bolt import BoltAPI

api = BoltAPI()


@api.get("/project-level")
async def project_level() -> dict:
    return {"where": "project"}
