from django_bolt import BoltAPI

api = BoltAPI()


@api.post("/untyped")
async def untyped(data: dict) -> dict:
    return data
