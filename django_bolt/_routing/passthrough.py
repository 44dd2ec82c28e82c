"""Which Python middleware never look at the response (registration time, issue 18).

A middleware whose every use of the rest of the chain is ``return await
self.get_response(request)`` (or ``response = await ...; return response``; for a function,
``return await call_next(request)``) hands back whatever it is given without reading it. When
every middleware of a route's chain is like that, the handler's own return value can travel
up the chain as it is: no ``Response`` is made for it, no step of ours runs after the
handler, and the dispatcher encodes the value exactly as for a route without middleware
(see ``chain_endpoint``). Middleware that answer early (``return JSON(..., 403)``) or read
the request still qualify; any that reads, changes or keeps the response does not.

The check reads the bytecode (``dis``), so it is exact for the forms above and says "no"
for anything else (the response then is a ``Response`` as always): an unusual form costs
speed, never correctness.
"""

from __future__ import annotations

import dis
import inspect
import types
from collections.abc import Callable
from typing import Any, NamedTuple

from .._runtime.middleware import BaseMiddleware, Middleware

__all__ = ["passes_through"]

_NAME = "get_response"
#: The instructions that call what was loaded (3.11: CALL after PRECALL; 3.13: CALL, CALL_KW).
_CALLS = ("CALL", "CALL_KW", "CALL_FUNCTION_EX")
#: What may come between loading the link and calling it: the call's arguments.
_ARGUMENT_OPS = frozenset(
    {"LOAD_FAST", "LOAD_DEREF", "LOAD_GLOBAL", "LOAD_CONST", "LOAD_ATTR", "LOAD_METHOD", "PUSH_NULL", "PRECALL"}
    | {"KW_NAMES", "CACHE", "LOAD_FAST_LOAD_FAST", "LOAD_FAST_CHECK", "COPY"}
)


class Op(NamedTuple):
    """One instruction: CPython 3.13's superinstructions (``LOAD_FAST_LOAD_FAST``...) are
    split into the two they stand for, so that one reading fits 3.11 to 3.13."""

    opname: str
    argval: Any
    offset: int


def _instructions(code: types.CodeType) -> list[Op]:
    out: list[Op] = []
    for x in dis.get_instructions(code):
        first, sep, second = x.opname.partition("_FAST_")
        if sep and isinstance(x.argval, tuple) and len(x.argval) == 2:  # e.g. STORE_FAST_LOAD_FAST
            out.append(Op(first + "_FAST", x.argval[0], x.offset))
            out.append(Op(second, x.argval[1], x.offset))
        else:
            out.append(Op(x.opname, x.argval, x.offset))
    return out


def passes_through(entry: Any) -> bool:
    """Whether middleware ``entry`` (a class or an ``async def mw(request, call_next)``)
    returns what the rest of the chain returned, untouched, whenever it calls it."""
    if isinstance(entry, type):
        return _class_passes_through(entry)
    if inspect.iscoroutinefunction(entry):
        code = getattr(entry, "__code__", None)
        if not isinstance(code, types.CodeType) or code.co_argcount < 2:
            return False
        link = code.co_varnames[1]
        if link in code.co_cellvars:  # captured by an inner function: not followed
            return False
        return _returns_awaited(
            code, lambda ins, k: ins[k].opname.startswith("LOAD_FAST") and ins[k].argval == link, link
        )
    return False  # DjangoMiddleware and other built objects: they make Django responses


def _class_passes_through(cls: type) -> bool:
    if any(_NAME in vars(k) for k in cls.__mro__):  # a method or property named get_response
        return False
    if not _init_keeps_link(cls):
        return False
    call = cls.__call__
    runs = cls.process_request if call in (Middleware.__call__, BaseMiddleware.__call__) else call  # type: ignore[attr-defined]
    code = getattr(runs, "__code__", None)  # not unwrapped: a decorator around it may read the response
    if not isinstance(code, types.CodeType) or not code.co_varnames or not inspect.iscoroutinefunction(runs):
        return False
    me = code.co_varnames[0]
    if me in code.co_cellvars:
        return False

    def is_link(ins: list[Op], k: int) -> bool:
        x = ins[k]
        return x.opname in ("LOAD_ATTR", "LOAD_METHOD") and x.argval == _NAME and k > 0 and ins[k - 1].argval == me

    return _returns_awaited(code, is_link, _NAME)


def _init_keeps_link(cls: type) -> bool:
    """``self.get_response`` is the link the chain gave (not something wrapping it): every
    ``__init__`` of the class's own ancestry stores it as it is or passes it to ``super``."""
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is None or klass is object or init in (Middleware.__init__, BaseMiddleware.__init__):
            continue
        if not _init_stores_link(init):
            return False
    return True


def _init_stores_link(init: Any) -> bool:
    code = getattr(init, "__code__", None)
    if not isinstance(code, types.CodeType) or code.co_argcount < 2:
        return False
    me, given = code.co_varnames[0], code.co_varnames[1]
    ins = _instructions(code)
    for k, x in enumerate(ins):
        if (
            x.argval == _NAME
            and not x.opname.startswith("LOAD_FAST")
            and not (x.opname == "STORE_ATTR" and k >= 2 and ins[k - 1].argval == me and ins[k - 2].argval == given)
        ):
            return False  # self.get_response set from something else, or read
        if x.argval == given and x.opname.startswith("LOAD_FAST"):
            after = ins[k + 1 : k + 3]
            stored = len(after) == 2 and after[0].argval == me
            stored = stored and after[1].opname == "STORE_ATTR" and after[1].argval == _NAME
            to_super = any(y.argval == "__init__" for y in ins[max(0, k - 6) : k]) and _next_call(ins, k)
            if not (stored or to_super):
                return False  # the link given is passed somewhere else
    return True


def _next_call(ins: list[Op], k: int) -> bool:
    """Whether only argument loads separate instruction k from the call it is passed to."""
    for y in ins[k + 1 :]:
        if y.opname in _CALLS:
            return True
        if y.opname not in _ARGUMENT_OPS:
            return False
    return False


def _returns_awaited(code: types.CodeType, is_link: Callable[[list[Op], int], bool], name: str) -> bool:
    """Every use of the link in ``code`` is ``return await link(...)`` (or through one local
    returned at once), and there is at least one."""
    if any(isinstance(c, types.CodeType) and name in (*c.co_names, *c.co_freevars) for c in code.co_consts):
        return False  # an inner function or comprehension uses it
    ins = _instructions(code)
    at: dict[int, int] = {}
    for k, x in enumerate(ins):
        at.setdefault(x.offset, k)
    found = False
    for k, x in enumerate(ins):
        if x.argval != name:
            continue
        if not is_link(ins, k):
            return False
        found = True
        j, calls = k + 1, 0
        while j < len(ins) and ins[j].opname != "GET_AWAITABLE":
            if ins[j].opname in _CALLS:
                calls += 1
            elif ins[j].opname not in _ARGUMENT_OPS or ins[j].argval == name:
                return False
            j += 1
        if calls != 1 or j + 2 >= len(ins) or ins[j + 2].opname != "SEND":
            return False
        t = at.get(ins[j + 2].argval)
        if t is None:
            return False
        if ins[t].opname == "END_SEND":
            t += 1
        if ins[t].opname == "RETURN_VALUE":
            continue
        local = ins[t].argval
        if not (
            ins[t].opname == "STORE_FAST"
            and t + 2 < len(ins)
            and ins[t + 1].opname.startswith("LOAD_FAST")
            and ins[t + 1].argval == local
            and ins[t + 2].opname == "RETURN_VALUE"
        ):
            return False
    return found
