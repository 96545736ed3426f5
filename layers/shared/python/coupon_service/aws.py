"""boto3 clients, created lazily and once per execution environment; a request counter for benchmarks."""

from __future__ import annotations

import threading
from collections import Counter
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, max_pool_connections=64)


class RequestCounter:
    """Counts the AWS requests a client sends, by operation (retries included: each one is a request)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()

    def __call__(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[model.name] += 1

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()

    def total(self) -> int:
        return sum(self.calls.values())


dynamodb_requests = RequestCounter()


@cache
def client(service: str) -> Any:
    created = boto3.session.Session().client(service, config=_CONFIG)
    if service == "dynamodb":
        created.meta.events.register("before-call.dynamodb", dynamodb_requests)
    return created


def reset_clients() -> None:
    """For tests that point the process at a new endpoint."""
    client.cache_clear()
