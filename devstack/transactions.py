"""TransactWriteItems for the emulator with DynamoDB's semantics, at the cost of the items it touches.

moto deep-copies every table a transaction names (stream records included) before each item, so a
transaction slows down as the table and its stream grow. DynamoDB checks every condition against the
state before the transaction and writes all or nothing. This does the same: it checks all conditions
first and writes only if every one holds; if a write then fails (a malformed expression), the touched
items and the stream are put back as they were. Requests are serialized by the emulator, so nothing
else runs in between.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
import time
from typing import Any

from moto.core.responses import ActionResult
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ERROR_TYPE_PREFIX,
    DynamodbException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.responses import DynamoHandler

CONDITION_FAILED = "The conditional request failed"
TOKEN_SECONDS = 600  # how long DynamoDB remembers a transaction's ClientRequestToken


class IdempotentParameterMismatch(DynamodbException):
    def __init__(self) -> None:
        super().__init__(
            ERROR_TYPE_PREFIX + "IdempotentParameterMismatchException",
            "The request uses the same client token as a previous, but non-identical request.",
        )


class _Tokens:
    """Tokens of transactions that succeeded: (account, region, token) -> (request digest, when)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: dict[tuple[str, str, str], tuple[str, float]] = {}

    def known(self, key: tuple[str, str, str], digest: str) -> bool:
        now = time.monotonic()
        with self.lock:
            found = self.seen.get(key)
            if found is None or now - found[1] > TOKEN_SECONDS:
                return False
        if found[0] != digest:
            raise IdempotentParameterMismatch()
        return True

    def remember(self, key: tuple[str, str, str], digest: str) -> None:
        now = time.monotonic()
        with self.lock:
            if len(self.seen) > 100_000:  # forget what has lapsed, so a long run's memory stays bounded
                self.seen = {k: v for k, v in self.seen.items() if now - v[1] <= TOKEN_SECONDS}
            self.seen[key] = (digest, now)


tokens = _Tokens()
_handle_transact_write_items = DynamoHandler.transact_write_items


def _transact_write_items_once(self: DynamoHandler) -> ActionResult:
    token = self.body.get("ClientRequestToken")
    if not token:
        return _handle_transact_write_items(self)
    key = (self.current_account, self.region, token)
    request = {k: v for k, v in self.body.items() if k != "ClientRequestToken"}
    digest = hashlib.sha256(json.dumps(request, sort_keys=True, default=_binary).encode()).hexdigest()
    if tokens.known(key, digest):
        return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
    result = _handle_transact_write_items(self)
    tokens.remember(key, digest)
    return result


def _binary(value: Any) -> str:
    """A binary attribute (a logo) as the request's digest sees it: DynamoDB takes them in transactions."""
    if isinstance(value, bytes | bytearray):
        return value.hex()
    raise TypeError(f"{type(value).__name__} in a transaction")


def _key_of(backend: DynamoDBBackend, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        key: dict[str, Any] = op["Key"]
        return key
    table = backend.get_table(op["TableName"])
    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = op["Item"][table.range_key_attr]
    return key


_Planned = list[tuple[str, dict[str, Any], dict[str, Any]]]  # (operation type, operation, key)


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    _apply(self, _planned(self, transact_items))


def _planned(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> _Planned:
    """Every operation checked before any is written; a condition that fails cancels the transaction with
    each operation's reason, as DynamoDB does."""
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    seen: set[tuple[str, str]] = set()
    errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
    planned: _Planned = []
    for entry in transact_items:
        op_type, op, key = _operation(self, entry, seen)
        refusal = _refusal(self, op, key)
        errors.append(refusal or (None, None, None))
        if refusal is None:
            planned.append((op_type, op, key))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)
    return planned


def _operation(
    self: DynamoDBBackend, entry: dict[str, Any], seen: set[tuple[str, str]]
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    if len(entry) > 1:
        raise TransactWriteSingleOpException()
    op_type, op = next(iter(entry.items()))
    if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
        raise ValueError("Unsupported transaction operation")
    key = _key_of(self, op_type, op)
    identity = (op["TableName"], str(dict(sorted(key.items()))))
    if identity in seen:
        raise MultipleTransactionsException()
    seen.add(identity)
    return op_type, op, key


def _refusal(
    self: DynamoDBBackend, op: dict[str, Any], key: dict[str, Any]
) -> tuple[str, str, dict[str, Any] | None] | None:
    """Why the operation's condition refuses the item as it is (and the item, if asked for), or None."""
    current = self.get_item(op["TableName"], key)
    condition = op.get("ConditionExpression")
    if condition is None:
        return None
    check = get_filter_expression(
        condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    )
    if check.expr(current):
        return None
    old = None
    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
        old = current.to_json()["Attributes"]
    return ("ConditionalCheckFailed", CONDITION_FAILED, old)


def _apply(self: DynamoDBBackend, planned: _Planned) -> None:
    """Every condition held: write, keeping what is needed to undo a write that fails half way."""
    before = [
        (op["TableName"], key, copy.deepcopy(self.get_item(op["TableName"], key))) for _, op, key in planned
    ]
    streams = {
        name: len(table.stream_shard.items)
        for name in {op["TableName"] for _, op, _ in planned}
        if (table := self.get_table(name)).stream_shard is not None
    }
    try:
        for op_type, op, key in planned:
            _write(self, op_type, op, key)
    except Exception:
        for table_name, key, item in before:
            if item is None:
                self.delete_item(table_name, key)
            else:
                self.put_item(table_name, item.to_json()["Attributes"])
        for name, length in streams.items():
            shard = self.get_table(name).stream_shard
            if shard is not None:  # only tables with a stream are counted
                del shard.items[length:]
        raise


def _write(self: DynamoDBBackend, op_type: str, op: dict[str, Any], key: dict[str, Any]) -> None:
    names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    if op_type == "Put":
        self.put_item(op["TableName"], op["Item"])
    elif op_type == "Delete":
        self.delete_item(op["TableName"], key)
    elif op_type == "Update":
        self.update_item(
            op["TableName"],
            key,
            update_expression=op["UpdateExpression"],
            expression_attribute_names=names or {},
            expression_attribute_values=values or {},
        )


def install() -> None:
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    DynamoHandler.transact_write_items = _transact_write_items_once  # type: ignore[method-assign]
