"""An API found through DJANGO_BOLT["API"] rather than an app's api.py."""

from django_bolt import BoltAPI

api = BoltAPI(prefix="/extra")


@api.get("/ping")
async def ping():
    return {"from": "settings"}
