"""The outside events' part of the outbox: an outside event's insert is the service's own event of its kind
(`CustomerJoined`, `InvitationAccepted`, `TierUpgraded`, `ProfileCompleted`, `CardBound`, `ContentShared`,
`ContentPosted`, source `coupons`), registered in
`coupon_service.events`, which derives every event from the stream."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from coupon_service.event_ids import event_id
from coupon_service.models.customer_events import (
    CardBoundEvent,
    ContentPostedEvent,
    ContentSharedEvent,
    CustomerJoinedEvent,
    InvitationAcceptedEvent,
    ProfileCompletedEvent,
    TierUpgradedEvent,
)
from coupon_service.models.events import Event

Reported = (
    CustomerJoinedEvent
    | InvitationAcceptedEvent
    | TierUpgradedEvent
    | ProfileCompletedEvent
    | CardBoundEvent
    | ContentSharedEvent
    | ContentPostedEvent
)
_KINDS: dict[str, type[Reported]] = {
    "CustomerJoined": CustomerJoinedEvent,
    "InvitationAccepted": InvitationAcceptedEvent,
    "TierUpgraded": TierUpgradedEvent,
    "ProfileCompleted": ProfileCompletedEvent,
    "CardBound": CardBoundEvent,
    "ContentShared": ContentSharedEvent,
    "ContentPosted": ContentPostedEvent,
}


def _reported(new: dict[str, Any], old: dict[str, Any], name: str) -> list[Event]:
    if name != "INSERT":
        return []
    model = _KINDS[new["kind"]]
    detail = {k: v for k, v in new["detail"].items() if k in model.model_fields and v is not None}
    detail.pop("event_id", None)
    return [
        model(
            # One event per merchant and the merchant's own event id: the same report again writes nothing.
            event_id=event_id(new["kind"], f"{new['merchant_id']}|{new['event_id']}"),
            occurred_at=new["received_at"],
            reported_id=new["event_id"],
            **{**detail, "merchant_id": new["merchant_id"]},
        )
    ]


# By item `type`, as `coupon_service.events` looks derivers up.
DERIVERS: dict[str, Callable[[dict[str, Any], dict[str, Any], str], list[Event]]] = {
    "customer_event": _reported,
}
