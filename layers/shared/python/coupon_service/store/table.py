"""The one DynamoDB adapter: methods named for access patterns; ClientErrors become domain errors here."""

from __future__ import annotations

import base64
import contextlib
import hmac
import json
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from coupon_service import keys
from coupon_service.aws import client
from coupon_service.errors import Busy, Invalid
from coupon_service.secret import hmac_key
from coupon_service.settings import settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

T = TypeVar("T")

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

RETRYABLE_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})
RETRYABLE_ERRORS = frozenset(
    {
        "TransactionConflictException",
        "TransactionInProgressException",  # a retry overtook its own first attempt (same request token)
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)
# Errors after which the request may or may not have been applied.
AMBIGUOUS_ERRORS = frozenset({"InternalServerError", "ServiceUnavailable"})


# --- (de)serialisation ---------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return {_plain(v) for v in value}
    return value


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in data.items() if v is not None}


@overload
def from_item(item: None) -> None: ...
@overload
def from_item(item: Mapping[str, Any]) -> dict[str, Any]: ...
def from_item(item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def values(**named: Any) -> dict[str, Any]:
    """ExpressionAttributeValues from keyword arguments: values(v=1) -> {':v': {'N': '1'}}."""
    return {f":{k}": _serializer.serialize(v) for k, v in named.items()}


_TOKEN_PURPOSE = b"page-token"


def _token_mac(listing: str, payload: str) -> str:
    mac = hmac.new(hmac_key(), b"\n".join((_TOKEN_PURPOSE, listing.encode(), payload.encode())), "sha256")
    return base64.urlsafe_b64encode(mac.digest()[:16]).decode().rstrip("=")


def encode_token(key: dict[str, Any] | None, *, listing: str) -> str | None:
    """An opaque page token: the LastEvaluatedKey, signed with the stack's key for one listing (what is
    listed and with which filter), so a client can neither craft a start key nor carry one elsewhere."""
    if not key:
        return None
    payload = base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{payload}.{_token_mac(listing, payload)}"


def decode_token(token: str | None, *, partition: tuple[str, str], listing: str) -> dict[str, Any] | None:
    """The start key of a page token issued for this listing; anything else is a 422 naming `next_token`."""
    if not token:
        return None
    try:
        payload, _, mac = token.partition(".")
        if not hmac.compare_digest(mac.encode(), _token_mac(listing, payload).encode()):
            raise ValueError("not signed for this listing")
        key = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        # Signed keys are our own; checked again so a leaked signing key still cannot cross partitions.
        name, expected = partition
        if not isinstance(key, dict) or key.get(name, {}).get("S") != expected:
            raise ValueError("another partition")
        if not all(isinstance(v, dict) and set(v) <= {"S", "N"} for v in key.values()):
            raise ValueError("not a key")
    except ValueError as error:  # binascii.Error and JSONDecodeError are ValueErrors
        raise Invalid("not a page token of this listing", field="next_token") from error
    return key


# --- cancellation reasons ------------------------------------------------------------------------


class Cancelled(Exception):
    """A transaction or conditional write refused: per item, the reason code and the item as it was."""

    def __init__(self, reasons: list[tuple[str, dict[str, Any] | None]]) -> None:
        super().__init__([code for code, _ in reasons])
        self.reasons = reasons
        # An earlier attempt of the same request had an unknown outcome: the refusal may be its doing.
        self.ambiguous = False

    def failed(self) -> list[int]:
        return [i for i, (code, _) in enumerate(self.reasons) if code == "ConditionalCheckFailed"]

    def code_at(self, index: int) -> str:
        return self.reasons[index][0]

    def old(self, index: int) -> dict[str, Any] | None:
        return self.reasons[index][1]


def _cancelled(error: ClientError) -> Cancelled | None:
    code = error.response["Error"]["Code"]
    if code == "ConditionalCheckFailedException":
        # The old item rides on the error when the request asked for it (ReturnValuesOnConditionCheckFailure).
        old = cast("Mapping[str, Any] | None", error.response.get("Item"))
        return Cancelled([("ConditionalCheckFailed", from_item(old))])
    if code == "TransactionCanceledException":
        reasons = error.response.get("CancellationReasons") or []
        return Cancelled([(r.get("Code", "None"), from_item(r.get("Item"))) for r in reasons])
    return None


def _retryable(error: ClientError) -> bool:
    code = error.response["Error"]["Code"]
    if code in RETRYABLE_ERRORS:
        return True
    if code == "TransactionCanceledException":
        reasons = error.response.get("CancellationReasons") or []
        return any(r.get("Code") in RETRYABLE_REASONS for r in reasons) and not any(
            r.get("Code") == "ConditionalCheckFailed" for r in reasons
        )
    return False


# --- deadlines and retries ----------------------------------------------------------------------

RESERVE = 1.0  # seconds of an invocation kept for the clean-up after a refused step
MARGIN = 0.25  # seconds kept to shape and send the answer
# Seconds one call may spend retrying when no invocation set a deadline (scripts, scheduled and queue
# functions, tests' threads): about what an API function's invocation leaves (the template's 10 s).
DEFAULT_BUDGET = 8.0
BACKOFF_BASE = 0.01
BACKOFF_CAP = 0.5
RETRY_AFTER = 1  # seconds a caller told `busy` should wait


@dataclass(frozen=True)
class Deadline:
    work: float  # time.monotonic() after which no retry starts
    end: float  # the invocation's own end, less the margin: what clean-up may still use


_deadline: ContextVar[Deadline | None] = ContextVar("store_deadline", default=None)


@contextlib.contextmanager
def invocation(context: Any) -> Iterator[Deadline | None]:
    """The retry budget of one Lambda invocation: its remaining time less a reserve for clean-up.

    Without a Lambda context (scripts, tests), each call retries for up to DEFAULT_BUDGET seconds.
    """
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    if remaining_ms is None:
        yield None
        return
    remaining = max(0.0, remaining_ms() / 1000)
    end = time.monotonic() + remaining - min(MARGIN, remaining / 10)
    deadline = Deadline(work=end - min(RESERVE, remaining / 4), end=end)
    token = _deadline.set(deadline)
    try:
        yield deadline
    finally:
        _deadline.reset(token)


@contextlib.contextmanager
def cleanup() -> Iterator[None]:
    """Clean-up after a refused step (giving back what was taken) may use the reserve, not only the budget."""
    current = _deadline.get()
    if current is None:
        yield
        return
    token = _deadline.set(Deadline(work=current.end, end=current.end))
    try:
        yield
    finally:
        _deadline.reset(token)


class StoreBusy(Busy):
    """The deadline passed; `unknown_outcome` says whether an attempt of the request may have been applied."""

    def __init__(self, unknown_outcome: bool = False) -> None:
        super().__init__("the store is busy; retry shortly", code="busy", retry_after=RETRY_AFTER)
        self.unknown_outcome = unknown_outcome


def busy(unknown_outcome: bool = False) -> StoreBusy:
    return StoreBusy(unknown_outcome)


class Backoff:
    """Full-jitter exponential pauses until the deadline; past it, `Busy` (a 503 the caller may retry)."""

    def __init__(self) -> None:
        deadline = _deadline.get()
        self.until = deadline.work if deadline else time.monotonic() + DEFAULT_BUDGET
        self.attempt = 0

    def pause(self, cause: BaseException | None = None, *, unknown_outcome: bool = False) -> None:
        self.attempt += 1
        wait = random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**self.attempt))
        if time.monotonic() + wait >= self.until:
            raise busy(unknown_outcome) from cause
        time.sleep(wait)


