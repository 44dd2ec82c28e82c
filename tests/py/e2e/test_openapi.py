"""OpenAPI through real `runbolt` processes: the example project's document validates, and
the test project's document and registered routes describe exactly the same operations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import yaml
from openapi_spec_validator import validate

from ..conftest import EXAMPLE_PROJECT, run_manage

# Runs inside the test project (manage.py shell): every operation the runtime accepts, from
# the registered routes and the very plans requests are bound with.
_ROUTES_SCRIPT = """
import json
from django_bolt._server.discovery import collect_routes, discover_apis
from django_bolt.conf import load_settings
s = load_settings()
out = []
def flat(plans):
    for p in plans:
        if p.dependency is not None:
            yield from flat(p.dependency.args)
        else:
            yield p
for r in collect_routes(discover_apis(s.API), s.READY_PATH):
    if r.extra.get("include_in_schema", True) is False:
        continue
    params, body = set(), []
    for p in flat(r.params):
        if p.source in ("path", "query", "header", "cookie"):
            keys = [k for _, k, _ in p.fields] if p.fields is not None else [p.key]
            params.update(f"{p.source}:{k}" for k in keys)
        elif p.source in ("body", "form", "file"):
            body.append(p.source)
    # query parameters read inside the handler: pagination and filters (issue 19)
    query_docs = [name for name, _ in getattr(r.handler, "__bolt_query_docs__", ())]
    params.update(f"query:{name}" for name in query_docs)
    statuses = sorted({str(k) for k in r.outputs} | {str(k) for k in r.extra.get("responses") or {}})
    out.append({"op": f"{r.method} {r.path}", "params": sorted(params), "body": sorted(set(body)),
                "statuses": statuses,
                "validates": bool(query_docs) or any(p.source not in ("request", "depends") for p in flat(r.params)),
                })
print(json.dumps(out))
"""


def test_example_project_document_is_valid(start_bolt: Any) -> None:
    server = start_bolt(EXAMPLE_PROJECT)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        doc = client.get("/openapi.json").json()
        validate(doc)
        assert yaml.safe_load(client.get("/openapi.yaml").text) == doc
        assert {"/hello", "/items/{item_id}", "/items"} <= set(doc["paths"])
        docs = client.get("/docs")
        assert docs.status_code == 200 and "SwaggerUIBundle" in docs.text
        assert client.get("/docs/redoc").status_code == 200 and client.get("/docs/scalar").status_code == 200
        assert client.get("/hello").json() == {"message": "Hello, World!"}


def test_bolt_openapi_check_passes_on_the_example_project(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = tmp_path / "openapi.json"
    done = subprocess.run(
        [sys.executable, "manage.py", "bolt_openapi", "--check", "--output", str(out)],
        cwd=EXAMPLE_PROJECT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stderr and json.loads(out.read_text())["openapi"] == "3.1.0"


def test_bolt_openapi_check_strict_mode() -> None:
    assert run_manage("bolt_openapi", "--check", "--output", "/dev/null").returncode == 0
    # An untyped `dict` body: strict mode names where.
    env = {"DJANGO_SETTINGS_MODULE": "testproject.settings_untyped"}
    done = run_manage("bolt_openapi", "--check", "--output", "/dev/null", env=env)
    assert done.returncode != 0
    assert "strict mode" in done.stderr and "#/paths/~1untyped/post/requestBody" in done.stderr


def _operations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            out[f"{method.upper()} {path}"] = op
    return out


def _normalise(path_op: str) -> str:
    method, path = path_op.split(" ", 1)
    from django_bolt.openapi import openapi_path

    return f"{method} {openapi_path(path)}"


def test_document_and_routes_describe_the_same_operations(bolt: Any) -> None:
    done = run_manage("shell", "-c", _ROUTES_SCRIPT)
    assert done.returncode == 0, done.stderr
    routes = {_normalise(r["op"]): r for r in json.loads(done.stdout.strip().splitlines()[-1])}
    doc = httpx.get(f"{bolt.url}/openapi.json", timeout=10).json()
    validate(doc)
    ops = _operations(doc)
    assert set(ops) == set(routes)  # every route documented, nothing documented that is not served
    for name, route in routes.items():
        op = ops[name]
        documented = sorted(f"{p['in']}:{p['name']}" for p in op.get("parameters", []))
        assert documented == route["params"], name
        content = set(op.get("requestBody", {}).get("content", {}))
        if "body" in route["body"]:
            assert content == {"application/json"}, name
        elif "file" in route["body"]:
            assert content == {"multipart/form-data"}, name
        elif "form" in route["body"]:
            assert content == {"application/x-www-form-urlencoded"}, name
        else:
            assert not content, name
        responses = set(op["responses"])
        assert set(route["statuses"]) <= responses, name  # every declared status is documented
        assert ("422" in responses) == route["validates"] or "422" in route["statuses"], name
