"""The reconciliation: every figure recounted from the records (claimed coupons, redemptions, accepted
gifts, reported orders and refunds), not from events, and compared with the counters. An operator's
command (`make reconcile`): it reads the whole table.

The recount builds each claimed coupon's and each customer's facts from what the records say now, as if
every event had arrived, and sums their contributions (`facts`, `customers`); the counters must equal it
cell by cell. Orders and refunds are the orders feed's items (`reported_order`, `order_refund`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from coupon_service.events import event_id
from coupon_service.figures import customers, facts
from coupon_service.figures.facts import Contribution, Record
from coupon_service.store.figures import CELL_TYPE, FiguresStore
from coupon_service.store.table import Table

Key = tuple[str, str, str, str]  # coupon, day, channel, store


@dataclass
class Recount:
    claims: dict[str, Record] = field(default_factory=dict)
    people: dict[tuple[str, str], Record] = field(default_factory=dict)
    counters: dict[Key, dict[str, int]] = field(default_factory=dict)

    def claim(self, claim_id: str) -> Record:
        return self.claims.setdefault(claim_id, facts.claim_record(claim_id))

    def person(self, merchant_id: str, customer_id: str) -> Record:
        found = self.people.get((merchant_id, customer_id))
        return found or customers.customer_record(merchant_id, customer_id)


def _claim(recount: Recount, item: dict[str, Any]) -> None:
    detail = {**item, "customer_id": item.get("owner_id"), "channel": item.get("channel", "other")}
    record = facts.claimed(recount.claim(item["claim_id"]), {**detail, "occurred_at": item["claimed_at"]})
    if item.get("voided_at"):
        record = facts.voided(record, {"occurred_at": item["voided_at"]})
    recount.claims[item["claim_id"]] = record


def _redemption(recount: Recount, item: dict[str, Any]) -> None:
    rid = item["redemption_id"]
    record = facts.redeemed(recount.claim(item["claim_id"]), {**item, "occurred_at": item["redeemed_at"]})
    if item.get("reversed_at"):
        record = facts.reversed_(record, {"redemption_id": rid, "occurred_at": item["reversed_at"]})
    recount.claims[item["claim_id"]] = record
    if record.get("test_release"):  # a test release's use: in no customer's figures
        return
    fact = record["redemptions"][rid]
    person = recount.person(fact["at_merchant"], fact["customer_id"])
    changed = customers.redemption(person, rid, fact, reversed_=bool(item.get("reversed_at")))
    recount.people[(fact["at_merchant"], fact["customer_id"])] = changed


def _gift(recount: Recount, item: dict[str, Any]) -> None:
    detail = {"event_id": event_id("GiftAccepted", item["gift_id"]), "occurred_at": item["accepted_at"]}
    recount.claims[item["claim_id"]] = facts.gifted(recount.claim(item["claim_id"]), detail)


def _order(recount: Recount, item: dict[str, Any]) -> None:
    key = (item["merchant_id"], item["customer_id"])
    if "refund_id" in item:
        recount.people[key] = customers.order_refunded(recount.person(*key), item)
    else:
        recount.people[key] = customers.order_placed(recount.person(*key), item)


def _kind(item: dict[str, Any]) -> Callable[[Recount, dict[str, Any]], None] | None:
    kind = item.get("type")
    if kind == "claim":
        return _claim
    if kind == "redemption":
        return _redemption
    if kind == "gift":
        return _gift if item.get("accepted_at") else None
    return _order if kind in ("reported_order", "order_refund") else None


def recount_items(items: Iterable[dict[str, Any]], zone: Callable[[str], ZoneInfo]) -> Recount:
    recount = Recount()
    for item in items:
        if item.get("type") == CELL_TYPE:
            key = (item["coupon_id"], item["day"], item["channel"], item["store_id"])
            counts = recount.counters.setdefault(key, dict.fromkeys(facts.FIGURES, 0))
            for name in facts.FIGURES:
                counts[name] += int(item.get(name) or 0)
        elif (apply := _kind(item)) is not None:
            apply(recount, item)
    return recount


def expected(recount: Recount, zone: Callable[[str], ZoneInfo]) -> dict[Key, dict[str, int]]:
    """The figures the records make, per coupon, day, channel and store."""
    parts: list[Contribution] = [
        facts.claim_contribution(r, zone(r["claim"]["merchant_id"] if r.get("claim") else "")) for r in
        recount.claims.values()
    ]  # fmt: skip
    parts += [customers.customer_contribution(p, zone(p["merchant_id"])) for p in recount.people.values()]
    out: dict[Key, dict[str, int]] = {}
    for key, counts in facts.total(parts).items():
        _, coupon, day, channel, store = facts.parts(key)
        out[(coupon, day, channel, store)] = {**dict.fromkeys(facts.FIGURES, 0), **counts}
    return out


def differences(
    want: dict[Key, dict[str, int]], have: dict[Key, dict[str, int]]
) -> list[tuple[Key, str, int, int]]:
    """Every (cell, figure) where the counters differ from the recount: (cell, figure, recount, counter)."""
    found = []
    for key in sorted(want.keys() | have.keys()):
        a, b = want.get(key, {}), have.get(key, {})
        for name in facts.FIGURES:
            if a.get(name, 0) != b.get(name, 0):
                found.append((key, name, a.get(name, 0), b.get(name, 0)))
    return found


def reconcile(table: Table | None = None, zone: Callable[[str], ZoneInfo] | None = None) -> list[Any]:
    """Recount the whole table and compare: the differences (empty when the figures are right)."""
    from coupon_service.figures.aggregator import Aggregator

    zone = zone or Aggregator(table).zone
    recount = recount_items(FiguresStore(table).everything(), zone)
    return differences(expected(recount, zone), recount.counters)
