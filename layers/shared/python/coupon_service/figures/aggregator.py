"""The aggregator: one event from the bus becomes the records it changes and the counters they move, in
one transaction (see `facts` for why the result does not depend on the order events come in, and
`store.figures` for how a re-delivered event or a lost answer counts once)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from coupon_service import keys
from coupon_service.errors import Changed
from coupon_service.figures import customers, facts
from coupon_service.figures.facts import Contribution, Record
from coupon_service.models.figures import BusEvent
from coupon_service.store.figures import CLAIM_TYPE, CUSTOMER_TYPE, FiguresStore, Move, Written
from coupon_service.store.merchants import MerchantSettingsStore
from coupon_service.store.table import Table

TRIES = 8  # another event of the same claim or customer written between our read and our write
ZONE_TTL = 60.0  # seconds a merchant's time zone is kept in memory

ClaimTransition = Callable[[Record, dict[str, Any]], Record]
CLAIM_EVENTS: dict[str, ClaimTransition] = {
    "CouponClaimed": facts.claimed,
    "CouponRedeemed": facts.redeemed,
    "RedemptionReversed": facts.reversed_,
    "CouponVoided": facts.voided,
    "GiftAccepted": facts.gifted,
}
ORDER_EVENTS: dict[str, ClaimTransition] = {
    "OrderPlaced": customers.order_placed,
    "OrderRefunded": customers.order_refunded,
}
COUNTED = frozenset(CLAIM_EVENTS) | frozenset(ORDER_EVENTS)
_zones: dict[str, tuple[float, ZoneInfo]] = {}


def moves_of(moved: Contribution) -> list[Move]:
    out = []
    for key, counts in sorted(moved.items()):
        merchant, coupon, day, channel, store = facts.parts(key)
        out.append(Move(merchant, coupon, day, channel, store, counts))
    return out


class Aggregator:
    def __init__(self, table: Table | None = None) -> None:
        table = table or Table()
        self.store = FiguresStore(table)
        self.settings = MerchantSettingsStore(table)

    def zone(self, merchant_id: str) -> ZoneInfo:
        """The merchant's time zone (its settings; UTC until it sets one), kept a minute in memory."""
        cached = _zones.get(merchant_id)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        found = self.settings.settings(merchant_id)
        zone = ZoneInfo(getattr(found, "time_zone", None) or "UTC")
        _zones[merchant_id] = (time.monotonic() + ZONE_TTL, zone)
        return zone

    def count(self, event: BusEvent) -> bool:
        """Count one event from the bus (its detail parsed by the model of its type)."""
        fact = event.fact()
        return fact is not None and self.apply(event.detail_type, fact.model_dump())

    def apply(self, detail_type: str, detail: dict[str, Any]) -> bool:
        """Count one event: True when counted now, False when it was counted before (or is not counted)."""
        if detail_type not in COUNTED:
            return False
        for _ in range(TRIES):
            try:
                if detail_type in ORDER_EVENTS:
                    return self._order(ORDER_EVENTS[detail_type], detail)
                return self._claim(detail_type, detail)
            except Changed:
                continue
        raise Changed("the figures records kept changing under this event")

    def _order(self, transition: ClaimTransition, detail: dict[str, Any]) -> bool:
        merchant, customer = detail["merchant_id"], detail["customer_id"]
        key = keys.figures_customer(merchant, customer)
        [found] = self.store.records([key])
        record = found or customers.customer_record(merchant, customer)
        if detail["event_id"] in record["seen"]:
            return False
        new = transition(record, detail)
        moved = self._settle(new, customers.customer_contribution(new, self.zone(merchant)))
        self.store.commit(
            [self._written(key, CUSTOMER_TYPE, new, record, detail["event_id"])],
            moves_of(moved),
            keys.figure_shard(detail["event_id"]),
        )
        return True

    def _claim(self, detail_type: str, detail: dict[str, Any]) -> bool:
        claim_key = keys.figures_claim(detail["claim_id"])
        customer_key = self._customer_key(detail_type, detail)
        found = self.store.records([claim_key] if customer_key is None else [claim_key, customer_key])
        record = found[0] or facts.claim_record(detail["claim_id"])
        if detail["event_id"] in record["seen"]:
            return False
        new = CLAIM_EVENTS[detail_type](record, detail)
        moved = self._settle(new, facts.claim_contribution(new, self.zone(detail["merchant_id"])))
        written = [self._written(claim_key, CLAIM_TYPE, new, record, detail["event_id"])]
        rid: str = detail.get("redemption_id") or ""
        fact = new["redemptions"].get(rid)
        if fact is not None:  # the customer's record learns the redemption, reversed or not
            customer_key = keys.figures_customer(fact["at_merchant"], fact["customer_id"])
            held = found[1] if len(found) > 1 else self.store.records([customer_key])[0]
            person = held or customers.customer_record(fact["at_merchant"], fact["customer_id"])
            changed = customers.redemption(person, rid, fact, reversed_=rid in new["reversals"])
            zone = self.zone(fact["at_merchant"])
            contribution = customers.customer_contribution(changed, zone)
            moved = facts.total([moved, self._settle(changed, contribution)])
            written.append(self._written(customer_key, CUSTOMER_TYPE, changed, person, None))
        self.store.commit(written, moves_of(moved), keys.figure_shard(detail["event_id"]))
        return True

    @staticmethod
    def _customer_key(detail_type: str, detail: dict[str, Any]) -> dict[str, str] | None:
        """A redemption names its customer: their record is read with the claim's (a reversal's is read
        once the claim's record says whose redemption it reverses)."""
        if detail_type != "CouponRedeemed":
            return None
        at = detail.get("redeemed_at_merchant") or detail["merchant_id"]
        return keys.figures_customer(at, detail["customer_id"])

    @staticmethod
    def _settle(new: Record, contribution: Contribution) -> Contribution:
        moved = facts.difference(contribution, new.get("contributed") or {})
        new["contributed"] = contribution
        return moved

    @staticmethod
    def _written(key: dict[str, str], kind: str, new: Record, old: Record, event_id: str | None) -> Written:
        seen = [*old["seen"], event_id] if event_id else old["seen"]
        body = {**new, "seen": seen, "version": old["version"] + 1}
        body = {k: v for k, v in body.items() if k not in ("PK", "SK", "type")}
        return Written(key=key, kind=kind, body=body, as_read=old["version"])
