"""How the store retries: refusals read into `Cancelled`, conflicts and throttling retried with backoff
until the invocation's deadline, then `busy`."""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from coupon_service.errors import Busy
from coupon_service.store.codec import from_item

T = TypeVar("T")

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
