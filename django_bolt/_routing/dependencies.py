"""``Router(dependencies=[Depends(fn), ...])``: dependencies run before every handler of a
router, for their effect (a check that raises, a value cached for the request); their
results are not passed to the handler.

They are planned like the handler's own ``Depends`` arguments, under reserved names that
the endpoint wrapper drops before calling the handler.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..exceptions import BoltConfigError
from ..params import REQUIRED, Depends
from .plans import ArgPlan, plan_dependency

__all__ = ["drop_router_dependencies", "plan_router_dependencies", "router_dependencies"]

_PREFIX = "__bolt_router_dep_"


def router_dependencies(deps: Sequence[Any] | None, where: str) -> list[Depends]:
    """Check ``dependencies=`` at registration: ``Depends(fn)`` or plain callables."""
    out: list[Depends] = []
    for dep in deps or ():
        if isinstance(dep, Depends):
            if dep.dependency is None or not callable(dep.dependency):
                raise BoltConfigError(f"{where}: Depends() in dependencies= needs a callable")
            out.append(dep)
        elif callable(dep):
            out.append(Depends(dep))
        else:
            raise BoltConfigError(f"{where}: dependencies= takes Depends(fn) or callables, got {dep!r}")
    return out


def plan_router_dependencies(deps: list[Depends], method: str, path_names: list[str]) -> list[ArgPlan]:
    """One ``depends`` plan per router dependency, named so the handler never sees it."""
    plans = []
    for i, dep in enumerate(deps):
        func: Callable[..., Any] = dep.dependency  # type: ignore[assignment]
        plan = plan_dependency(func, dep.use_cache, method, path_names)
        name = f"{_PREFIX}{i}"
        plans.append(ArgPlan(name, "depends", name, Any, REQUIRED, dependency=plan))
    return plans


def drop_router_dependencies(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an endpoint so the router dependencies' results are not passed on."""

    async def call(**kwargs: Any) -> Any:
        for name in [k for k in kwargs if k.startswith(_PREFIX)]:
            del kwargs[name]
        return await endpoint(**kwargs)

    call.__wrapped__ = endpoint  # type: ignore[attr-defined]
    return call
