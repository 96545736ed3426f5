"""The rules worker: the service's own events (source `coupons`: `OrderPlaced` from the orders feed, and
`CustomerJoined`, `InvitationAccepted`, `TierUpgraded` from the outside events it stored) applied to the
merchant's rules, each matching rule's coupons issued through the issuer under a key derived from the
rule and what triggered it.

Once per event: a redelivered event finds its mark (`RULEDONE#{eventId}`, put after every issue of it was
made) and issues nothing; two deliveries at once both issue, under the same keys, so the issuer finds its
own claims and issues each coupon once. Events that no rule matches and that record nothing read the
merchant's rules only (one query) and write nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from coupon_service.clock import SYSTEM, Clock
from coupon_service.customers import CustomerDirectory
from coupon_service.errors import Invalid
from coupon_service.issuance.matching import AppliedEvent, Issue, candidates, issues, needs_lines
from coupon_service.issuing import Issuer
from coupon_service.models.customer_events import (
    CustomerJoinedEvent,
    InvitationAcceptedEvent,
    TierUpgradedEvent,
)
from coupon_service.models.issuing import IssueReason
from coupon_service.models.order_events import OrderPlaced
from coupon_service.rule_items import IssuanceRuleItem, RulePackItem
from coupon_service.senders import invalid_detail
from coupon_service.settings import settings
from coupon_service.store.issuance import RuleBook
from coupon_service.store.order_feed import OrderBook
from coupon_service.store.rule_marks import RuleMarks
from coupon_service.store.table import Table
from coupon_service.validity import to_iso

APPLIED: dict[str, type[AppliedEvent]] = {
    "OrderPlaced": OrderPlaced,
    "CustomerJoined": CustomerJoinedEvent,
    "InvitationAccepted": InvitationAcceptedEvent,
    "TierUpgraded": TierUpgradedEvent,
}


RULES_TTL = 5.0  # seconds a merchant's rules are kept per execution environment (an edit applies after it)


class _Rules:
    """Per execution environment: each merchant's rules (by table), for a few seconds, so a busy merchant's
    orders read them once per few seconds, not once per order."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.kept: dict[tuple[str, str], tuple[float, list[IssuanceRuleItem]]] = {}

    def of(self, book: RuleBook, merchant_id: str) -> list[IssuanceRuleItem]:
        now, key = time.monotonic(), (book.table.name, merchant_id)
        with self.lock:
            found = self.kept.get(key)
        if found and found[0] > now:
            return found[1]
        rules = book.rules_of(merchant_id)
        with self.lock:
            self.kept[key] = (now + RULES_TTL, rules)
        return rules

    def clear(self) -> None:
        with self.lock:
            self.kept.clear()


cache = _Rules()


@dataclass
class Applied:
    """What one event did: each issue's outcome by status, or that it was applied before."""

    outcomes: dict[str, int] = field(default_factory=dict)
    duplicate: bool = False

    def count(self, status: str) -> None:
        self.outcomes[status] = self.outcomes.get(status, 0) + 1


def parse(detail_type: str, detail: dict[str, Any]) -> AppliedEvent:
    model = APPLIED.get(detail_type)
    if model is None:
        raise Invalid("not an event the rules apply", code="unknown_detail_type", field="detail-type")
    try:
        return model.model_validate(detail)
    except ValidationError as error:
        raise invalid_detail(error) from None


