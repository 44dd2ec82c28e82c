"""The benchmarked requests: each workload's URL, method, body, headers and the JSON every
target must answer it with (`PATHS`, the `--paths` names)."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Workload:
    """One benchmarked request and the JSON every target must answer it with."""

    url: str  # path and query
    expected: object
    method: str = "GET"
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        return self.url if self.method == "GET" else f"{self.method} {self.url}"

    @property
    def needs_script(self) -> bool:
        """wrk takes method, body and headers only from a Lua script."""
        return self.method != "GET" or bool(self.body) or bool(self.headers)


def order_body() -> tuple[bytes, dict[str, object]]:
    """The ~1 KB order POSTed to /bench/struct and /bench/pydantic, and the reply to it."""
    qtys = [i % 4 + 1 for i in range(10)]
    prices = [round(4.99 + i * 3.17, 2) for i in range(10)]
    items = [
        {"sku": f"SKU-{1000 + i}-NAVY-XL-ORGANIC-COTTON-TSHIRT", "qty": qty, "price": price}
        for i, (qty, price) in enumerate(zip(qtys, prices))
    ]
    order = {
        "name": "Ada Lovelace",
        "email": "ada.lovelace@example.com",
        "price": 149.99,
        "tags": [
            *("priority", "gift-wrap", "express-shipping", "fragile", "eu-warehouse"),
            *("repeat-customer", "newsletter", "loyalty-gold", "spring-sale", "mobile-app"),
            *("first-order-discount", "carbon-neutral"),
        ],
        "items": items,
    }
    total = sum(qty * price for qty, price in zip(qtys, prices))  # the handlers' order
    reply: dict[str, object] = {"ok": True, "items": len(items), "total": round(total, 2)}
    return json.dumps(order, separators=(",", ":")).encode(), reply


# The /bench/big list; every app builds the same one once, at import time (~10 KB of JSON).
BIG = [
    {
        "id": i,
        "name": f"User Number {i:03d}",
        "email": f"user.number{i:03d}@example.com",
        "active": i % 3 != 0,
        "score": i + 0.25,
    }
    for i in range(100)
]
ORDER, ORDER_REPLY = order_body()


def member_row(i: int) -> dict[str, object]:
    """Member i as examples/demo's `seed_members` writes it (keep the two in step)."""
    return {
        "id": i,
        "name": f"Member {i:03d}",
        "email": f"member{i:03d}@example.com",
        "active": i % 3 != 0,
        "score": i + 0.25,
    }


SEEDED_MEMBERS = 100
USERS_REPLY = [member_row(i) for i in range(1, 11)]  # /users: the first ten, by id


def upload_body() -> tuple[bytes, str, dict[str, object]]:
    """A multipart body with one 1 MiB file (printable bytes: wrk's Lua script holds it as
    text), its content type, and the reply to /bench/upload."""
    boundary = "benchboundary7MA4YWxkTrZu0gW"
    data = (b"0123456789abcdef" * 65536)[: 1 << 20]
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="upload.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    body = head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
    reply: dict[str, object] = {"filename": "upload.bin", "size": len(data)}
    return body, f"multipart/form-data; boundary={boundary}", reply


UPLOAD, UPLOAD_TYPE, UPLOAD_REPLY = upload_body()
JSON_HEADERS = (("Content-Type", "application/json"),)

# path name -> the request and its expected JSON. `--paths` default: hello,items.
PATHS: dict[str, Workload] = {
    "hello": Workload("/hello", {"message": "Hello, World!"}),
    "items": Workload("/items/42?q=abc", {"item_id": 42, "q": "abc"}),
    "struct": Workload("/bench/struct", ORDER_REPLY, "POST", ORDER, JSON_HEADERS),
    "pydantic": Workload("/bench/pydantic", ORDER_REPLY, "POST", ORDER, JSON_HEADERS),
    "big": Workload("/bench/big", BIG),
    "params": Workload(
        "/bench/params/42?limit=10&q=abc",
        {"id": 42, "limit": 10, "q": "abc", "token": "tok"},
        headers=(("X-Token", "tok"),),
    ),
    # issue 5: ten rows through the ORM (`.values()` projection); needs --db.
    "users": Workload("/users", USERS_REPLY),
    "upload": Workload(
        "/bench/upload", UPLOAD_REPLY, "POST", UPLOAD, (("Content-Type", UPLOAD_TYPE),)
    ),
    # issue 19: a ModelViewSet's list (ten rows) and retrieve, and the function route that
    # lists the same rows; need --db.
    "vs-list": Workload("/vs/members", USERS_REPLY),
    "vs-retrieve": Workload("/vs/members/5", member_row(5)),
    "fn-list": Workload("/fn/members", USERS_REPLY),
}
DB_PATHS = ("users", "vs-list", "vs-retrieve", "fn-list")


def url_path(path_name: str) -> str:
    return PATHS[path_name].label if path_name in PATHS else "(all)"
