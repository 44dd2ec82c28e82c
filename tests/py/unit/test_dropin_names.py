"""django-bolt's public names, modules and small behaviours (issue 18), from its documented
API: every import a django-bolt project writes must work here."""

from __future__ import annotations

import datetime
import importlib
from http import HTTPStatus
from typing import Any

import pytest

import django_bolt
from django_bolt import BoltAPI, BoltConfigError, Request, Router
from django_bolt._server.ratelimit import RATE_LIMIT_ATTR
from django_bolt.middleware import CORS_ATTR, cors, rate_limit
from django_bolt.types import Request as RequestT

TOP_LEVEL = [
    "BoltAPI",
    "Request",
    "Response",
    "JSON",
    "StreamingResponse",
    "CompressionConfig",
    "Cookie",
    "Depends",
    "UploadFile",
    "MediaType",
    "FileSize",
    "Router",
    "RequestProtocol",
    "UserType",
    "AuthContext",
    "DjangoModel",
    "JWTClaims",
    "APIKeyAuth",
    "TimingState",
    "TracingState",
    "JWTAuthentication",
    "APIKeyAuthentication",
    "AllowAny",
    "IsAuthenticated",
    "IsAdminUser",
    "IsStaff",
    "HasPermission",
    "HasAnyPermission",
    "HasAllPermissions",
    "MiddlewareProtocol",
    "BaseMiddleware",
    "Middleware",
    "middleware",
    "rate_limit",
    "cors",
    "skip_middleware",
    "no_compress",
    "TimingMiddleware",
    "LoggingMiddleware",
    "ErrorHandlerMiddleware",
    "DjangoMiddleware",
    "Token",
    "create_jwt_for_user",
    "get_current_user",
    "extract_user_id_from_context",
    "get_auth_context",
    "OpenAPIConfig",
    "FileResponse",
    "HTML",
    "PlainText",
    "Redirect",
    "Header",
    "Query",
    "Path",
    "Body",
    "Form",
    "File",
]

