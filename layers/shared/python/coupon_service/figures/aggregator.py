"""The aggregator: events from the bus become the records they change and the counters those move, in one
transaction per batch (see `facts` for why the result does not depend on the order events come in, and
`store.figures` for how a re-delivered event or a lost answer counts once).

A batch (the queue hands over up to 10 messages) is read with one `BatchGetItem` and written with one
`TransactWriteItems`: each event is applied in turn to the records in memory, so two events of one claim
in the same batch both count, and the moves of events that meet in a counter cell are added together."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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

TRIES = 8  # another batch wrote one of our records between our read and our write
ZONE_TTL = 60.0  # seconds a merchant's time zone is kept in memory
MAX_ITEMS = 100  # a transaction's limit: a batch that needs more is split

Transition = Callable[[Record, dict[str, Any]], Record]
CLAIM_EVENTS: dict[str, Transition] = {
    "CouponClaimed": facts.claimed,
    "CouponRedeemed": facts.redeemed,
    "RedemptionReversed": facts.reversed_,
    "CouponVoided": facts.voided,
    "GiftAccepted": facts.gifted,
    "CouponExtended": facts.extended,
}
ORDER_EVENTS: dict[str, Transition] = {
    "OrderPlaced": customers.order_placed,
    "OrderRefunded": customers.order_refunded,
}
COUNTED = frozenset(CLAIM_EVENTS) | frozenset(ORDER_EVENTS)
_zones: dict[tuple[str, str], tuple[float, ZoneInfo]] = {}  # (table, merchant) -> (until, zone)

Key = tuple[str, str]
Outcome = bool | Exception  # counted now / counted before or not counted / why it could not be counted


def _key(key: dict[str, str]) -> Key:
    return key["PK"], key["SK"]


@dataclass
class _Work:
    """One batch's records in memory: as read (their versions), as changed, and the counters to move."""

    read: dict[Key, Record | None] = field(default_factory=dict)
    now: dict[Key, Record] = field(default_factory=dict)
    kinds: dict[Key, str] = field(default_factory=dict)
    moves: dict[tuple[int, str], dict[str, int]] = field(default_factory=dict)

    def record(self, key: Key, kind: str, fresh: Callable[[], Record]) -> Record:
        self.kinds[key] = kind
        return self.now.get(key) or self.read.get(key) or fresh()

    def move(self, shard: int, moved: Contribution) -> None:
        for cell, counts in moved.items():
            into = self.moves.setdefault((shard, cell), {})
            for name, n in counts.items():
                into[name] = into.get(name, 0) + n

    def size(self) -> int:
        return len(self.now) + len(self.moves) * 2


