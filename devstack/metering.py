"""Meters for tests and benchmarks: the DynamoDB requests a client sends and the items DynamoDB reads for
them, counted through botocore's event hooks on that client. Not part of the Lambda layer: a test or a
benchmark attaches them to the client it measures (`RequestCounter().attach(aws.client("dynamodb"))`),
and again after the process's clients are made anew (`aws.reset_clients()`)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class RequestCounter:
    """Counts the AWS requests a client sends, by operation (retries included: each one is a request)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()

    def __call__(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[model.name] += 1

    def attach(self, client: Any) -> RequestCounter:
        service = client.meta.service_model.service_name
        client.meta.events.register(f"before-call.{service}", self, unique_id=f"requests-{id(self)}")
        return self

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

    def attach(self, client: Any) -> ItemsRead:
        client.meta.events.register("after-call.dynamodb", self, unique_id=f"items-read-{id(self)}")
        return self

    def reset(self) -> None:
        with self._lock:
            self.count = 0
