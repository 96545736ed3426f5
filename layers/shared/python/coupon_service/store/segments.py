"""A merchant's segments in the table: the definition (`SEGMENT#{id}`), listed by merchant on GSI1, and its
membership in one partition (`SEGMEMBERS#{id}` / `{customerId}`), each member carrying the generations
(evaluations) it belongs to. Readers take the segment's `generation` and keep the members carrying it, so a
membership being written (the next generation) is invisible until the run's last write switches
`generation`: they see the previous complete membership until then. One run at a time holds the segment's
lease; every write of a run is conditioned on it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from coupon_service import keys
from coupon_service.errors import Conflict, NotFound
from coupon_service.segment_items import SegmentItem
from coupon_service.store.table import Cancelled, Table, decode_token, encode_token, values

LISTING = "segments"
MEMBERS = "segment-members"


def _missing() -> NotFound:
    # Another merchant's segment and a missing one look the same.
    return NotFound("no such segment", field="segmentId")


@dataclass(frozen=True)
class SegmentsPage:
    segments: list[SegmentItem]
    next_token: str | None


# A member of generation G: it joined at or before G and had not left before G.
_IN_GENERATION = "from_gen <= :g AND (attribute_not_exists(to_gen) OR to_gen >= :g)"


@dataclass(frozen=True)
class Span:
    """The generations a member belongs to: from `since` to `until` (None: still a member)."""

    since: int
    until: int | None = None

    def holds(self, generation: int) -> bool:
        return (
            generation >= 1 and self.since <= generation and (self.until is None or self.until >= generation)
        )


@dataclass(frozen=True)
class MembersPage:
    customer_ids: list[str]
    next_token: str | None


class SegmentBook:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    # --- the definitions -------------------------------------------------------------------------

    def segment(self, segment_id: str) -> SegmentItem | None:
        found = self.table.get(keys.segment(segment_id))
        return SegmentItem.model_validate(found) if found else None

    def owned(self, merchant_id: str, segment_id: str, *, field: str = "segmentId") -> SegmentItem:
        found = self.segment(segment_id)
        if found is None or found.merchant_id != merchant_id:
            raise NotFound("no such segment", field=field)
        return found

    def create(self, item: SegmentItem) -> None:
        record = {
            **keys.segment(item.segment_id),
            "type": "segment",
            **item.model_dump(exclude_none=True),
            **keys.segment_listing(item.merchant_id, item.created_at, item.segment_id),
        }
        self.table.put(record, ConditionExpression="attribute_not_exists(PK)")

    def page(self, merchant_id: str, limit: int, token: str | None) -> SegmentsPage:
        partition = keys.merchant_segments(merchant_id)
        items, next_token = self.table.listing_page(partition, listing=LISTING, limit=limit, token=token)
        return SegmentsPage([SegmentItem.model_validate(i) for i in items], next_token)

    def edit(self, merchant_id: str, segment_id: str, version: int, changes: dict[str, Any]) -> SegmentItem:
        names = {f"#a{i}": name for i, name in enumerate(changes)}
        sets = ", ".join(f"#a{i} = :a{i}" for i in range(len(changes)))
        try:
            updated = self.table.update(
                keys.segment(segment_id),
                UpdateExpression=f"SET {sets}, version = :next",
                ConditionExpression="merchant_id = :m AND version = :v",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values(
                    m=merchant_id,
                    v=version,
                    next=version + 1,
                    **{f"a{i}": v for i, v in enumerate(changes.values())},
                ),
                ReturnValues="ALL_NEW",
                mine=lambda old: (
                    old is not None
                    and old.get("version") == version + 1
                    and all(old.get(k) == v for k, v in changes.items())
                ),
            )
        except Cancelled as refused:
            current = refused.old(0)
            if current is None or current.get("merchant_id") != merchant_id:
                raise _missing() from None
            raise Conflict(
                "the segment changed since you read it; read it again",
                code="version_conflict",
                field="version",
                details={"current_version": current.get("version")},
            ) from None
        return SegmentItem.model_validate(updated)

    def remove(self, merchant_id: str, segment_id: str) -> None:
        try:
            self.table.delete(
                keys.segment(segment_id),
                ConditionExpression="merchant_id = :m",
                ExpressionAttributeValues=values(m=merchant_id),
            )
        except Cancelled as refused:
            if not refused.ambiguous:  # a retry after our own delete committed finds nothing: done
                raise _missing() from None

    # --- evaluations -----------------------------------------------------------------------------

    def request(self, merchant_id: str, segment_id: str, now: str) -> SegmentItem:
        """One more evaluation asked for: `requested` is the generation it will make."""
        try:
            updated = self.table.update(
                keys.segment(segment_id),
                UpdateExpression="ADD requested :one SET requested_at = :now",
                ConditionExpression="merchant_id = :m",
                ExpressionAttributeValues=values(one=1, now=now, m=merchant_id),
                ReturnValues="ALL_NEW",
            )
        except Cancelled:
            raise _missing() from None
        return SegmentItem.model_validate(updated)

    def lease(
        self, segment_id: str, generation: int, runner: str, now: str, until: str
    ) -> SegmentItem | None:
        """The segment, leased to `runner` for evaluating `generation`; None when that generation is done
        already, superseded by a later request, the segment is gone, or another run holds the lease."""
        try:
            updated = self.table.update(
                keys.segment(segment_id),
                UpdateExpression="SET runner = :r, lease_until = :until",
                ConditionExpression="attribute_exists(PK) AND generation < :g AND requested = :g AND "
                "(attribute_not_exists(lease_until) OR lease_until < :now OR runner = :r)",
                ExpressionAttributeValues=values(r=runner, until=until, now=now, g=generation),
                ReturnValues="ALL_NEW",
                mine=lambda old: old is not None and old.get("runner") == runner,
            )
        except Cancelled:
            return None
        return SegmentItem.model_validate(updated)

    def switch(self, segment: SegmentItem, generation: int, runner: str, count: int, now: str) -> bool:
        """Make `generation` the membership readers see, if `runner` still holds the lease; the lease ends."""
        try:
            self.table.update(
                keys.segment(segment.segment_id),
                UpdateExpression="SET generation = :g, member_count = :n, evaluated_at = :now, "
                "evaluated_version = :v REMOVE runner, lease_until",
                ConditionExpression="runner = :r AND generation < :g",
                ExpressionAttributeValues=values(g=generation, n=count, now=now, v=segment.version, r=runner),
                mine=lambda old: old is not None and old.get("generation") == generation,
            )
        except Cancelled:
            return False
        return True

    def release(self, segment_id: str, runner: str) -> None:
        """Give the lease up (a run that failed), so the message delivered again runs at once."""
        with suppress(Cancelled):  # refused: not ours any more
            self.table.update(
                keys.segment(segment_id),
                UpdateExpression="REMOVE runner, lease_until",
                ConditionExpression="runner = :r",
                ExpressionAttributeValues=values(r=runner),
            )

    # --- the membership --------------------------------------------------------------------------

    def membership(self, segment_id: str) -> dict[str, Span]:
        """Every member item: customer -> the generations it belongs to."""
        return {
            str(item["SK"]): Span(int(item["from_gen"]), int(item["to_gen"]) if "to_gen" in item else None)
            for item in self.table.query_all(
                key_condition="PK = :p",
                ExpressionAttributeValues=values(p=keys.segment_members(segment_id)),
                ConsistentRead=True,
            )
        }

    def put_members(self, segment_id: str, spans: dict[str, Span]) -> int:
        return self.table.batch_write(
            {
                **keys.segment_member(segment_id, customer_id),
                "type": "segment_member",
                "from_gen": span.since,
                **({"to_gen": span.until} if span.until is not None else {}),
            }
            for customer_id, span in spans.items()
        )

    def drop_members(self, segment_id: str, customer_ids: Iterable[str]) -> int:
        return self.table.batch_delete(keys.segment_member(segment_id, c) for c in customer_ids)

    def member_page(
        self, segment_id: str, generation: int, limit: int, token: str | None
    ) -> tuple[int, MembersPage]:
        """A page of the members of `generation`, or of the generation a token's first page read (a
        listing never mixes two evaluations); returns the generation read."""
        start = decode_token(token, partition=("PK", keys.segment_members(segment_id)), listing=MEMBERS)
        if start is not None:
            generation = int(start.pop("G", {}).get("N", generation))
        items, last = self.table.query(
            key_condition="PK = :p",
            FilterExpression=_IN_GENERATION,
            ExpressionAttributeValues=values(p=keys.segment_members(segment_id), g=generation),
            ProjectionExpression="SK",
            ConsistentRead=True,
            limit=limit,
            start_key=start,
        )
        token_out = encode_token({**last, "G": {"N": str(generation)}} if last else None, listing=MEMBERS)
        return generation, MembersPage([str(i["SK"]) for i in items], token_out)

    def members(self, segment_id: str, generation: int) -> Iterator[str]:
        """Every member of `generation`, by customer id (paged by the table)."""
        for item in self.table.query_all(
            key_condition="PK = :p",
            FilterExpression=_IN_GENERATION,
            ExpressionAttributeValues=values(p=keys.segment_members(segment_id), g=generation),
            ProjectionExpression="SK",
            ConsistentRead=True,
        ):
            yield str(item["SK"])

    def holds(self, merchant_id: str, segment_id: str, customer_id: str) -> bool:
        """Whether the customer is in the segment's last complete membership: the segment and the member
        read in one request, as of one moment."""
        segment, member = self.table.transact_get(
            [keys.segment(segment_id), keys.segment_member(segment_id, customer_id)]
        )
        if segment is None or segment.get("merchant_id") != merchant_id or member is None:
            return False
        span = Span(int(member["from_gen"]), int(member["to_gen"]) if "to_gen" in member else None)
        return span.holds(int(segment.get("generation", 0)))
