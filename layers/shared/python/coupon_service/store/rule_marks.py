"""What the rules keep beside the rules: the outside events merchants report (stored once per merchant and
event id), the marks that an event's rules or a day's run were applied, and the packs a customer_joined
rule issued (listed on GSI2 while a new pack may follow)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from coupon_service import keys
from coupon_service.errors import Conflict
from coupon_service.items import ClaimItem
from coupon_service.rule_items import CustomerEventItem, RulePackItem
from coupon_service.store.table import Cancelled, Table, values
from coupon_service.validity import from_iso

DONE_KEPT = timedelta(days=30)  # how long an event's mark outlives it: longer than any redelivery
RUN_KEPT = timedelta(days=400)


def _expiry(now: str, kept: timedelta) -> int:
    return int((from_iso(now) + kept).timestamp())


class RuleMarks:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    # --- outside events ----------------------------------------------------------------------------

    def report(self, event: CustomerEventItem) -> tuple[CustomerEventItem, bool]:
        """The event stored once (its insert is the outbox record of the service's own event); the same
        event again (same digest) answers what was stored and False; another under its id is a 409."""
        record = {
            **keys.customer_event(event.merchant_id, event.event_id),
            "type": "customer_event",
            **event.model_dump(exclude_none=True),
        }
        try:
            self.table.put(record, ConditionExpression="attribute_not_exists(PK)")
        except Cancelled as cancelled:
            existing = cancelled.old(0) or {}
            if existing.get("digest") == event.digest and existing.get("kind") == event.kind:
                return CustomerEventItem.model_validate(existing), False
            raise Conflict(
                "another event was reported under this event_id", code="event_exists", field="event_id"
            ) from None
        return event, True

    # --- an event's rules applied, a day's run finished ----------------------------------------------

    def applied_of(self, event_ids: list[str]) -> set[str]:
        """Which of the events the rules were applied to already: one batch read per 100."""
        found = self.table.batch_get([keys.rule_event_done(e) for e in dict.fromkeys(event_ids)])
        return {str(item["event_id"]) for item in found}

    def mark_applied(self, events: list[tuple[str, int]], now: str) -> None:
        """The events applied (each with the coupons it issued): one batch write per 25."""
        self.table.batch_write(
            {
                **keys.rule_event_done(event_id),
                "type": "rule_event_done",
                "event_id": event_id,
                "at": now,
                "issued": issued,
                "expires_at": _expiry(now, DONE_KEPT),
            }
            for event_id, issued in events
        )

    def ran(self, rule_id: str, day: str) -> bool:
        return self.table.get(keys.rule_run_done(rule_id, day)) is not None

    def mark_ran(self, rule_id: str, day: str, now: str, issued: int) -> None:
        self.table.put(
            {
                **keys.rule_run_done(rule_id, day),
                "type": "rule_run_done",
                "at": now,
                "issued": issued,
                "expires_at": _expiry(now, RUN_KEPT),
            }
        )

    # --- packs ----------------------------------------------------------------------------------------

    def claims(self, claim_ids: list[str]) -> list[ClaimItem]:
        found = self.table.batch_get([keys.claim(c) for c in claim_ids]) if claim_ids else []
        return [ClaimItem.model_validate(c) for c in found]

    def pack(self, rule_id: str, customer_id: str) -> RulePackItem | None:
        found = self.table.get(keys.rule_pack(rule_id, customer_id))
        return RulePackItem.model_validate(found) if found else None

    def keep_pack(self, pack: RulePackItem, *, watched: bool) -> bool:
        """The pack of its generation, written once: a first pack only where none is; a later one only over
        the generation before it. False when another run wrote it first."""
        record: dict[str, Any] = {
            **keys.rule_pack(pack.rule_id, pack.customer_id),
            "type": "rule_pack",
            **pack.model_dump(exclude_none=True),
        }
        if watched:
            record.update(keys.pack_watch(pack.rule_id, pack.expires_after, pack.customer_id))
        if pack.generation == 0:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(PK)"}
        else:
            condition = {
                "ConditionExpression": "generation = :before",
                "ExpressionAttributeValues": values(before=pack.generation - 1),
            }
        try:
            self.table.put(record, **condition)
        except Cancelled:
            return False
        return True

    def settle(self, pack: RulePackItem, why: str) -> None:
        """No pack follows this one: out of the watch (conditioned on its generation, so a settle never
        undoes a newer pack)."""
        try:
            self.table.update(
                keys.rule_pack(pack.rule_id, pack.customer_id),
                UpdateExpression="SET settled = :why REMOVE GSI2PK, GSI2SK",
                ConditionExpression="generation = :g",
                ExpressionAttributeValues=values(why=why, g=pack.generation),
            )
        except Cancelled:
            return

    def lapsed_packs(self, rule_id: str, now: str) -> Iterator[RulePackItem]:
        """A rule's watched packs whose every coupon ended before `now`, page by page."""
        found = self.table.query_all(
            index="GSI2",
            key_condition="GSI2PK = :p AND GSI2SK < :bound",
            ExpressionAttributeValues=values(p=keys.rule_packs(rule_id), bound=keys.pack_watch_bound(now)),
        )
        for item in found:
            yield RulePackItem.model_validate(item)
