"""django-ninja peer: `uvicorn djpeers.asgi:application` with PEER=ninja (an async view)."""

from django.urls import path
from ninja import NinjaAPI, Schema

from djpeers.models import Member

api = NinjaAPI()


class MemberOut(Schema):
    id: int
    name: str
    email: str
    active: bool
    score: float


@api.get("/hello")
async def hello(request) -> dict[str, str]:
    return {"message": "Hello, World!"}


@api.get("/users", response=list[MemberOut])
async def users(request):
    rows = Member.objects.order_by("id").values("id", "name", "email", "active", "score")[:10]
    return [row async for row in rows]


urlpatterns = [path("", api.urls)]
