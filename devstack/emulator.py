"""moto's AWS emulation served on 127.0.0.1 with its requests serialized, and an optional fault switch.

moto's backends are not thread-safe: in-process `mock_aws` oversells under many threads. DynamoDB itself
serializes the writes to one item, so running one emulated request at a time is faithful, not a shortcut.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass, field
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from devstack import queries, transactions

DYNAMODB_TARGET = "DynamoDB_20120810."
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})


@dataclass
class Faults:
    """Refuse a share of DynamoDB requests as DynamoDB does under contention or throttling (off by default).

    A refused request has no effect, as on AWS; the client sees the real error shapes.
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = ("conflict", "throttle")
    operations: frozenset[str] = WRITES
    injected: int = 0
    _random: random.Random = field(default_factory=lambda: random.Random(7))

    def pick(self, operation: str) -> str | None:
        if self.rate <= 0 or operation not in self.operations or self._random.random() >= self.rate:
            return None
        self.injected += 1
        return self._random.choice(self.kinds)


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
        self.faults = Faults()
        self.lock = threading.Lock()
        self.requests = 0
        self._app = DomainDispatcherApplication(create_backend_app)
        self._server: BaseWSGIServer = make_server(
            host, port, self._serialized, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="emulator", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
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
            if kind is not None:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                body = environ["wsgi.input"].read(length) if length else b""
                _, payload = _fault_response(kind, operation, body)
                data = json.dumps(payload).encode()
                start_response(
                    "400 Bad Request",
                    [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(data)))],
                )
                return [data]
            if operation in WRITES:
                queries.written()
            # The whole response is produced inside the lock: moto does its work while we iterate.
            return list(self._app(environ, start_response))
