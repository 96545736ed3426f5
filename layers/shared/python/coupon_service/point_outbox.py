"""The points ledger's part of the outbox: each entry's insert is one event (registered in
`coupon_service.events`, which derives every event from the stream)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from coupon_service.event_ids import event_id
from coupon_service.models.events import Event
from coupon_service.models.point_events import PointsAdjusted, PointsEarned, PointsExpired, PointsSpent


def _entry(new: dict[str, Any], old: dict[str, Any], name: str) -> list[Event]:
    if name != "INSERT":
        return []  # entries are never rewritten
    reason, points = new["reason"], new["points"]
    if not points and not new.get("shortfall"):
        return []  # changed nothing: a reversal or a refund that came before the credit it undoes
    common = {
        "event_id": "",
        "occurred_at": new["at"],
        "customer_id": new["customer_id"],
        "programme": new["programme"],
        "entry_id": new["entry_id"],
        "reason": reason,
        "points": points,
        "repaid": new.get("repaid", 0),
    }
    kind: type[Event]
    if reason == "expiry":
        kind = PointsExpired
    elif reason == "coupon_claim":
        kind = PointsSpent
    elif reason in ("adjustment", "refund", "points_coupon_reversed"):
        kind = PointsAdjusted
        common.update(shortfall=new.get("shortfall", 0), by=new.get("by"))
    else:
        kind = PointsEarned
        common["expires_at"] = new.get("expires_at")
    identity = f"{new['customer_id']}|{new['programme']}|{new['entry_id']}"
    common["event_id"] = event_id(kind.detail_type, identity)
    return [kind.model_validate(common)]


# By item `type`, as `coupon_service.events` looks derivers up.
DERIVERS: dict[str, Callable[[dict[str, Any], dict[str, Any], str], list[Event]]] = {"points_entry": _entry}
