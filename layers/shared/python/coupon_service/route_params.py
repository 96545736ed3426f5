"""Where a route's parameters come from (`Body`, `Header`, `Path`, `Query`), written in a handler's signature
as with Powertools' own classes, and made into them when the resolver first reads the route; and the models
its documented answers name (`Named`), imported then too.

Powertools' classes live in its OpenAPI parameter module, which loads its OpenAPI compatibility layer and
builds a pydantic model when imported: a fifth of a function's import, for signatures that a request reads
one route of. These markers keep the same arguments; `powertools_signature` gives a route's signature with
Powertools' classes in their place, which the resolver sets on the function before Powertools reads it
(`rest.Resolver.prepare`), so validation and the OpenAPI document read the signature as it was written.
Annotations written as strings (`from __future__ import annotations`) are read then, in the handler's module:
the models they name (through `coupon_service.later`) are imported by the route's first request.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Annotated, Any, get_args, get_origin


class Param:
    """A parameter's source and its Powertools arguments (pattern, alias, bounds, description...)."""

    __slots__ = ("kind", "options")

    def __init__(self, kind: str, options: dict[str, Any]) -> None:
        self.kind = kind
        self.options = options

    def __repr__(self) -> str:
        return f"{self.kind}({', '.join(f'{k}={v!r}' for k, v in self.options.items())})"

    def powertools(self) -> Any:
        from aws_lambda_powertools.event_handler.openapi import params

        return getattr(params, self.kind)(**self.options)


def Body(**options: Any) -> Param:  # named as Powertools names them
    return Param("Body", options)


def Header(**options: Any) -> Param:
    return Param("Header", options)


def Path(**options: Any) -> Param:
    return Param("Path", options)


def Query(**options: Any) -> Param:
    return Param("Query", options)


class Named:
    """A class by module and name, in a route's documented answers: imported when the route is first read."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name

    def __repr__(self) -> str:
        return f"{self.module}.{self.name}"

    def powertools(self) -> Any:
        return getattr(import_module(self.module), self.name)


def make_responses(responses: Mapping[int, Any] | None) -> None:
    """The classes `Named` in a route's documented answers, imported and put in their place."""
    for response in (responses or {}).values():
        for content in (response.get("content") or {}).values():
            if isinstance(content.get("model"), Named):
                content["model"] = content["model"].powertools()


def _made(annotation: Any) -> Any:
    if get_origin(annotation) is not Annotated:
        return annotation
    wrapped, *metadata = get_args(annotation)
    if not any(isinstance(item, Param) for item in metadata):
        return annotation
    made = tuple(item.powertools() if isinstance(item, Param) else item for item in metadata)
    return Annotated[(wrapped, *made)]


def powertools_signature(function: Callable[..., Any]) -> inspect.Signature | None:
    """`function`'s signature (the traced function's, through the tracer's wrapper; annotations written as
    strings read in its module) with Powertools' parameter classes for the markers; None when that is the
    signature as Powertools would read it."""
    signature = inspect.signature(function, eval_str=True)
    made = signature.replace(
        parameters=[p.replace(annotation=_made(p.annotation)) for p in signature.parameters.values()]
    )
    return None if made == inspect.signature(function) else made
