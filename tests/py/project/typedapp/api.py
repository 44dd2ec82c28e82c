"""Routes for the typed request/response surface (markers, models, responses, errors)."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
from typing import Annotated, Literal

import msgspec
from django.http import HttpResponse
from pydantic import BaseModel, Field

from django_bolt import BoltAPI, Request
from django_bolt.exceptions import NotFound
from django_bolt.param_functions import Body, Cookie, Depends, Form, Header, Path, Query
from django_bolt.responses import HTML, JSON, PlainText, Redirect, Response


class Teapot(Exception):
    pass


api = BoltAPI(prefix="/typed")


@api.exception_handler(Teapot)
async def teapot_handler(request: Request, exc: Teapot) -> JSON:
    return JSON({"error": "teapot", "path": request.path, "ua": request.headers.get("user-agent")}, status_code=418)


@api.exception_handler(LookupError)
def lookup_handler(request: Request, exc: LookupError) -> JSON:
    return JSON({"error": "lookup", "kind": type(exc).__name__}, status_code=404)


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@api.get("/scalars")
async def scalars(
    d: decimal.Decimal,
    when: datetime.date,
    color: Color,
    mode: Literal["fast", "slow"] = "fast",
    at: datetime.datetime | None = None,
):
    return {"d": str(d), "when": when.isoformat(), "color": color.value, "mode": mode, "at": at}


@api.get("/limits/{n}")
async def limits(
    n: Annotated[int, Path(ge=1, le=10)],
    q: str = Query(min_length=2, max_length=5, pattern="^[a-z]+$"),
    page: Annotated[int, Query(gt=0)] = 1,
    size: int = Query(20, alias="page-size", le=100),
):
    return {"n": n, "q": q, "page": page, "size": size}


@api.get("/headers")
async def headers(
    x_token: str = Header(),
    user_agent: str | None = Header(None),
    x_tags: list[str] = Header([]),
    session: str | None = Cookie(None),
    theme: str = Cookie("light", alias="ui-theme"),
):
    return {"token": x_token, "ua": user_agent, "tags": x_tags, "session": session, "theme": theme}


class Filters(msgspec.Struct):
    status: str = "any"
    tags: list[str] = []
    limit: int = 10


@api.get("/filters")
async def filters(f: Annotated[Filters, Query()]):
    return {"status": f.status, "tags": f.tags, "limit": f.limit}


class ItemIn(BaseModel):
    name: str = Field(min_length=1)
    price: float = Field(gt=0)
    tags: list[str] = []


class ItemOut(BaseModel):
    name: str
    price: float


@api.post("/pydantic", status_code=201)
async def create_pydantic(item: ItemIn) -> ItemOut:
    return ItemOut(name=item.name, price=item.price)


@dataclasses.dataclass
class Point:
    x: int
    y: int


@api.post("/dataclass")
async def dataclass_body(p: Point):
    return p


class Line(msgspec.Struct):
    start: Point
    end: Point


@api.post("/nested")
async def nested(line: Line):
    return {"dx": line.end.x - line.start.x}


@api.post("/embed")
async def embed(item: ItemIn = Body(embed=True), count: int = Body(1, embed=True)):
    return {"name": item.name, "count": count}


class UserOut(msgspec.Struct):
    id: int
    name: str


@api.get("/users/{user_id}", response_model=UserOut)
async def get_user(user_id: int):
    # password must not leave the server: response_model keeps only declared fields
    return {"id": user_id, "name": "ada", "password": "secret"}


@api.get("/bad-output", response_model=UserOut)
async def bad_output():
    return {"id": "not-an-int", "name": "x"}


@api.get("/users-list")
async def list_users() -> list[UserOut]:
    return [{"id": 1, "name": "a", "email": "hidden"}, {"id": 2, "name": "b"}]  # type: ignore[list-item]


@api.post("/form")
async def form(name: str = Form(), age: int = Form(), tags: list[str] = Form([])):
    return {"name": name, "age": age, "tags": tags}


async def db_session() -> dict[str, int]:
    db_session.calls += 1  # type: ignore[attr-defined]
    return {"calls": db_session.calls}  # type: ignore[attr-defined]


db_session.calls = 0  # type: ignore[attr-defined]


def current_user(x_user: str = Header("anonymous"), db: dict[str, int] = Depends(db_session)) -> dict[str, object]:
    return {"name": x_user, "db": db}


async def audit(user: dict[str, object] = Depends(current_user), db: dict[str, int] = Depends(db_session)) -> str:
    return f"{user['name']}@{db['calls']}"


@api.get("/deps")
async def deps(user: Annotated[dict, Depends(current_user)], trail: str = Depends(audit), limit: int = 5):
    return {"user": user["name"], "db_calls_seen": user["db"], "trail": trail, "limit": limit}


@api.get("/responses/{kind}")
async def responses(kind: str):
    if kind == "json":
        r = JSON({"ok": True}, status_code=202, headers={"X-Extra": "1"})
        r.set_cookie("sid", "abc", httponly=True, max_age=60)
        return r
    if kind == "text":
        return PlainText("hello")
    if kind == "html":
        return HTML("<h1>hi</h1>")
    if kind == "redirect":
        return Redirect("/typed/responses/json")
    if kind == "custom":
        return Response(b"a,b\n1,2\n", media_type="text/csv", headers={"Content-Disposition": "attachment"})
    if kind == "tuple":
        return 203, {"X-Tuple": "yes"}, {"from": "tuple"}
    if kind == "django":
        resp = HttpResponse("from django", content_type="text/plain", status=206)
        resp["X-Django"] = "1"
        return resp
    if kind == "delete-cookie":
        r = Response(b"", status_code=204)
        r.delete_cookie("sid")
        return r
    if kind == "teapot":
        raise Teapot()
    if kind == "lookup":
        raise KeyError("x")
    if kind == "notfound":
        raise NotFound("no such kind", extra={"kind": kind})
    return {"kind": kind}


@api.get("/request-extras")
async def request_extras(request: Request):
    return {
        "cookies": request.cookies,
        "meta_ua": request.META.get("HTTP_USER_AGENT"),
        "absolute": request.build_absolute_uri(),
        "full_path": request.get_full_path(),
        "params": request["params"],
        "auth": request.get("auth"),
    }


@api.get("/quick-timeout", timeout=0.3)
async def quick_timeout(seconds: float = 2.0):
    import asyncio

    await asyncio.sleep(seconds)
    return {"slept": seconds}


@api.get("/files/{name}")
async def send_file(name: str, download: bool = False):
    from django.conf import settings

    from django_bolt.responses import FileResponse

    # the route takes a name, not a path, and the roots setting is a second fence
    path = settings.FILES_DIR / name if name != "outside" else "/etc/hostname"
    return FileResponse(path, filename=name if download else None)


@api.ready_check
async def always_ready() -> None:
    return None


@api.ready_check
def flag_file() -> bool:
    """Not ready while the marker file `not-ready` exists (the test creates it)."""
    from pathlib import Path

    from django.conf import settings

    return not (Path(settings.MARKER_DIR) / "not-ready").exists()


def _register_database_check() -> None:
    from django_bolt.health import database_check

    api.ready_check(database_check)


_register_database_check()