MODULES = {
    "types": ["Request", "JWTClaims", "UserType", "AuthContext", "DjangoModel", "TimingState", "MiddlewareResponse"],
    "status_codes": ["HTTP_200_OK", "HTTP_201_CREATED", "HTTP_422_UNPROCESSABLE_ENTITY", "HTTP_503_SERVICE_UNAVAILABLE"],  # noqa: E501
    "enums": ["MediaType", "FileSize"],
    "cookies": ["Cookie", "make_delete_cookie"],
    "shortcuts": ["render"],
    "error_handlers": ["format_error_response", "http_exception_handler", "handle_exception"],
    "dependencies": ["get_current_user", "CurrentUser", "OptionalCurrentUser"],
    "concurrency": ["sync_to_thread"],
    "decorators": ["cors", "rate_limit", "skip_middleware", "middleware", "no_compress"],
    "router": ["Router"],
    "health": ["register_health_checks", "add_health_check", "HealthCheck", "check_database"],
    "logging": ["LoggingConfig", "LoggingMiddleware", "create_logging_middleware"],
    "middleware": [
        "MiddlewareProtocol", "BaseMiddleware", "Middleware", "TimingMiddleware", "LoggingMiddleware",
        "ErrorHandlerMiddleware", "DjangoMiddleware", "DjangoMiddlewareStack", "load_django_middleware",
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_top_level_name(name: str) -> None:
    assert getattr(django_bolt, name) is not None
    assert name in django_bolt.__all__


@pytest.mark.parametrize(("module", "names"), MODULES.items())
def test_module_names(module: str, names: list[str]) -> None:
    mod = importlib.import_module(f"django_bolt.{module}")
    for name in names:
        assert hasattr(mod, name), f"django_bolt.{module}.{name}"


def test_top_level_cookie_is_the_response_cookie() -> None:
    assert django_bolt.Cookie is importlib.import_module("django_bolt.cookies").Cookie


def test_every_status_code_has_its_constant() -> None:
    codes = importlib.import_module("django_bolt.status_codes")
    for status in HTTPStatus:
        assert getattr(codes, f"HTTP_{status.value}_{status.name}") == status.value


def test_enums() -> None:
    from django_bolt.enums import FileSize, MediaType  # noqa: PLC0415

    assert MediaType.JSON == "application/json"
    assert FileSize.MB_10 == 10 * 1024 * 1024


def test_cookie_dataclass() -> None:
    from django_bolt.cookies import Cookie, make_delete_cookie  # noqa: PLC0415

    c = Cookie("sid", "abc", max_age=60, secure=True, httponly=True)
    assert c.to_header_value() == "sid=abc; HttpOnly; Max-Age=60; Path=/; SameSite=Lax; Secure"
    assert Cookie("a", "b", samesite=False).to_header_value() == "a=b; Path=/"
    when = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    assert "expires=Wed, 02 Jan 2030 03:04:05 GMT" in Cookie("a", expires=when).to_header_value()
    gone = make_delete_cookie("sid")
    assert gone.max_age == 0
    assert gone.to_raw_tuple()[0] == b"set-cookie"


def test_request_is_subscriptable_and_state_falls_back() -> None:
    assert Request[object, dict, dict] is Request  # type: ignore[misc]
    req = Request(0, b"/x", "", b"", b"", {})
    req.state["tenant"] = "acme"
    assert req.tenant == "acme"  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        _ = req.nothing  # type: ignore[attr-defined]


def test_request_protocol_annotation_is_the_request() -> None:
    api = BoltAPI()

    @api.get("/x")
    async def x(r: RequestT[Any, Any, Any]) -> None: ...

    assert api.routes[0].params[0].source == "request"


def test_response_content_dict_is_json_and_cookies_chain() -> None:
    from django_bolt.responses import Response  # noqa: PLC0415

    r = Response(content={"a": [1]}).set_cookie("k", "v").delete_cookie("old")
    assert r.media_type == "application/json"
    assert r.render() == b'{"a":[1]}'
    assert r.cookies[0] == "k=v; Path=/; SameSite=Lax"
    assert "Max-Age=0" in r.cookies[1]


def test_event_stream_headers_and_overrides() -> None:
    from django_bolt.responses import StreamingResponse  # noqa: PLC0415

    r = StreamingResponse(iter(["x"]), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
    assert r.headers["Cache-Control"] == "no-cache"  # the handler's own header wins
    assert r.headers["x-accel-buffering"] == "no"
    assert r.headers["pragma"] == "no-cache"
    assert "x-accel-buffering" not in StreamingResponse(iter(["x"]), media_type="text/plain").headers


def test_cors_accepts_django_bolt_keywords() -> None:
    @cors(origins=["https://a.example"], methods=["GET"], headers=["X-A"], credentials=True, max_age=60)
    async def h() -> None: ...

    assert getattr(h, CORS_ATTR) == {
        "allowed_origins": ["https://a.example"],
        "allow_methods": ["GET"],
        "allow_headers": ["X-A"],
        "allow_credentials": True,
        "max_age": 60,
    }

    @cors(origins="*")
    async def any_origin() -> None: ...

    assert getattr(any_origin, CORS_ATTR) == {"allow_all_origins": True}
    with pytest.raises(BoltConfigError, match="not both"):
        cors(origins=["https://a.example"], allowed_origins=["https://b.example"])


def test_rate_limit_defaults_are_django_bolts() -> None:
    @rate_limit()
    async def h() -> None: ...

    assert getattr(h, RATE_LIMIT_ATTR) == {"rps": 100, "key": "ip", "burst": 200}

    @rate_limit(rps=2, key="api_key")
    async def k() -> None: ...

    assert getattr(k, RATE_LIMIT_ATTR) == {"rps": 2, "key": "x-api-key", "burst": 4}


def test_router_keywords() -> None:
    parent = Router(prefix="/p/")
    child = Router(prefix="/c", tags=["t"], parent=parent)

    @child.get("/x")
    async def x() -> None: ...

    assert [r.path for r in parent.all_routes()] == ["/p/c/x"]
    assert parent.get_all_routes()[0].extra["tags"] == ["t"]
    with pytest.raises(BoltConfigError, match="dependencies"):
        Router(dependencies=[42])
    with pytest.raises(BoltConfigError, match="not middleware"):
        Router(middleware=[object()])


def test_boltapi_keywords_and_trailing_slash() -> None:
    strip = BoltAPI(prefix="/api", trailing_slash="strip", middleware=[], enable_logging=False, compression=None)
    assert strip.compression is not None  # None means the default (on), as in django-bolt

    @strip.get("/items/")
    async def a() -> None: ...

    append = BoltAPI(trailing_slash="append")

    @append.get("/items")
    async def b() -> None: ...

    keep = BoltAPI(trailing_slash="keep")

    @keep.get("/items/")
    async def c() -> None: ...

    assert (strip.routes[0].path, append.routes[0].path, keep.routes[0].path) == ("/api/items", "/items/", "/items/")
    with pytest.raises(BoltConfigError, match="trailing_slash"):
        BoltAPI(trailing_slash="sometimes")
    with pytest.raises(BoltConfigError, match="logging_config"):
        BoltAPI(logging_config="verbose")


def test_mount_another_api() -> None:
    main, other = BoltAPI(), BoltAPI()

    @other.get("/ping")
    async def ping() -> str:
        return "pong"

    main.mount("/other/", other)
    assert [r.path for r in main.routes] == ["/other/ping"]
    with pytest.raises(BoltConfigError):
        main.mount("/self", main)


def test_meta_has_djangos_server_keys() -> None:
    req = Request(0, b"/x", "a\x00b", b"host\x00api.example:8443", b"xyz", {})
    meta = req.META
    assert (meta["SERVER_NAME"], meta["SERVER_PORT"], meta["SCRIPT_NAME"]) == ("api.example", "8443", "")
    assert meta["CONTENT_LENGTH"] == "3"
    assert Request(0, b"/x", "", b"host\x00plain.example", b"", {}).META["SERVER_PORT"] == "80"


@pytest.mark.parametrize("raw", ["1e10", "1.0", "+5", " 1", "0x10", ""])
def test_int_parameters_take_integer_syntax_only(raw: str) -> None:
    from django_bolt._routing.plans import scalar_converter  # noqa: PLC0415
    from django_bolt.params import Path  # noqa: PLC0415

    for convert in (scalar_converter(int, None), scalar_converter(int, Path(ge=0))):
        assert convert is not None
        with pytest.raises(ValueError):  # msgspec.ValidationError is a ValueError
            convert(raw)
        assert convert("42") == 42


def test_bolt_setting_aliases() -> None:
    from types import SimpleNamespace  # noqa: PLC0415

    from django_bolt._server.aliases import apply_aliases  # noqa: PLC0415

    legacy = SimpleNamespace(BOLT_MAX_UPLOAD_SIZE=10, BOLT_API=["a.b:api"], BOLT_ALLOWED_FILE_PATHS=("/srv",))
    assert apply_aliases(legacy, {"HOST": "0.0.0.0"}) == {
        "HOST": "0.0.0.0",
        "MAX_BODY_SIZE": 10,
        "API": ["a.b:api"],
        "FILE_RESPONSE_ROOTS": ["/srv"],
    }
    with pytest.raises(BoltConfigError, match="both set"):
        apply_aliases(SimpleNamespace(BOLT_MAX_UPLOAD_SIZE=10), {"MAX_BODY_SIZE": 20})


def test_ignored_bolt_settings_only_warn(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """docs/migrating-from-django-bolt.md: DJANGO_BOLT_LOG_LEVEL and BOLT_MAX_SYNC_STREAMING_THREADS
    are ignored with a warning; an alias warns that it should move."""
    from types import SimpleNamespace  # noqa: PLC0415

    from django_bolt._server import aliases  # noqa: PLC0415

    monkeypatch.setattr(aliases, "_warned", set())
    legacy = SimpleNamespace(DJANGO_BOLT_LOG_LEVEL="DEBUG", BOLT_MAX_SYNC_STREAMING_THREADS=4, BOLT_EMIT_SIGNALS=True)
    with caplog.at_level("WARNING", logger="django_bolt"):
        assert aliases.apply_aliases(legacy, {}) == {"DJANGO_SIGNALS": True}
    text = caplog.text
    assert "DJANGO_BOLT_LOG_LEVEL is ignored" in text and "BOLT_MAX_SYNC_STREAMING_THREADS is ignored" in text
    assert "BOLT_EMIT_SIGNALS is django-bolt's name for DJANGO_BOLT['DJANGO_SIGNALS']" in text


def test_sync_handlers_setting_is_checked() -> None:
    from django_bolt.conf import load_settings  # noqa: PLC0415

    assert load_settings({"SYNC_HANDLERS": "thread"}, environ={}).SYNC_HANDLERS == "thread"
    with pytest.raises(BoltConfigError, match="SYNC_HANDLERS"):
        load_settings({"SYNC_HANDLERS": "sometimes"}, environ={})


async def _read_after_seek(upload: Any) -> bytes:
    await upload.seek(-3, 2)
    data: bytes = await upload.read()
    return data


def test_upload_file_is_a_django_file_and_seeks_with_whence() -> None:
    import asyncio  # noqa: PLC0415

    from django.core.files import File  # noqa: PLC0415

    from django_bolt import UploadFile  # noqa: PLC0415

    upload = UploadFile.from_bytes(b"hello world", filename="a.txt")
    assert isinstance(upload.file, File)
    assert upload.file.name == "a.txt"
    assert b"".join(upload.file.chunks()) == b"hello world"
    assert asyncio.run(_read_after_seek(upload)) == b"rld"


def test_include_in_schema_on_api_and_router() -> None:
    hidden = BoltAPI(include_in_schema=False)

    @hidden.get("/a")
    async def a() -> None: ...

    api = BoltAPI()
    internal = Router(prefix="/internal", include_in_schema=False)

    @internal.get("/b")
    async def b() -> None: ...

    @api.get("/c")
    async def c() -> None: ...

    api.include_router(internal)
    assert hidden.routes[0].extra["include_in_schema"] is False
    assert {r.path: r.extra["include_in_schema"] for r in api.routes} == {"/internal/b": False, "/c": True}


def test_response_classes_take_django_bolts_argument_names() -> None:
    from django_bolt.responses import HTML, JSON, PlainText  # noqa: PLC0415

    assert JSON(data={"a": 1}, status_code=201).render() == b'{"a":1}'
    assert JSON(content=[1]).render() == b"[1]"
    assert PlainText(text="hi").render() == b"hi"
    assert HTML(html="<b>x</b>").render() == b"<b>x</b>"
    r = JSON({}).set_cookie(name="sid", value="1").delete_cookie(name="old")
    assert r.cookies[0].startswith("sid=1;") and r.cookies[1].startswith("old=")
    with pytest.raises(TypeError):
        JSON({}).set_cookie("a", name="b")


def test_middleware_dicts_are_checked() -> None:
    with pytest.raises(BoltConfigError, match="type 'cors' or 'rate_limit'"):
        BoltAPI(middleware=[{"type": "gzip"}])
    with pytest.raises(BoltConfigError, match="rate_limit middleware dict"):
        Router(middleware=[{"type": "rate_limit", "per_second": 3}])


def test_route_paths_as_django_patterns() -> None:
    from django_bolt._django.urls import django_path as _django_path  # noqa: PLC0415

    assert _django_path("/items/{item_id}") == "items/<str:item_id>"
    assert _django_path("/u/{pk:int}/files/{rest:path}") == "u/<int:pk>/files/<path:rest>"
    assert _django_path("/x/{v:weird}") is None
    assert _django_path("/") == ""


def test_openapi_strict_refuses_untyped_objects_at_start_up() -> None:
    from django_bolt._server.discovery import collect_routes  # noqa: PLC0415
    from django_bolt.openapi import OpenAPIConfig  # noqa: PLC0415
    from django_bolt.openapi.serving import rendered  # noqa: PLC0415

    api = BoltAPI()

    @api.post("/loose")
    async def loose(payload: dict[str, Any]) -> dict[str, Any]:
        return payload

    routes = collect_routes([api])
    assert rendered(routes, OpenAPIConfig(), None)  # not strict: served
    with pytest.raises(BoltConfigError, match="untyped objects"):
        rendered(routes, OpenAPIConfig(strict=True), None)


def test_error_handler_helpers() -> None:
    from django_bolt.error_handlers import format_error_response, generic_exception_handler, handle_exception  # noqa: PLC0415
    from django_bolt.exceptions import HTTPException, NotFound  # noqa: PLC0415

    status, headers, body = format_error_response(409, "taken", {"X-A": "1"}, extra={"field": "name"})
    assert (status, body) == (409, b'{"detail":"taken","extra":{"field":"name"}}')
    assert ("X-A", "1") in headers
    assert handle_exception(NotFound("no such item"))[::2] == (404, b'{"detail":"no such item"}')
    assert handle_exception(HTTPException(418, body={"teapot": True}))[2] == b'{"teapot":true}'
    assert generic_exception_handler(RuntimeError("x"))[0] == 500


def test_sync_to_thread_runs_elsewhere() -> None:
    import asyncio  # noqa: PLC0415
    import threading  # noqa: PLC0415

    from django_bolt.concurrency import sync_to_thread  # noqa: PLC0415

    def where(tag: str, *, suffix: str) -> tuple[str, str]:
        return threading.current_thread().name, tag + suffix

    async def main() -> tuple[str, str]:
        return await sync_to_thread(where, "a", suffix="b")

    name, value = asyncio.run(main())
    assert value == "ab" and name != threading.current_thread().name


def test_enable_logging_and_logging_config_drive_the_access_log() -> None:
    from django_bolt._server.observe import go_config  # noqa: PLC0415
    from django_bolt.conf import load_settings  # noqa: PLC0415
    from django_bolt.logging import LoggingConfig  # noqa: PLC0415

    s = load_settings({}, environ={})
    assert go_config(s, False, [BoltAPI()])["access_log"]["sample"] == 1.0
    assert "access_log" not in go_config(s, False, [BoltAPI(enable_logging=False)])
    tuned = BoltAPI(logging_config=LoggingConfig(sample_rate=0.25, min_duration_ms=50))
    log = go_config(s, False, [BoltAPI(enable_logging=False), tuned])["access_log"]
    assert (log["sample"], log["slow_ms"]) == (0.25, 50)
