"""Each function in its own worker processes, with its own environment, as on Lambda."""

from __future__ import annotations

import multiprocessing
import os
import sys
import uuid
from typing import Any

from devstack.template import ROOT

_handler: Any = None
_name = ""


class Context:
    """The parts of Lambda's context object that Powertools reads."""

    def __init__(self, name: str) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def _start(name: str, code: str, handler: str, environment: dict[str, str]) -> None:
    """Runs once in each worker: Lambda's task root and layer on the path, the function's environment."""
    global _handler, _name
    os.environ.update(environment)
    sys.path[:0] = [str(ROOT / "functions" / code), str(ROOT / "layers" / "shared" / "python")]
    module_name, function_name = handler.rsplit(".", 1)
    module = __import__(module_name)
    _handler, _name = getattr(module, function_name), name


def _invoke(event: dict[str, Any]) -> Any:
    return _handler(event, Context(_name))


class Function:
    """A pool of worker processes serving one function."""

    def __init__(
        self, name: str, code: str, handler: str, environment: dict[str, str], processes: int
    ) -> None:
        self.name = name
        context = multiprocessing.get_context("spawn")
        self._pool = context.Pool(
            processes=processes, initializer=_start, initargs=(name, code, handler, environment)
        )

    def invoke(self, event: dict[str, Any], timeout: float = 60.0) -> Any:
        return self._pool.apply_async(_invoke, (event,)).get(timeout)

    def stop(self) -> None:
        self._pool.terminate()
        self._pool.join()
