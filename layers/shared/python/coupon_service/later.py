"""Modules named at import and imported by their first use: what only a request needs (a route's models, its
service and the store, pydantic with them) stays out of a function's cold start, and each route's first
request loads what that route uses, not what the function's other routes do.

A module using this binds the real modules for the type checker and `later` ones at run time, so every use
is checked against the real module (tests/unit/test_architecture.py holds the two lists equal):

    if TYPE_CHECKING:
        from coupon_service import claims
    else:
        claims = later("coupon_service.claims")

A route's annotations name them too (`Annotated[models.ClaimRequest, Body()]`, as strings under
`from __future__ import annotations`), read by the resolver when the route's first request comes
(`coupon_service.rest`). Before a SnapStart snapshot every module named is imported (`load_all`), so an
environment resumed from it imports none.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType
from typing import Any

_NAMED: list[Later] = []


class Later:
    """A module by name, imported by the first attribute read from it (the import system's lock makes
    concurrent first reads import it once). It has no public names of its own, so none hides the module's."""

    __slots__ = ("_later_module", "_later_name")

    def __init__(self, name: str) -> None:
        self._later_name = name
        self._later_module: ModuleType | None = None
        _NAMED.append(self)

    def __getattr__(self, attribute: str) -> Any:  # only names the proxy lacks: every name of the module
        return getattr(_load(self), attribute)

    def __repr__(self) -> str:
        state = "loaded" if self._later_module is not None else "not loaded yet"
        return f"<module {self._later_name!r}, {state}>"


def _load(named: Later) -> ModuleType:
    module = named._later_module
    if module is None:
        module = named._later_module = import_module(named._later_name)
    return module


def later(name: str) -> Any:
    """The module `name`, imported when something is first read from it."""
    return Later(name)


def load_all() -> None:
    """Import every module named so far (before a SnapStart snapshot)."""
    for named in list(_NAMED):
        _load(named)
