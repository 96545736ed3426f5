"""The observability singletons every function shares (service name comes from the environment)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools import Tracer as PowertoolsTracer


class Tracer(PowertoolsTracer):
    """Powertools' tracer that copies neither a response nor an exception into the trace unless asked.

    Powertools' default records every traced function's return value (and every exception) as X-Ray
    metadata, readable by anyone who may read traces: claimed codes, gift tokens, presigned links and
    customers' details would all be there. The template also turns both off by environment; this holds
    without it, for every function the decorators wrap. X-Ray still marks the error and keeps its type
    and stack; only the copied values go.
    """

    def capture_lambda_handler(
        self, lambda_handler: Any = None, capture_response: bool = False, capture_error: bool = False
    ) -> Any:
        return super().capture_lambda_handler(lambda_handler, capture_response, capture_error)

    def capture_method(
        self, method: Any = None, capture_response: bool = False, capture_error: bool = False
    ) -> Any:
        return super().capture_method(method, capture_response, capture_error)


logger = Logger(log_uncaught_exceptions=True)
tracer = Tracer()
metrics = Metrics()
