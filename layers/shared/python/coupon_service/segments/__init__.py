"""A merchant's segments: saved definitions of a group of customers (`models.segments`), evaluated by a job
into a membership (`segments.run`) that coupons' audiences, grants and the merchant read."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from coupon_service.aws import client
from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import Invalid
from coupon_service.models.segments import (
    EvaluationQueued,
    MemberPage,
    SegmentCreate,
    SegmentDeleted,
    SegmentOut,
    SegmentPage,
    SegmentPatch,
    message,
)
from coupon_service.segment_items import SegmentItem
from coupon_service.settings import settings
from coupon_service.store.segments import SegmentBook
from coupon_service.store.table import Table
from coupon_service.validity import to_iso


class Segments:
    """Every method works within the merchant's own segments: another merchant's is a 404."""

    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.book = SegmentBook(table)
        self.clock = clock

    # --- definitions -----------------------------------------------------------------------------

    def create(self, merchant_id: str, body: SegmentCreate) -> SegmentOut:
        now = to_iso(self.clock.now())
        item = SegmentItem(
            segment_id=uuid.uuid4().hex,
            merchant_id=merchant_id,
            name=body.name,
            conditions=[c.model_dump(mode="json") for c in body.conditions],
            created_at=now,
            updated_at=now,
        )
        self.book.create(item)
        return SegmentOut.from_item(item)

    def get(self, merchant_id: str, segment_id: str) -> SegmentOut:
        return SegmentOut.from_item(self.book.owned(merchant_id, segment_id))

    def list(self, merchant_id: str, limit: int, token: str | None) -> SegmentPage:
        page = self.book.page(merchant_id, limit, token)
        return SegmentPage(items=[SegmentOut.from_item(s) for s in page.segments], next_token=page.next_token)

    def edit(self, merchant_id: str, segment_id: str, patch: SegmentPatch) -> SegmentOut:
        changes: dict[str, object] = {}
        if patch.name is not None:
            changes["name"] = patch.name
        if patch.conditions is not None:
            changes["conditions"] = [c.model_dump(mode="json") for c in patch.conditions]
        if not changes:
            self.book.owned(merchant_id, segment_id)
            raise Invalid("nothing to change: send name or conditions", field="body")
        changes["updated_at"] = to_iso(self.clock.now())
        return SegmentOut.from_item(self.book.edit(merchant_id, segment_id, patch.version, changes))

    def delete(self, merchant_id: str, segment_id: str) -> SegmentDeleted:
        """The segment goes at once (a coupon naming it admits nobody); its members are removed by the
        worker (a message on the segments queue)."""
        self.book.owned(merchant_id, segment_id)
        self.book.remove(merchant_id, segment_id)
        self._send(message(segment_id, purge=True))
        return SegmentDeleted(segment_id=segment_id)

    # --- evaluations and members -----------------------------------------------------------------

    def evaluate(self, merchant_id: str, segment_id: str) -> EvaluationQueued:
        """Ask for an evaluation: the next generation, run by the worker from the segments queue."""
        item = self.book.request(merchant_id, segment_id, to_iso(self.clock.now()))
        self._send(message(segment_id, item.requested))
        return EvaluationQueued(segment_id=segment_id, generation=item.requested)

    def member_page(self, merchant_id: str, segment_id: str, limit: int, token: str | None) -> MemberPage:
        segment = self.book.owned(merchant_id, segment_id)
        generation, page = self.book.member_page(segment_id, segment.generation, limit, token)
        return MemberPage(
            segment_id=segment_id,
            generation=generation,
            customer_ids=page.customer_ids,
            next_token=page.next_token,
        )

    def members(self, merchant_id: str, segment_id: str) -> Iterator[str]:
        """The segment's last complete membership, by customer id (none before its first evaluation);
        NotFound for an unknown or another merchant's segment."""
        segment = self.book.owned(merchant_id, segment_id)
        if segment.generation == 0:
            return iter(())
        return self.book.members(segment_id, segment.generation)

    def holds(self, merchant_id: str, segment_id: str, customer_id: str) -> bool:
        return self.book.holds(merchant_id, segment_id, customer_id)

    @staticmethod
    def _send(body: str) -> None:
        client("sqs").send_message(QueueUrl=settings().segment_queue_url, MessageBody=body)
