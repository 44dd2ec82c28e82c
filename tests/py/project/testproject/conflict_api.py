"""A second API that shadows testapp's GET /items/{item_id} with another parameter name:
runbolt must refuse to start, naming both handlers (tests/py/e2e/test_route_conflicts.py)."""

from django_bolt import BoltAPI

api = BoltAPI()


@api.get("/items/{id}")
async def item_by_id(id: int):
    return {"id": id}
