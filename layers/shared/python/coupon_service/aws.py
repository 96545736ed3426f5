"""boto3 clients, created lazily and once per execution environment; request and read counters."""

from __future__ import annotations

import os
import threading
from collections import Counter
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, max_pool_connections=64)
# DynamoDB is retried in one place, the store (coupon_service.store), against the invocation's deadline:
# botocore's own retries on top of it would multiply the attempts and outlive the function. A request
# that hangs is cut short so the store can retry it (with the same transaction token) or answer `busy`.
# `DYNAMODB_READ_TIMEOUT` (seconds) is for the local emulator, where a request may queue behind others.
DYNAMODB_CONNECT_TIMEOUT = 1.0
DYNAMODB_READ_TIMEOUT = 3.0


def dynamodb_config() -> Config:
    return Config(
        retries={"mode": "standard", "total_max_attempts": 1},
        connect_timeout=DYNAMODB_CONNECT_TIMEOUT,
        read_timeout=float(os.environ.get("DYNAMODB_READ_TIMEOUT") or DYNAMODB_READ_TIMEOUT),
        max_pool_connections=64,
    )


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


class ItemsRead:
    """Counts the items DynamoDB says it read (ScannedCount of queries and scans, items of gets)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def __call__(self, parsed: dict[str, Any] | None = None, **_: Any) -> None:
        parsed = parsed or {}
        read = parsed.get("ScannedCount", 0) + (1 if parsed.get("Item") else 0)
        read += sum(
            len(items) for items in (parsed.get("Responses") or {}).values() if isinstance(items, list)
        )
        with self._lock:
            self.count += read

    def reset(self) -> None:
        with self._lock:
            self.count = 0


dynamodb_requests = RequestCounter()
dynamodb_items_read = ItemsRead()


@cache
def client(service: str) -> Any:
    config = dynamodb_config() if service == "dynamodb" else _CONFIG
    created = boto3.session.Session().client(service, config=config)
    if service == "dynamodb":
        created.meta.events.register("before-call.dynamodb", dynamodb_requests)
        created.meta.events.register("after-call.dynamodb", dynamodb_items_read)
    return created


def reset_clients() -> None:
    """For tests that point the process at a new endpoint."""
    client.cache_clear()