class RuleWorker:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.book = RuleBook(table)
        self.marks = RuleMarks(table)
        self.orders = OrderBook(table)
        self.issuer = Issuer(table, clock=clock)
        self.directory = CustomerDirectory(table, clock=clock)
        self.clock = clock

    def apply(self, source: str, detail_type: str, detail: dict[str, Any]) -> Applied:
        (outcome,) = self.apply_all([(source, detail_type, detail)])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def apply_all(self, batch: Sequence[tuple[str, str, dict[str, Any]]]) -> list[Applied | Exception]:
        """A queue's batch: the marks of the events that issue or record read at once, and written at once
        for those applied; an event that fails is its own outcome (the queue delivers it again), the others
        are applied."""
        outcomes: list[Applied | Exception] = []
        work: list[tuple[int, AppliedEvent, list[IssuanceRuleItem], list[Issue]]] = []
        for index, (source, detail_type, detail) in enumerate(batch):
            try:
                found = self._work(source, detail_type, detail)
            except Exception as error:
                outcomes.append(error)
                continue
            outcomes.append(Applied())
            if found is not None:
                work.append((index, *found))
        done = self.marks.applied_of([event.event_id for _, event, _, _ in work]) if work else set()
        marks: list[tuple[str, int]] = []
        for index, event, rules, todo in work:
            if event.event_id in done:
                outcomes[index] = Applied(duplicate=True)
                continue
            try:
                outcomes[index] = applied = self._apply(event, rules, todo)
            except Exception as error:
                outcomes[index] = error
                continue
            marks.append((event.event_id, applied.outcomes.get("issued", 0)))
        if marks:
            self.marks.mark_applied(marks, to_iso(self.clock.now()))
        return outcomes

    def _work(
        self, source: str, detail_type: str, detail: dict[str, Any]
    ) -> tuple[AppliedEvent, list[IssuanceRuleItem], list[Issue]] | None:
        """What the event issues (and its rules), or None when it neither issues nor records anything."""
        if source != settings().event_source:
            raise Invalid("not one of the service's own events", code="wrong_source", field="source")
        event = parse(detail_type, detail)
        rules = candidates(cache.of(self.book, event.merchant_id), event)
        recorded = isinstance(event, CustomerJoinedEvent | TierUpgradedEvent)
        if not rules and not recorded:
            return None
        lines: Sequence[dict[str, Any]] = ()
        if isinstance(event, OrderPlaced) and needs_lines(rules):
            lines = self.orders.order_of(event.merchant_id, event.order_id).lines
        todo = issues(rules, event, lines)
        return (event, rules, todo) if todo or recorded else None

    def _apply(self, event: AppliedEvent, rules: list[IssuanceRuleItem], todo: list[Issue]) -> Applied:
        self._record(event)
        applied = Applied()
        claims = [self.issue(one, applied) for one in todo]
        if isinstance(event, CustomerJoinedEvent):
            for rule in rules:
                mine = [c for one, c in claims if one.rule_id == rule.rule_id and c]
                self.keep_pack(rule, event.customer_id, 0, mine)
        return applied

    def _record(self, event: AppliedEvent) -> None:
        """What the event tells of the customer, into the merchant's directory (only the fields it gives)."""
        if isinstance(event, CustomerJoinedEvent):
            self.directory.record(
                event.merchant_id,
                event.customer_id,
                tags=set(event.tags) if event.tags else None,
                birthday=event.birthday,
                joined_at=event.joined_at,
            )
        elif isinstance(event, TierUpgradedEvent):
            self.directory.record(event.merchant_id, event.customer_id, tier=event.tier)

    def issue(self, one: Issue, applied: Applied) -> tuple[Issue, str | None]:
        """One coupon issued (or found issued under its key): the claim id, or None when it was not."""
        reason = IssueReason(kind="rule", source_id=one.rule_id, detail=one.detail)
        outcome = self.issuer.issue(one.coupon_id, one.customer_id, key=one.key, reason=reason)
        applied.count(outcome.status)
        return one, outcome.claim_id if outcome.status in ("issued", "already") else None

    def keep_pack(
        self, rule: IssuanceRuleItem, customer_id: str, generation: int, claim_ids: list[str]
    ) -> None:
        """A customer_joined rule that issues again keeps what it issued (nothing when nothing was)."""
        if not rule.trigger.get("reissue_when_expired_unused") or not claim_ids:
            return
        held = self.marks.claims(claim_ids)
        if not held:
            return
        watched = generation < int(rule.trigger.get("max_reissues", 1))
        pack = RulePackItem(
            rule_id=rule.rule_id,
            merchant_id=rule.merchant_id,
            customer_id=customer_id,
            generation=generation,
            claim_ids=sorted(c.claim_id for c in held),
            expires_after=max(c.valid_until for c in held),
            issued_at=to_iso(self.clock.now()),
            settled=None if watched else "last",
        )
        self.marks.keep_pack(pack, watched=watched)