def _ambiguous(error: ClientError) -> bool:
    return error.response["Error"]["Code"] in AMBIGUOUS_ERRORS or (
        error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500
    )


def with_retries(call: Callable[[], T]) -> T:
    """Retry conflicts, throttling and unknown outcomes (500s, timeouts, dropped connections) until the
    deadline; condition failures go to the caller as `Cancelled`, marked `ambiguous` when an earlier attempt
    may have been applied (the refusal may then be our own write: see Table.put and Table.update)."""
    backoff = Backoff()
    ambiguous = False
    while True:
        try:
            return call()
        except ClientError as error:
            if not _retryable(error):
                cancelled = _cancelled(error)
                if cancelled is not None:
                    cancelled.ambiguous = ambiguous
                    raise cancelled from error
                raise
            ambiguous = ambiguous or _ambiguous(error)
            backoff.pause(error, unknown_outcome=ambiguous)
        except (BotoConnectionError, HTTPClientError) as error:
            # A timeout or a dropped connection: the request may have been applied.
            ambiguous = True
            backoff.pause(error, unknown_outcome=True)


# --- the table -----------------------------------------------------------------------------------


class Table:
    """Thin typed wrapper over the low-level client for one table (thread-safe, unlike boto3 resources)."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name or settings().table_name

    @property
    def _db(self) -> DynamoDBClient:
        return cast("DynamoDBClient", client("dynamodb"))

    def get(self, key: dict[str, str], *, consistent: bool = True) -> dict[str, Any] | None:
        response = with_retries(
            lambda: self._db.get_item(TableName=self.name, Key=to_item(key), ConsistentRead=consistent)
        )
        return from_item(response.get("Item"))

    def batch_get(self, key_list: list[dict[str, str]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(key_list), 100):
            pending: dict[str, Any] = {
                self.name: {
                    "Keys": [to_item(k) for k in key_list[start : start + 100]],
                    "ConsistentRead": True,
                }
            }
            backoff = Backoff()
            while True:
                response = with_retries(partial(self._db.batch_get_item, RequestItems=pending))
                found.extend(from_item(item) for item in response["Responses"].get(self.name, []))
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
                backoff.pause()
        return found

    def put(self, data: dict[str, Any], **conditions: Any) -> None:
        """A put; if it is refused after an attempt with an unknown outcome and the item in the way is
        exactly this one, that attempt was applied: our own write, so the put succeeded."""
        item = to_item(data)
        if "ConditionExpression" in conditions:
            conditions.setdefault("ReturnValuesOnConditionCheckFailure", "ALL_OLD")
        try:
            with_retries(lambda: self._db.put_item(TableName=self.name, Item=item, **conditions))
        except Cancelled as cancelled:
            if not (cancelled.ambiguous and cancelled.old(0) == from_item(item)):
                raise

    def update(
        self,
        key: dict[str, str],
        *,
        mine: Callable[[dict[str, Any] | None], bool] | None = None,
        **request: Any,
    ) -> dict[str, Any] | None:
        """An update. `mine` tells, from the item as it is, whether a refusal after an attempt with an
        unknown outcome is that attempt's own doing; then the update succeeded and the item is returned."""
        if mine is not None:
            request.setdefault("ReturnValuesOnConditionCheckFailure", "ALL_OLD")
        try:
            response = with_retries(
                lambda: self._db.update_item(TableName=self.name, Key=to_item(key), **request)
            )
        except Cancelled as cancelled:
            if mine is not None and cancelled.ambiguous and mine(cancelled.old(0)):
                return cancelled.old(0)
            raise
        return from_item(response.get("Attributes"))

    def delete(self, key: dict[str, str], **conditions: Any) -> None:
        with_retries(lambda: self._db.delete_item(TableName=self.name, Key=to_item(key), **conditions))

    def transact(self, operations: list[dict[str, Any]], *, token: str | None = None) -> None:
        """Each operation is {'Put'|'Update'|'ConditionCheck'|'Delete': {...}} without TableName.

        Every attempt carries the same ClientRequestToken (one per call unless given), so a retry after an
        attempt whose answer was lost succeeds without applying the transaction twice (for 10 minutes).
        """
        items = cast(
            "list[TransactWriteItemTypeDef]",
            [{kind: {"TableName": self.name, **body} for kind, body in op.items()} for op in operations],
        )
        request_token = token or uuid.uuid4().hex
        with_retries(
            lambda: self._db.transact_write_items(TransactItems=items, ClientRequestToken=request_token)
        )

    def batch_write(self, items: Iterable[dict[str, Any]]) -> int:
        """Unconditional puts, 25 per request, unprocessed items resent; returns the requests made."""
        requests = 0
        batch: list[dict[str, Any]] = []
        for data in items:
            batch.append({"PutRequest": {"Item": to_item(data)}})
            if len(batch) == 25:
                requests += self._write_batch(batch)
                batch = []
        if batch:
            requests += self._write_batch(batch)
        return requests

    def _write_batch(self, batch: list[dict[str, Any]]) -> int:
        pending: dict[str, Any] = {self.name: batch}
        backoff = Backoff()
        while True:
            response = with_retries(partial(self._db.batch_write_item, RequestItems=pending))
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                return backoff.attempt + 1
            backoff.pause()

    def query(
        self,
        *,
        index: str | None = None,
        key_condition: str,
        limit: int | None = None,
        forward: bool = True,
        start_key: dict[str, Any] | None = None,
        **request: Any,
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        params: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": key_condition,
            "ScanIndexForward": forward,
            **request,
        }
        if index:
            params["IndexName"] = index
        if limit:
            params["Limit"] = limit
        if start_key:
            params["ExclusiveStartKey"] = start_key
        try:
            response = with_retries(lambda: self._db.query(**params))
        except ClientError as error:
            # A signed start key can still fall outside today's key condition (a wallet's "available"
            # bound moves with the clock): DynamoDB refuses it, and the caller starts the listing again.
            if start_key and error.response["Error"]["Code"] == "ValidationException":
                raise Invalid("not a page token of this listing", field="next_token") from error
            raise
        return [from_item(i) for i in response.get("Items", [])], response.get("LastEvaluatedKey")

    def query_all(self, **request: Any) -> Iterator[dict[str, Any]]:
        start: dict[str, Any] | None = None
        while True:
            items, start = self.query(start_key=start, **request)
            yield from items
            if not start:
                return


def shard_keys(coupon_id: str, count: int) -> list[dict[str, str]]:
    return [keys.shard(coupon_id, i) for i in range(count)]
