"""moto's AWS emulation served on 127.0.0.1 with its requests serialized, and an optional fault switch.

moto's backends are not thread-safe: in-process `mock_aws` oversells under many threads. DynamoDB itself
serializes the writes to one item, so running one emulated request at a time is faithful, not a shortcut.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, cast

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from devstack import (
    bus_events,
    items,
    parsing,
    queries,
    queues,
    responses,
    s3_events,
    stream_records,
    transactions,
)
from devstack.keepalive import KeepAliveHandler

DYNAMODB_TARGET = "DynamoDB_20120810."
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})
READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
# The writes whose answer can be lost after they committed (the `lost` and `timeout` kinds).
LOSABLE = frozenset({"PutItem", "UpdateItem", "TransactWriteItems"})
DEFAULT_KINDS = ("conflict", "throttle")
# For the functions and tests that use the emulator: it runs one request at a time, so a request may wait
# behind others far longer than DynamoDB would take; the store's 3-second read timeout would cut it short.
CLIENT_ENVIRONMENT = {"DYNAMODB_READ_TIMEOUT": "60"}
# Conflicts, throttling and lost answers in equal shares: what the invariant tests run under.
WITH_LOST = ("conflict", "throttle", "lost", "timeout")


@dataclass
class Faults:
    """Inject DynamoDB's failures into a share of write requests (off by default).

    - `conflict`, `throttle`: the request is refused and has no effect, as on AWS, with the real error shapes.
    - `lost`: the write is applied, then the caller gets `InternalServerError` (HTTP 500) instead of the
      answer, as DynamoDB may answer when a request's outcome is unknown to it.
    - `timeout`: the write is applied, then the server holds the answer `hold` seconds and closes the
      connection without answering. botocore sees `ConnectionClosedError` (with `hold` longer than the
      client's read timeout: `ReadTimeoutError`); to the caller both are a request whose outcome is unknown.
    Kinds are taken in turn from `kinds` (repeat one to weight it), so any run with as many injected
    faults as kinds saw each kind, whatever order its threads ran in; which requests are hit is drawn from a
    generator seeded afresh by `set`; `lost` and `timeout` apply only to
    PutItem, UpdateItem and TransactWriteItems (another operation drawing them is refused as a conflict).
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = DEFAULT_KINDS
    operations: frozenset[str] = WRITES
    hold: float = 0.0
    limit: int | None = None  # inject at most this many, then let every request through
    injected: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    _random: random.Random = field(default_factory=lambda: random.Random(7))

    def set(
        self,
        rate: float,
        kinds: tuple[str, ...] = DEFAULT_KINDS,
        *,
        hold: float = 0.0,
        operations: frozenset[str] = WRITES,
        limit: int | None = None,
    ) -> None:
        """Switch faults on (or off with rate 0) and start counting afresh."""
        self.rate, self.kinds, self.hold, self.operations = rate, kinds, hold, operations
        self.limit = limit
        self.injected = 0
        self.by_kind.clear()
        self._random = random.Random(7)

    def pick(self, operation: str) -> str | None:
        if self.rate <= 0 or operation not in self.operations or self._random.random() >= self.rate:
            return None
        if self.limit is not None and self.injected >= self.limit:
            return None
        kind = self.kinds[self.injected % len(self.kinds)]
        if kind in ("lost", "timeout") and operation not in LOSABLE:
            kind = "conflict"
        if kind == "conflict" and operation in READS:
            kind = "throttle"  # reads are not refused for contention
        self.injected += 1
        self.by_kind[kind] += 1
        return kind


INTERNAL_ERROR = {
    "__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
    "message": "Internal server error",
}


def _fault_response(kind: str, operation: str, body: bytes) -> tuple[str, dict[str, Any]]:
    if kind == "throttle":
        return "ProvisionedThroughputExceededException", {
            "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            "message": "The level of configured provisioned throughput for the table was exceeded.",
        }
    if operation == "TransactWriteItems":
        count = len(json.loads(body or b"{}").get("TransactItems", [])) or 1
        reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}]
        reasons += [{"Code": "None"}] * (count - 1)
        return "TransactionCanceledException", {
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "message": "Transaction cancelled, please refer cancellation reasons for specific reasons "
            "[TransactionConflict]",
            "CancellationReasons": reasons,
        }
    return "TransactionConflictException", {
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionConflictException",
        "message": "Transaction is ongoing for the item",
    }


class Emulator:
    """A serialized moto server on 127.0.0.1 (port 0 picks a free one)."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        transactions.install()
        queries.install()
        responses.install()
        items.install()
        s3_events.install()
        bus_events.install()
        queues.install()
        parsing.install()
        stream_records.install()
        self.faults = Faults()
        self.lock = threading.Lock()
        self.requests = 0
        self._app = DomainDispatcherApplication(create_backend_app)
        self._server: BaseWSGIServer = make_server(
            host, port, self._serialized, threaded=True, request_handler=KeepAliveHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="emulator", daemon=True)

    @property
    def url(self) -> str:
        host, port = cast("tuple[str, int]", self._server.server_address[:2])
        return f"http://{host}:{port}"

    def start(self) -> Emulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def _serialized(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        operation = target[len(DYNAMODB_TARGET) :] if target.startswith(DYNAMODB_TARGET) else ""
        with self.lock:
            self.requests += 1
            kind = self.faults.pick(operation) if operation else None
            if kind in ("conflict", "throttle"):
                length = int(environ.get("CONTENT_LENGTH") or 0)
                body = environ["wsgi.input"].read(length) if length else b""
                _, payload = _fault_response(kind, operation, body)
                return _json_answer(start_response, "400 Bad Request", payload)
            # The whole response is produced inside the lock: moto does its work while we iterate.
            answer = list(self._app(environ, start_response if kind is None else _discard))
            hold = self.faults.hold
        if kind == "lost":
            return _json_answer(start_response, "500 Internal Server Error", INTERNAL_ERROR)
        if kind == "timeout":
            time.sleep(hold)  # outside the lock: other requests go on meanwhile
            connection: socket.socket = environ["werkzeug.socket"]
            connection.shutdown(socket.SHUT_RDWR)
            # werkzeug treats a dropped connection as the client's doing and answers nothing.
            raise ConnectionResetError("answer withheld by the fault switch")
        return answer


def _discard(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    """start_response for an answer that will never be sent."""
    return lambda data: None


def _json_answer(start_response: Any, status: str, payload: dict[str, Any]) -> list[bytes]:
    data = json.dumps(payload).encode()
    start_response(
        status, [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(data)))]
    )
    return [data]
