"""Validity edits reach holders: when a merchant lengthens a coupon's validity, every held, unused coupon's
window grows to what the new validity gives it, and never shrinks.

Driven by the `CouponChanged` events of edits that lengthen the validity (`validity.lengthens`; the event
says `extending` and carries the new validity), which a rule on the bus queues for a function of its own
(`HoldersFunction`), so a long extension never holds up the outbox or the table's stream. For each: the
coupon's claim records, shard by shard and page by page, oldest first; each claimed coupon whose new end
(`window_for_claim` of the new validity at its own claim time, in its time zone) is later than its end
gets one conditional write that only lets the window grow, with its wallet entry and its reminder entry
moved in the same write. A checkpoint per change records each shard's last record done, so a consumer
that runs out of time stops cleanly and hands the change on to its queue, and the next run resumes there;
a change delivered again after it finished extends nothing (and the writes' condition would refuse to
extend anything twice anyway).

Claims made just around the edit may have copied the old validity (a claim keeps a coupon's terms for a
few seconds): once the records are done, the run waits until `SETTLE` after the edit and reads the records
claimed since `LATE` before it once more.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import TypeAdapter

from coupon_service.aws import client
from coupon_service.clock import SYSTEM, Clock
from coupon_service.items import ClaimItem
from coupon_service.models.events import CouponChanged
from coupon_service.settings import settings
from coupon_service.store.holders import Extension, HolderStore
from coupon_service.store.table import Table
from coupon_service.validity import (
    AnyValidity,
    Validity,
    from_iso,
    reminder_time,
    to_iso,
    window_for_claim,
)

PAGE = 500  # claimed coupons per page of records (under 1 MB): a checkpoint after each
BATCH = 100  # conditional updates per transaction (its most): one request for many coupons, all or none
ATTEMPTS = 4  # tries of a page's coupons whose batch was refused (each try reads them as refused)
RESERVE = 20.0  # seconds kept back from the invocation's time to save the checkpoint and answer
SETTLE = timedelta(seconds=10)  # claims keep a coupon's terms 5 s (claims.TERMS_TTL), their index lags
LATE = timedelta(seconds=60)  # a claim started before the edit commits within its function's timeout
_validity: TypeAdapter[AnyValidity] = TypeAdapter(Validity)


@dataclass(frozen=True)
class Change:
    """A coupon's validity lengthened by the edit that made `version`, at `edited_at`."""

    coupon_id: str
    version: int
    edited_at: str
    validity: AnyValidity
    shard_count: int


@dataclass
class Progress:
    extended: int = 0
    examined: int = 0
    finished: bool = False


def change_of(edit: dict[str, Any], shard_count: int) -> Change:
    """The lengthening a committed edit made: its record in the coupon's history (what the event names is
    read there, never taken from the event: a forged or stale event extends nothing the edit did not)."""
    return Change(
        coupon_id=str(edit["coupon_id"]),
        version=int(edit["version"]),
        edited_at=str(edit["at"]),
        validity=_validity.validate_python(edit["after"]["validity"]),
        shard_count=shard_count,
    )


def new_end(validity: AnyValidity, claim: ClaimItem) -> str:
    """The end the new validity gives a coupon claimed when this one was (its own claim time + the new
    length for `hours` and `relative_days`; the new end for `fixed`)."""
    _, end = window_for_claim(validity, from_iso(claim.claimed_at), claim.time_zone)
    return to_iso(end)


def extension_of(validity: AnyValidity, claim: ClaimItem, edited_at: str) -> Extension | None:
    """What extending one claimed coupon writes, or None when it is not to grow: used, void, expired when
    the coupon was edited, or ending already at or after what the new validity gives it."""
    if claim.state in ("used", "void") or claim.valid_until <= edited_at:
        return None
    until = new_end(validity, claim)
    if until <= claim.valid_until:
        return None
    extension = Extension(claim.claim_id, claim.owner_id, claim.valid_until, until)
    remind_at = claim.remind_at
    if remind_at and not claim.reminded_at:
        moved = moved_reminder(claim, until)
        extension = Extension(
            extension.claim_id, extension.owner_id, extension.valid_until, until, remind_at, moved
        )
    return extension


