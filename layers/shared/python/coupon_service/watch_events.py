"""The watches' part of the outbox: a coupon guard's attack window, a staff member's locked lookup budget and
a stock marker's crossings become `VerificationUnderAttack`, `CodeGuessingSuspected`, `CouponLowStock` and
`CouponSoldOut` (registered in `coupon_service.events`, which derives every event from the stream)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from coupon_service.claim_watch import crossed
from coupon_service.event_ids import became, event_id
from coupon_service.models.events import (
    ClaimAbuseSuspected,
    CodeGuessingSuspected,
    CouponLowStock,
    CouponSoldOut,
    Event,
    VerificationUnderAttack,
)


def _coupon_guard(new: dict[str, Any], old: dict[str, Any], name: str) -> list[Event]:
    if not became(new, old, "attack_window"):
        return []
    wrong = new.get("wrong") or {}
    return [
        VerificationUnderAttack(
            event_id=event_id("VerificationUnderAttack", f"{new['coupon_id']}|{new['attack_window']}"),
            occurred_at=new["attack_at"],
            coupon_id=new["coupon_id"],
            merchant_id=new["merchant_id"],
            window_start=new["attack_window"],
            window_end=new["window_end"],
            wrong_codes=len(wrong),
            customers=sorted(set(wrong.values())),
            slowed_until=new["attack_until"],
        )
    ]


def _lookup_budget(new: dict[str, Any], old: dict[str, Any], name: str) -> list[Event]:
    if not became(new, old, "locked_at"):
        return []
    return [
        CodeGuessingSuspected(
            # One per window: a window is one staff member's at one merchant, and its end is unique to it.
            event_id=event_id(
                "CodeGuessingSuspected", f"{new['merchant_id']}|{new['staff_id']}|{new['window_ends']}"
            ),
            occurred_at=new["locked_at"],
            staff_id=new["staff_id"],
            merchant_id=new["merchant_id"],
            unknown_codes=len(new.get("lookups") or {}),
            locked_until=new["window_ends"],
        )
    ]


def _stock(new: dict[str, Any], old: dict[str, Any], name: str) -> list[Event]:
    """Each new crossing number on a coupon's stock marker is one event, named by coupon and number."""
    coupon = {"coupon_id": new.get("coupon_id", ""), "merchant_id": new.get("merchant_id", "")}
    found: list[Event] = []
    if became(new, old, "low_crossings") and new.get("low"):
        crossing = new["low_crossings"]
        found.append(
            CouponLowStock(
                event_id=event_id("CouponLowStock", f"{coupon['coupon_id']}|{crossing}"),
                occurred_at=new["low_at"],
                threshold=new["threshold"],
                remaining=new["remaining"],
                crossing=crossing,
                **coupon,
            )
        )
    if became(new, old, "sold_out_crossings") and new.get("sold_out"):
        crossing = new["sold_out_crossings"]
        found.append(
            CouponSoldOut(
                event_id=event_id("CouponSoldOut", f"{coupon['coupon_id']}|{crossing}"),
                occurred_at=new["sold_out_at"],
                crossing=crossing,
                **coupon,
            )
        )
    return found


def _claim_watch(new: dict[str, Any], old: dict[str, Any], name: str) -> list[Event]:
    """A window's accounts going past its threshold: one event, named by merchant, subject and window."""
    after, before = new.get("accounts") or [], old.get("accounts") or []
    if not new or not crossed(new["kind"], len(before), len(after)):
        return []
    subject = f"{new['merchant_id']}|{new['kind']}|{new['subject_hash']}|{new['window_start']}"
    return [
        ClaimAbuseSuspected(
            event_id=event_id("ClaimAbuseSuspected", subject),
            occurred_at=new["last_at"],
            merchant_id=new["merchant_id"],
            kind=new["kind"],
            subject_hash=new["subject_hash"],
            window_start=new["window_start"],
            window_end=new["window_end"],
            threshold=int(new["threshold"]),
            accounts=len(after),
            customers=sorted(after),
        )
    ]


WATCH_DERIVERS: dict[str, Callable[[dict[str, Any], dict[str, Any], str], list[Event]]] = {
    "coupon_guard": _coupon_guard,
    "lookup_budget": _lookup_budget,
    "stock": _stock,
    "claim_watch": _claim_watch,
}
