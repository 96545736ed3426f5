"""The observability singletons every function shares (service name comes from the environment)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, overload

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools import Tracer as PowertoolsTracer
from aws_lambda_powertools.shared import constants
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice

F = TypeVar("F", bound=Callable[..., Any])


class Tracer(PowertoolsTracer):
    """Powertools' tracer that copies neither a response nor an exception into the trace unless asked.

    Powertools' default records every traced function's return value (and every exception) as X-Ray
    metadata, readable by anyone who may read traces: claimed codes, gift tokens, presigned links and
    customers' details would all be there. The template also turns both off by environment; this holds
    without it, for every function the decorators wrap. X-Ray still marks the error and keeps its type
    and stack; only the copied values go.
    """

    def capture_lambda_handler(
        self,
        lambda_handler: Any = None,
        capture_response: bool | None = False,
        capture_error: bool | None = False,
    ) -> Any:
        return super().capture_lambda_handler(lambda_handler, capture_response, capture_error)

    # Typed as Powertools types it, so a traced route keeps its signature.
    @overload
    def capture_method(self, method: F) -> F: ...

    @overload
    def capture_method(
        self, method: None = None, capture_response: bool | None = False, capture_error: bool | None = False
    ) -> Callable[[F], F]: ...

    def capture_method(
        self, method: Any = None, capture_response: bool | None = False, capture_error: bool | None = False
    ) -> Any:
        return super().capture_method(method, capture_response, capture_error)


class Untraced:
    """The tracer where nothing is traced: its decorators hand the function back as it is.

    Powertools' tracer imports the X-Ray SDK (and botocore's client machinery with it) when it is made,
    even switched off; that was a third of a function's import. Where tracing is off (tests, the local
    stack, a deployment with POWERTOOLS_TRACE_DISABLED) it is never made, so the SDK is never imported.
    """

    def capture_lambda_handler(self, lambda_handler: F | None = None, **_: Any) -> Any:
        return lambda_handler if lambda_handler is not None else self._unchanged

    @overload
    def capture_method(self, method: F) -> F: ...

    @overload
    def capture_method(self, method: None = None, **_: Any) -> Callable[[F], F]: ...

    def capture_method(self, method: F | None = None, **_: Any) -> Any:
        return method if method is not None else self._unchanged

    @staticmethod
    def _unchanged(function: F) -> F:
        return function

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str | None = None) -> None:
        pass


class Tracing(Protocol):
    """What a function traces through, whichever tracer it is: one type, so a traced route keeps its types
    (mypy counts a decorator of a union type as untyped)."""

    @overload
    def capture_method(self, method: F) -> F: ...

    @overload
    def capture_method(
        self, method: None = None, *, capture_response: bool | None = ..., capture_error: bool | None = ...
    ) -> Callable[[F], F]: ...

    def capture_lambda_handler(
        self,
        lambda_handler: Any = None,
        *,
        capture_response: bool | None = ...,
        capture_error: bool | None = ...,
    ) -> Any: ...


def tracing_enabled() -> bool:
    """Powertools' own rule: traced in Lambda (LAMBDA_TASK_ROOT set), unless POWERTOOLS_TRACE_DISABLED says
    otherwise or SAM or Chalice runs the function locally."""
    if resolve_truthy_env_var_choice(env=os.getenv(constants.TRACER_DISABLED_ENV, "false")):
        return False
    in_lambda = bool(os.getenv(constants.LAMBDA_TASK_ROOT_ENV))
    return in_lambda and not os.getenv(constants.SAM_LOCAL_ENV) and not os.getenv(constants.CHALICE_LOCAL_ENV)


logger = Logger(log_uncaught_exceptions=True)
tracer: Tracing = Tracer() if tracing_enabled() else Untraced()
metrics = Metrics()