def moved_reminder(claim: ClaimItem, until: str) -> str:
    """A claimed coupon's reminder time for its new end: by the reminder it was claimed with (a lead, or a
    time of day before the last day, in its zone); claims from before the rule was kept keep their lead."""
    rule = claim.reminder
    if rule:
        return to_iso(reminder_time(rule, from_iso(until), claim.time_zone))
    lead = from_iso(claim.valid_until) - from_iso(claim.remind_at or claim.valid_until)  # asked only with one
    return to_iso(from_iso(until) - lead)


class Holders:
    def __init__(
        self, table: Table | None = None, *, clock: Clock = SYSTEM, settle: timedelta = SETTLE
    ) -> None:
        self.store = HolderStore(table or Table())
        self.clock = clock
        self.settle = settle

    def extend_change(self, event: CouponChanged, time_left: Callable[[], float]) -> Progress | None:
        """The held coupons one `CouponChanged` event's edit lengthens (None: the edit it names lengthened
        nothing, or the coupon is gone); `finished` False when the time ran out first and the change is to be
        handed on."""
        if event.holders != "extending":
            return None
        edit = self.store.lengthening(event.coupon_id, event.coupon_version)
        shard_count = self.store.shard_count(event.coupon_id) if edit is not None else None
        if edit is None or shard_count is None:
            return None
        return self.extend(change_of(edit, shard_count), time_left)

    @staticmethod
    def hand_on(body: str) -> None:
        """Queue the change again for the next invocation, which resumes it from its checkpoint."""
        client("sqs").send_message(QueueUrl=settings().holders_queue_url, MessageBody=body)

    def extend(self, change: Change, time_left: Callable[[], float]) -> Progress:
        """Extend the held coupons `change` lengthens, from its checkpoint on; `finished` False when the
        time ran out first (the checkpoint says where the next delivery resumes)."""
        checkpoint = self.store.progress(change.coupon_id, change.version, to_iso(self.clock.now()))
        progress = Progress()
        if checkpoint.finished_at:
            progress.finished = True
            return progress
        after = dict(checkpoint.after)
        for shard in range(change.shard_count):
            if not self._shard(change, shard, after.get(f"{shard:02d}"), progress, time_left):
                return progress
        # Claims that copied the old validity around the edit: read again once they have all committed.
        wait = (from_iso(change.edited_at) + self.settle - self.clock.now()).total_seconds()
        if wait > 0:
            if wait > time_left() - RESERVE:
                return progress
            time.sleep(wait)
        late = to_iso(from_iso(change.edited_at) - LATE)
        for shard in range(change.shard_count):
            if not self._shard(change, shard, late, progress, time_left, save=False):
                return progress
        self.store.finish(change.coupon_id, change.version, to_iso(self.clock.now()))
        progress.finished = True
        return progress

    def _shard(
        self,
        change: Change,
        shard: int,
        after: str | None,
        progress: Progress,
        time_left: Callable[[], float],
        *,
        save: bool = True,
    ) -> bool:
        """One shard's records after `after`, page by page, each page's end saved; False if time ran out."""
        while True:
            if time_left() < RESERVE:
                return False
            page, more = self.store.claim_records(change.coupon_id, shard, after, PAGE)
            extended = self._extend_page(change, page)
            progress.extended += extended
            progress.examined += len(page)
            if page:
                after = self.store.record_key(page[-1])
                if save:
                    self.store.save(
                        change.coupon_id,
                        change.version,
                        shard=shard,
                        after=after,
                        extended=extended,
                        examined=len(page),
                    )
            if not more:
                return True

    def _extend_page(self, change: Change, page: list[ClaimItem]) -> int:
        """The page's coupons that are to grow, `BATCH` to a transaction. A batch refused because one of
        its coupons changed meanwhile (redeemed, voided, reminded, given) is tried again with that coupon
        as the refusal returned it, a few times."""
        pending = page
        extended = 0
        for _ in range(ATTEMPTS):
            retry: list[ClaimItem] = []
            found = [(c, extension_of(change.validity, c, change.edited_at)) for c in pending]
            todo = [(c, e) for c, e in found if e is not None]
            for start in range(0, len(todo), BATCH):
                batch = todo[start : start + BATCH]
                refused = self.store.extend([e for _, e in batch], change.edited_at)
                if not refused:
                    extended += len(batch)
                    continue
                for i, (claim, _) in enumerate(batch):
                    if i not in refused:
                        retry.append(claim)  # not applied with the batch: as read
                    elif (now_as := refused[i]) is not None:
                        retry.append(now_as)  # changed meanwhile: as it is now
            if not retry:
                break
            pending = retry
        return extended
