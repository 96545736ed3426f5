"""The issuing part of the outbox: a claimed coupon the service issued (coupon_service.issuing) becomes,
beside its `CouponClaimed`, a `CouponGranted` with why (registered in `coupon_service.events`)."""

from __future__ import annotations

from typing import Any

from coupon_service.event_ids import event_id
from coupon_service.models.events import CouponGranted, Event


def granted(new: dict[str, Any], claimed: Event) -> list[Event]:
    """The `CouponGranted` of an inserted claimed coupon (`claimed`: its `CouponClaimed`), if the service
    issued it (none otherwise)."""
    reason = new.get("issue_reason")
    if not reason:
        return []
    # A claimed coupon is issued once (its id names the issue), so its id names the event.
    return [
        CouponGranted.model_validate(
            {
                **claimed.model_dump(),
                "event_id": event_id("CouponGranted", new["claim_id"]),
                "reason": reason,
            }
        )
    ]
