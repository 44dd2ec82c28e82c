"""Routes that only a real runbolt process can show: APIs named in DJANGO_BOLT["API"] are
discovered and served. Routing, parameters, responses and errors are tested in-process in
tests/py/integration/test_routes.py."""

from __future__ import annotations

import httpx


def test_api_from_settings_is_served(client: httpx.Client) -> None:
    assert client.get("/extra/ping").json() == {"from": "settings"}