class Aggregator:
    def __init__(self, table: Table | None = None) -> None:
        table = table or Table()
        self.store = FiguresStore(table)
        self.settings = MerchantSettingsStore(table)

    def zone(self, merchant_id: str) -> ZoneInfo:
        """The merchant's time zone (its settings; UTC until it sets one), kept a minute in memory."""
        cached = _zones.get((self.settings.table.name, merchant_id))
        if cached and cached[0] > time.monotonic():
            return cached[1]
        found = self.settings.settings(merchant_id)
        zone = ZoneInfo(getattr(found, "time_zone", None) or "UTC")
        _zones[(self.settings.table.name, merchant_id)] = (time.monotonic() + ZONE_TTL, zone)
        return zone

    def count(self, events: Sequence[BusEvent]) -> list[Outcome]:
        """Count events from the bus (each detail parsed by the model of its type), one outcome each."""
        parsed: list[tuple[str, dict[str, Any]] | Exception] = []
        for event in events:
            try:
                fact = event.fact()
                parsed.append((event.detail_type, fact.model_dump() if fact else {}))
            except ValueError as error:
                parsed.append(error)
        countable = [(i, p) for i, p in enumerate(parsed) if not isinstance(p, Exception)]
        outcomes: list[Outcome] = [p if isinstance(p, Exception) else False for p in parsed]
        for (i, _), outcome in zip(countable, self.apply_all([p for _, p in countable]), strict=True):
            outcomes[i] = outcome
        return outcomes

    def apply(self, detail_type: str, detail: dict[str, Any]) -> bool:
        """Count one event: True when counted now, False when it was counted before (or is not counted)."""
        [outcome] = self.apply_all([(detail_type, detail)])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def apply_all(self, events: Sequence[tuple[str, dict[str, Any]]]) -> list[Outcome]:
        """Count a batch in one read and one transaction; a batch too big for one is split in two. A batch
        that cannot be written (a record that keeps changing, or one DynamoDB refuses) is counted event by
        event, so only the events whose own write fails are failed, never their neighbours (another
        merchant's among them)."""
        try:
            return self._together(events)
        except Exception:
            if len(events) <= 1:
                raise
            return [self._alone(event) for event in events]

    def _alone(self, event: tuple[str, dict[str, Any]]) -> Outcome:
        try:
            [outcome] = self._together([event])
        except Exception as error:  # the event's own failure, reported for its message
            return error
        return outcome

    def _together(self, events: Sequence[tuple[str, dict[str, Any]]]) -> list[Outcome]:
        events = [(kind, detail) if kind in COUNTED else ("", detail) for kind, detail in events]
        for _ in range(TRIES):
            work, outcomes = self._applied(events)
            if work.size() > MAX_ITEMS and len(events) > 1:
                half = len(events) // 2
                return self._together(events[:half]) + self._together(events[half:])
            try:
                self._commit(work)
                return outcomes
            except Changed:
                continue
        raise Changed("the figures records kept changing under this batch")

    def _applied(self, events: Sequence[tuple[str, dict[str, Any]]]) -> tuple[_Work, list[Outcome]]:
        work = _Work()
        self._read(work, [k for kind, d in events if kind for k in self._keys(kind, d)])
        outcomes: list[Outcome] = []
        for kind, detail in events:
            before = (dict(work.now), dict(work.kinds), {k: dict(v) for k, v in work.moves.items()})
            try:
                outcomes.append(bool(kind) and self._one(work, kind, detail))
            except (KeyError, TypeError, ValueError) as error:  # counted by none of its records
                work.now, work.kinds, work.moves = before
                outcomes.append(error)
        return work, outcomes

    def _read(self, work: _Work, key_list: list[dict[str, str]]) -> None:
        missing = {_key(k): k for k in key_list if _key(k) not in work.read}
        if missing:
            found = self.store.records(list(missing.values()))
            work.read.update(zip(missing, found, strict=True))

    @staticmethod
    def _keys(kind: str, detail: dict[str, Any]) -> list[dict[str, str]]:
        """The records an event is known to change before they are read."""
        if kind in ORDER_EVENTS:
            return [keys.figures_customer(detail["merchant_id"], detail["customer_id"])]
        found = [keys.figures_claim(detail["claim_id"])]
        if kind == "CouponRedeemed":
            at = detail.get("redeemed_at_merchant") or detail["merchant_id"]
            found.append(keys.figures_customer(at, detail["customer_id"]))
        return found

    def _one(self, work: _Work, kind: str, detail: dict[str, Any]) -> bool:
        if kind in ORDER_EVENTS:
            merchant, customer = detail["merchant_id"], detail["customer_id"]
            key = _key(keys.figures_customer(merchant, customer))
            record = work.record(key, CUSTOMER_TYPE, lambda: customers.customer_record(merchant, customer))
            if detail["event_id"] in record["seen"]:
                return False
            new = ORDER_EVENTS[kind](record, detail)
            contribution = customers.customer_contribution(new, self.zone(merchant))
            self._settle(work, key, new, contribution, (detail["event_id"], True))
            return True
        key = _key(keys.figures_claim(detail["claim_id"]))
        record = work.record(key, CLAIM_TYPE, lambda: facts.claim_record(detail["claim_id"]))
        if detail["event_id"] in record["seen"]:
            return False
        new = CLAIM_EVENTS[kind](record, detail)
        zone = self.zone(detail["merchant_id"])
        self._settle(work, key, new, facts.claim_contribution(new, zone), (detail["event_id"], True))
        rid: str = detail.get("redemption_id") or ""
        if (fact := new["redemptions"].get(rid)) is not None and not new.get("test_release"):
            self._customer_learns(work, rid, fact, rid in new["reversals"], detail)
        return True

    def _customer_learns(
        self, work: _Work, rid: str, fact: dict[str, Any], reversed_: bool, detail: dict[str, Any]
    ) -> None:
        """The customer's record learns the redemption, reversed or not (a reversal's customer is known
        once the claim's record holds its redemption)."""
        merchant, customer = fact["at_merchant"], fact["customer_id"]
        raw = keys.figures_customer(merchant, customer)
        self._read(work, [raw])
        key = _key(raw)
        person = work.record(key, CUSTOMER_TYPE, lambda: customers.customer_record(merchant, customer))
        changed = customers.redemption(person, rid, fact, reversed_=reversed_)
        contribution = customers.customer_contribution(changed, self.zone(merchant))
        self._settle(work, key, changed, contribution, (detail["event_id"], False))

    @staticmethod
    def _settle(
        work: _Work, key: Key, new: Record, contribution: Contribution, event: tuple[str, bool]
    ) -> None:
        """The record as changed, with what it now contributes; the counters move by the difference, on
        the event's shard; the event's id is marked seen on the record it belongs to."""
        event_id, seen = event
        work.move(keys.figure_shard(event_id), facts.difference(contribution, new["contributed"]))
        marked = [*new["seen"], event_id] if seen else new["seen"]
        work.now[key] = {**new, "contributed": contribution, "seen": marked}

    def _commit(self, work: _Work) -> None:
        written = []
        for key, record in work.now.items():
            as_read = (work.read.get(key) or {}).get("version", 0)
            body = {k: v for k, v in record.items() if k not in ("PK", "SK", "type")}
            body["version"] = as_read + 1
            written.append(Written({"PK": key[0], "SK": key[1]}, work.kinds[key], body, as_read))
        moves = []
        for (shard, cell), counts in sorted(work.moves.items()):
            counts = {name: n for name, n in counts.items() if n}
            if counts:
                merchant, coupon, day, channel, store = facts.parts(cell)
                moves.append(Move(merchant, coupon, day, channel, store, counts, shard))
        if written:
            self.store.commit(written, moves)
