"""Routes for the Django integration tests: sessions, request.user, CSRF, a mounted ASGI
app, and an API behind settings.MIDDLEWARE."""

from typing import Any

from django.contrib.auth import aauthenticate, alogin, alogout
from django.core.exceptions import SynchronousOnlyOperation
from django.core.signals import request_finished, request_started
from django.views.decorators.csrf import csrf_exempt

from django_bolt import BoltAPI
from django_bolt.auth import (
    HasPermission,
    IsAuthenticated,
    JWTAuthentication,
    SessionAuthentication,
    Token,
    create_jwt_for_user,
)
from django_bolt.exceptions import NotFound, Unauthorized
from django_bolt.request import Request

api = BoltAPI(prefix="/dj")


@api.post("/login")
@csrf_exempt
async def login(request: Request) -> dict[str, str]:
    data = request.body and __import__("json").loads(request.body)
    user = await aauthenticate(request, username=data["username"], password=data["password"])
    if user is None:
        raise Unauthorized("bad credentials")
    await alogin(request, user)
    return {"username": user.get_username()}


@api.get("/me")
async def me(request: Request) -> dict[str, bool | str]:
    user = await request.auser()
    return {"authenticated": user.is_authenticated, "username": user.get_username() if user.is_authenticated else ""}


@api.post("/me/notes")
async def add_note(request: Request) -> dict[str, int]:
    user = await request.auser()
    if not user.is_authenticated:
        raise Unauthorized("log in first")
    notes = await request.session.aget("notes", [])
    await request.session.aset("notes", [*notes, request.body.decode()])
    return {"notes": len(notes) + 1}


@api.get("/user-loop")
async def user_on_loop(request: Request) -> dict[str, str]:
    """docs/django.md: request.user untouched by auser() cannot query on the event loop."""
    try:
        return {"username": request.user.get_username()}
    except SynchronousOnlyOperation as exc:
        return {"error": str(exc)}


@api.get("/user-thread", sync_to_thread=True)
def user_in_thread(request: Request) -> dict[str, str]:
    return {"username": request.user.get_username()}


@api.get("/guarded", auth=[SessionAuthentication()], guards=[IsAuthenticated()])
async def guarded(request: Request) -> dict[str, str]:
    return {"user_id": request.context["user_id"], "backend": request.context["auth_backend"]}


@api.get("/perm", auth=[SessionAuthentication()], guards=[HasPermission("auth.view_user")])
async def perm(request: Request) -> dict[str, bool]:
    return {"ok": True}


@api.post("/exempt")
@csrf_exempt
async def exempt(request: Request) -> dict[str, bool]:
    user = await request.auser()
    return {"authenticated": user.is_authenticated}


@api.post("/logout")
async def logout(request: Request) -> dict[str, bool]:
    await alogout(request)
    return {"ok": True}


@api.get("/counter")
async def counter(request: Request) -> dict[str, int]:
    n = await request.session.aget("n", 0) + 1
    await request.session.aset("n", n)
    return {"n": n}


@api.get("/token")
async def token(request: Request, ghost: bool = False) -> dict[str, str]:
    """A JWT for the session's user (or for a user id that does not exist)."""
    if ghost:
        return {"token": Token.create(999_999, expires_in=600).encode()}
    user = await request.auser()
    if not user.is_authenticated:
        raise Unauthorized("log in first")
    return {"token": create_jwt_for_user(user, expires_in=600)}


@api.get("/jwt-user", auth=[JWTAuthentication()])
async def jwt_user(request: Request) -> dict[str, str | None]:
    """request.user in async code on an auth route: loaded before the handler (None: no user)."""
    user = request.user
    return {"username": None if user is None else user.get_username()}


@api.get("/session-user", auth=[SessionAuthentication()], guards=[IsAuthenticated()])
async def session_user(request: Request) -> dict[str, str]:
    return {"username": request.user.get_username()}


async def tiny_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A bare ASGI app: echoes what it was given."""
    message = await receive()
    body = (
        f"{scope['method']} root_path={scope['root_path']} path={scope['path']} "
        f"query={scope['query_string'].decode()} body={message['body'].decode()}"
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 201,
            "headers": [(b"content-type", b"text/plain"), (b"x-app", b"tiny")],
        }
    )
    await send({"type": "http.response.body", "body": body[:5], "more_body": True})
    await send({"type": "http.response.body", "body": body[5:]})


api.mount_asgi("/mounted", tiny_asgi)

mw_api = BoltAPI(prefix="/mw", django_middleware=True)


@mw_api.get("/hello")
async def mw_hello(request: Request) -> dict[str, str]:
    return {"stamped": request.headers.get("x-stamped", "")}


@mw_api.get("/missing/{item_id}")
async def mw_missing(item_id: int) -> dict[str, int]:
    raise NotFound(f"no item {item_id}")


@mw_api.post("/form")
async def mw_form(request: Request) -> dict[str, str]:
    return {"ok": "yes"}


@mw_api.post("/exempt")
@csrf_exempt
async def mw_exempt(request: Request) -> dict[str, str]:
    return {"ok": "exempt"}


@mw_api.post("/logout")
async def mw_logout(request: Request) -> dict[str, bool]:
    await alogout(request)
    return {"ok": True}


@mw_api.get("/counter")
async def mw_counter(request: Request) -> dict[str, int]:
    n = await request.session.aget("n", 0) + 1
    await request.session.aset("n", n)
    return {"n": n}


SIGNALS = {"started": 0, "finished": 0}


def _count(name: str) -> Any:
    def receiver(**kwargs: Any) -> None:
        SIGNALS[name] += 1

    return receiver


_on_started, _on_finished = _count("started"), _count("finished")
request_started.connect(_on_started)
request_finished.connect(_on_finished)


@api.get("/signals")
async def signals() -> dict[str, int]:
    return dict(SIGNALS)
