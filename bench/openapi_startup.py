"""Start-up cost of the OpenAPI document: build it (and the JSON/YAML/pages Go serves) for an
API of 500 routes with models, parameters and per-status responses.

    .venv/bin/python bench/openapi_startup.py [--routes 500]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Annotated

import msgspec
from django_bolt import BoltAPI
from django_bolt.openapi import OpenAPIConfig
from django_bolt.openapi.serving import rendered
from django_bolt.param_functions import Header, Query
from pydantic import BaseModel


class Line(msgspec.Struct):
    sku: str
    qty: Annotated[int, msgspec.Meta(ge=1)]


class Order(msgspec.Struct, rename="camel"):
    order_id: int
    lines: list[Line]


class User(BaseModel):
    name: str
    email: str


def build_api(n: int) -> BoltAPI:
    api = BoltAPI()
    for i in range(n // 4):

        async def get_order(
            order_id: int, verbose: bool = False, x_trace: str | None = Header(None)
        ) -> Order:
            return Order(order_id, [])

        async def list_orders(
            page: Annotated[int, Query(ge=1)] = 1, tags: list[str] = Query([])
        ) -> list[Order]:
            return []

        async def create_order(order: Order) -> Order:
            return order

        async def create_user(user: User) -> User:
            return user

        api.add_route(
            "GET", f"/r{i}/orders/{{order_id}}", get_order, response_model={200: Order, 404: dict}
        )
        api.add_route("GET", f"/r{i}/orders", list_orders, tags=[f"t{i % 10}"])
        api.add_route("POST", f"/r{i}/orders", create_order, status_code=201)
        api.add_route("POST", f"/r{i}/users", create_user)
    return api


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--routes", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    api = build_api(args.routes)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        replies = rendered(api.routes, OpenAPIConfig(), None)
        times.append(time.perf_counter() - start)
    size = len(replies[0]["body"])
    median_ms, min_ms = statistics.median(times) * 1000, min(times) * 1000
    print(f"{len(api.routes)} routes: document + YAML + pages in median {median_ms:.0f} ms")
    print(f"(min {min_ms:.0f} ms over {args.repeat}); openapi.json {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
