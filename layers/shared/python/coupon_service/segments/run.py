"""A segment's evaluation, the worker's job: take the segment's lease for the generation asked, read the
orders feed (GSI2, from the widest window on) and the directory as the conditions need, apply them
(`conditions`), write the new membership beside the one readers see, and switch `generation` last.

Members are items with the span of generations they belong to (`from_gen`, `to_gen`): a customer who stays
a member is not written again; one who joins is put with `from_gen` = the new generation (invisible to
readers of the current one); one who leaves gets `to_gen` = the current generation (still visible to its
readers). Items of neither (a run that died half-way, members who left before) are deleted. Only then is
`generation` switched, on condition that this run still holds the lease."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Literal

from pydantic import TypeAdapter

from coupon_service.clock import SYSTEM, Clock
from coupon_service.models.segments import Condition
from coupon_service.segment_items import SegmentItem
from coupon_service.segments import conditions as rules
from coupon_service.store.customers import CustomerBook
from coupon_service.store.order_feed import OrderBook
from coupon_service.store.segments import SegmentBook, Span
from coupon_service.store.table import Table
from coupon_service.validity import to_iso

LEASE = timedelta(minutes=15)  # the worker's time limit: a run that died gives the segment back after it
Outcome = Literal["evaluated", "done", "superseded", "elsewhere", "gone", "lost"]
_CONDITIONS = TypeAdapter(list[Condition])


class Evaluation:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.book = SegmentBook(table)
        self.orders = OrderBook(self.book.table)
        self.directory = CustomerBook(self.book.table)
        self.clock = clock

    def run(self, segment_id: str, generation: int) -> Outcome:
        runner = uuid.uuid4().hex
        now = self.clock.now()
        segment = self.book.lease(segment_id, generation, runner, to_iso(now), to_iso(now + LEASE))
        if segment is None:
            return self._why_not(segment_id, generation)
        try:
            members = self.members(segment, now)
            self._write(segment, generation, members)
            done = self.book.switch(segment, generation, runner, len(members), to_iso(self.clock.now()))
        except BaseException:
            self.book.release(segment_id, runner)  # the message delivered again runs at once
            raise
        return "evaluated" if done else "lost"

    def _why_not(self, segment_id: str, generation: int) -> Outcome:
        current = self.book.segment(segment_id)
        if current is None:
            return "gone"
        if current.generation >= generation:
            return "done"
        return "superseded" if current.requested > generation else "elsewhere"

    def members(self, segment: SegmentItem, now: datetime) -> list[str]:
        """The customers the segment's conditions keep now (`now`: the evaluation's moment)."""
        conditions = _CONDITIONS.validate_python(segment.conditions)
        merchant_id = segment.merchant_id
        orders: dict[str, list[rules.OrderFact]] = defaultdict(list)
        if rules.reads_orders(conditions):
            for order in self.orders.placed_since(merchant_id, rules.earliest(conditions, now)):
                orders[order.customer_id].append(rules.OrderFact.of(order))
        directory: dict[str, str | None] = {}
        if rules.reads_directory(conditions):
            directory = {c.customer_id: c.joined_at for c in self.directory.everyone(merchant_id)}
        tagged = {
            tag: set(self.directory.with_tag(merchant_id, tag))
            for tag in {c.tag for c in conditions if c.type == "has_tag"}
        }
        return rules.members(conditions, rules.Inputs(orders, directory, tagged), now)

    def _write(self, segment: SegmentItem, generation: int, members: list[str]) -> None:
        current = segment.generation
        stored = self.book.membership(segment.segment_id)
        wanted = set(members)
        changed: dict[str, Span] = {}
        stale: list[str] = []
        for customer_id, span in stored.items():
            if span.holds(current):
                if customer_id in wanted and span.until is not None:
                    changed[customer_id] = Span(span.since)  # a run that died had marked it leaving
                elif customer_id not in wanted and span.until != current:
                    changed[customer_id] = Span(span.since, current)  # leaves after `current`
            elif customer_id not in wanted:
                stale.append(customer_id)
        for customer_id in members:
            if not stored.get(customer_id, Span(0, 0)).holds(current):
                changed[customer_id] = Span(generation)  # joins
        self.book.put_members(segment.segment_id, changed)
        self.book.drop_members(segment.segment_id, stale)

    def purge(self, segment_id: str) -> int:
        """Remove a deleted segment's members (nothing if the segment exists: it was not deleted)."""
        if self.book.segment(segment_id) is not None:
            return 0
        stored = self.book.membership(segment_id)
        self.book.drop_members(segment_id, stored)
        return len(stored)
