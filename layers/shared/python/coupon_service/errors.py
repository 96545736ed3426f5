"""Domain errors: what a caller did wrong or what the state forbids, mapped to HTTP in one place (api.py)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a user can cause; never a bug."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        details: dict[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.details = details or {}
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        if self.details:
            error["details"] = self.details
        return {"error": error}


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The request is valid but the current state forbids it (sold out, already used, stale version…)."""

    status = 409
    code = "conflict"


class VersionConflict(Conflict):
    """An edit based on a version of the coupon that is no longer the current one."""

    code = "version_conflict"

    def __init__(self, current_version: int | None = None) -> None:
        super().__init__(
            "the coupon changed since you read it; read it again and reapply your edit",
            field="version",
            details={"current_version": current_version} if current_version is not None else None,
        )


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


class Invalid(DomainError):
    """Well-formed input that breaks a rule (a field's value, or a combination of fields)."""

    status = 422
    code = "invalid"


class Locked(DomainError):
    status = 423
    code = "locked"


class TooManyRequests(DomainError):
    """Slowed down: the same request is welcome again after `retry_after` seconds."""

    status = 429
    code = "too_many_requests"


class Busy(DomainError):
    """Contention we could not resolve in time; safe to retry."""

    status = 503
    code = "busy"


class Changed(Conflict):
    """What the request was based on changed before it was written; the same request may succeed again."""

    code = "changed"


# --- claiming ------------------------------------------------------------------------------------


class SoldOut(Conflict):
    code = "sold_out"

    def __init__(self, coupon_id: str) -> None:
        super().__init__("sold out", details={"coupon_id": coupon_id})


class LimitReached(Conflict):
    """The per-customer limit: the customer already holds the most of this coupon one may claim."""

    code = "limit_reached"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"you already hold the most of this coupon one customer may claim ({limit})",
            details={"per_customer_limit": limit},
        )


class ClaimsClosed(Conflict):
    """The coupon takes no claims now: withdrawn, paused, or outside its claim window."""


class DuplicateClaim(Conflict):
    """A claim with this id exists already (a retry, or a concurrent request with the same key); the
    claim path answers it as a replay of `existing`, never as this error."""

    code = "duplicate_claim"

    def __init__(self, existing: dict[str, Any]) -> None:
        super().__init__("this claim exists already")
        self.existing = existing


# --- points --------------------------------------------------------------------------------------


class NotEnoughPoints(Conflict):
    """A debit larger than the ledger's balance: nothing was taken."""

    code = "insufficient_points"

    def __init__(self, wanted: int) -> None:
        super().__init__("not enough points", field="points", details={"points": wanted})


class PointsDue(Conflict):
    """A debit refused because the ledger holds points whose expiry instant has passed and that the hourly
    run has not expired yet: the caller expires that ledger (`store.point_expiry`) and tries once more. It
    never reaches a caller of the API (a second refusal is a 503 `busy`)."""

    code = "points_due"

    def __init__(self, customer_id: str, programme: str, balance: dict[str, Any] | None = None) -> None:
        super().__init__("points of this ledger are due to expire", field="points")
        self.customer_id = customer_id
        self.programme = programme
        self.balance = balance  # the balance as the refusal found it (the expiry's first read)


class CreditUndone(Conflict):
    """A credit refused because its source was undone before it landed (a points coupon's redemption
    reversed first: the reversal's entry stands): nothing to credit. It never reaches a caller of the API
    (the points worker answers the event with nothing written)."""

    code = "credit_undone"

    def __init__(self, source: str) -> None:
        super().__init__("the credit's source was undone before it landed", field="source")
        self.source = source
