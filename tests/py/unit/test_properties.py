"""Property tests (hypothesis) of the binder and the encoder: random types and inputs
(issue 15 item 11). ``make test`` runs the quick profile; ``make fuzz-all`` the nightly one
(HYPOTHESIS_PROFILE=nightly: many more examples)."""

from __future__ import annotations

import json
import math
import os
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_bolt import RequestValidationError
from django_bolt._routing.plans import plan_arguments
from django_bolt._runtime.binding import build_binder
from django_bolt._runtime.encoding import encode_result

settings.register_profile("quick", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("nightly", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))

INT64 = st.integers(min_value=-(2**63), max_value=2**64 - 1)
FINITE = st.floats(allow_nan=False, allow_infinity=False)
#: What the wire can carry in a query value or path parameter: Go refuses NUL and invalid UTF-8.
WIRE_TEXT = st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | INT64 | FINITE | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


def _query(pairs: list[tuple[str, str]]) -> bytes:
    return "\0".join(x for kv in pairs for x in kv).encode()


async def scalars(i: int, f: float, s: str, b: bool, ids: list[int]) -> None: ...


_SCALARS = build_binder(plan_arguments(scalars, "GET", []))


@given(i=INT64, f=FINITE, s=WIRE_TEXT, b=st.booleans(), ids=st.lists(INT64, max_size=6))
def test_query_scalars_round_trip(i: int, f: float, s: str, b: bool, ids: list[int]) -> None:
    pairs = [("i", str(i)), ("f", repr(f)), ("s", s), ("b", "true" if b else "false")]
    pairs += [("ids", str(x)) for x in ids]
    assert _SCALARS is not None
    if not ids:
        pairs.append(("ids", "0"))
        ids = [0]
    got = _SCALARS(1, b"/t", b"", _query(pairs), b"", b"", b"")
    assert got == {"i": i, "f": f, "s": s, "b": b, "ids": ids}


@given(raw=st.dictionaries(st.sampled_from(["i", "f", "s", "b", "ids", "other"]), WIRE_TEXT, max_size=6))
def test_query_garbage_is_bound_or_a_422_never_a_crash(raw: dict[str, str]) -> None:
    assert _SCALARS is not None
    try:
        got = _SCALARS(1, b"/t", b"", _query(list(raw.items())), b"", b"", b"")
    except RequestValidationError as exc:
        for e in exc.errors():
            assert e["loc"][0] == "query" and e["msg"], e
        return
    assert type(got["i"]) is int and type(got["f"]) is float and type(got["b"]) is bool
    assert got["s"] == raw["s"]


class Line(msgspec.Struct):
    sku: str
    qty: int
    tags: list[str] = []


async def create(line: Line) -> None: ...


_BODY = build_binder(plan_arguments(create, "POST", []))


@given(sku=st.text(), qty=INT64, tags=st.lists(st.text(), max_size=4))
def test_json_body_round_trip(sku: str, qty: int, tags: list[str]) -> None:
    assert _BODY is not None
    body = json.dumps({"sku": sku, "qty": qty, "tags": tags}).encode()
    assert _BODY(2, b"/c", b"", b"", b"", body, b"") == {"line": Line(sku, qty, tags)}


@given(body=st.one_of(st.binary(max_size=200), JSON_VALUES.map(lambda v: json.dumps(v).encode())))
def test_json_body_garbage_is_bound_or_a_422_never_a_crash(body: bytes) -> None:
    assert _BODY is not None
    try:
        got = _BODY(2, b"/c", b"", b"", b"", body, b"")
    except RequestValidationError as exc:
        assert exc.errors() and all(e["loc"][0] == "body" for e in exc.errors()), exc.errors()
        return
    assert isinstance(got["line"], Line)


def _same(a: Any, b: Any) -> bool:
    """JSON equality with floats compared as floats (1.0 may come back as 1.0 or 1)."""
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=0, abs_tol=0)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b) and type(a) is type(b)


@given(value=JSON_VALUES.filter(lambda v: isinstance(v, (dict, list))))
def test_encoder_round_trips_json(value: Any) -> None:
    status, _ctype, headers, body = encode_result(value, 201)
    assert status == 201 and headers == b""
    assert _same(json.loads(body), value)


@given(value=st.builds(Line, sku=st.text(), qty=INT64, tags=st.lists(st.text(), max_size=3)))
def test_encoder_round_trips_structs(value: Line) -> None:
    _status, _ctype, _headers, body = encode_result(value, 200)
    assert msgspec.json.decode(body, type=Line) == value


@given(text=st.text())
def test_encoder_text_is_utf8(text: str) -> None:
    _status, _ctype, _headers, body = encode_result(text, 200)
    assert body.decode() == text
