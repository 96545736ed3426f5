"""Who may report for a merchant on the bus: the AWS accounts paired with merchants in ORDER_FEED_SENDERS,
for the orders feed (source `coupons.orders`) and the outside customer events (`coupons.customers`)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from coupon_service.errors import DomainError, Invalid
from coupon_service.settings import settings


def may_report(account: str, merchant_id: str) -> bool:
    """Whether the AWS account that put an event on the bus reports for `merchant_id` (ORDER_FEED_SENDERS:
    "account:merchant" pairs; "account:*" for any merchant, as the stack's own account is)."""
    pairs = {
        tuple(pair.strip().split(":", 1)) for pair in settings().order_feed_senders.split(",") if ":" in pair
    }
    return (account, merchant_id) in pairs or (account, "*") in pairs


def invalid_detail(error: ValidationError) -> Invalid:
    """A refused event's detail as a log line may tell it: where and what, never the value (it may be
    personal); an unknown field is named by where it was, never by its name (the sender's text)."""
    first = error.errors(include_input=False, include_url=False)[0]
    loc = (*first["loc"][:-1], "<unknown field>") if first["type"] == "extra_forbidden" else first["loc"]
    return Invalid(str(first["type"]), code="invalid", field=".".join(str(p) for p in ("detail", *loc)))


def refusal(error: Exception) -> dict[str, Any]:
    """What a log line may say of a refused event: the error's code, status and field, or its type; never
    its message's values nor the event's content."""
    if isinstance(error, DomainError):
        return {"code": error.code, "status": error.status, "field": error.field}
    return {"code": type(error).__name__}
