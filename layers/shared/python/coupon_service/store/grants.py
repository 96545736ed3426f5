"""Grants and their chunks: every request a grant makes of the table (coupon_service.grants).

A grant is put with its listed customers in one transaction (its id derived from the merchant's
Idempotency-Key, so a retry finds it). One run at a time moves it: a run takes the grant's lease (`runner`,
`lease_until`) with a conditional update, and each checkpoint and the end are conditioned on still holding
it, so a redelivered message or a run past its lease never counts over the run that holds it. A chunk's
counts, its customers not reached and the checkpoint past it are one transaction: counted once.
"""

from __future__ import annotations

from typing import Any

from coupon_service import keys
from coupon_service.grant_items import GrantItem
from coupon_service.store import leases
from coupon_service.store.table import Cancelled, Table, to_item, values

_NAMES = {"#s": "status", "#r": "runner", "#l": "lease_until"}


class GrantStore:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    # --- reads -----------------------------------------------------------------------------------

    def grant(self, grant_id: str) -> GrantItem | None:
        item = self.table.get(keys.grant(grant_id))
        return GrantItem.model_validate(item) if item else None

    def page(self, coupon_id: str, limit: int, token: str | None) -> tuple[list[GrantItem], str | None]:
        """One page of a coupon's grants, newest first, with the token of the next."""
        partition = keys.coupon_grants(coupon_id)
        listing = f"grants:{coupon_id}"
        items, next_token = self.table.listing_page(
            partition, listing=listing, limit=limit, token=token, forward=False
        )
        return [GrantItem.model_validate(i) for i in items], next_token

    def ids(self, grant_id: str, chunk: int) -> list[str]:
        item = self.table.get(keys.grant_ids(grant_id, chunk))
        return [str(i) for i in (item or {}).get("ids") or []]

    def not_reached(self, grant_id: str, limit: int) -> list[dict[str, Any]]:
        """The first `limit` customers the grant did not reach, chunk by chunk, with why."""
        found: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        while len(found) < limit:
            items, start = self.table.query(
                key_condition="PK = :p AND begins_with(SK, :m)",
                limit=10,
                start_key=start,
                ExpressionAttributeValues=values(
                    p=keys.grant_partition(grant_id), m=keys.grant_missed_prefix()
                ),
            )
            found += [dict(m) for item in items for m in item.get("missed") or []]
            if not start:
                break
        return found[:limit]

    # --- writes ----------------------------------------------------------------------------------

    def create(self, grant: GrantItem, chunks: list[list[str]]) -> tuple[GrantItem, bool]:
        """Put the grant and its listed customers unless its id exists: (the grant as stored, whether this
        call created it). A retry after a lost answer repeats the transaction's token: it applies once."""
        record = {
            **keys.grant(grant.grant_id),
            **keys.grant_listing(grant.coupon_id, grant.created_at, grant.grant_id),
            **grant.model_dump(exclude_none=True),
        }
        operations: list[dict[str, Any]] = [
            {"Put": {"Item": to_item(record), "ConditionExpression": "attribute_not_exists(PK)"}}
        ]
        operations += [
            {"Put": {"Item": to_item(_chunk(grant.grant_id, n, ids))}} for n, ids in enumerate(chunks)
        ]
        try:
            self.table.transact(operations)
        except Cancelled:
            existing = self.grant(grant.grant_id)
            if existing is None:
                raise
            return existing, False
        return grant, True

    def uploaded(self, grant_id: str, version: str) -> GrantItem | None:
        """A grant awaiting its file, queued with the file's version; None if it awaits none (any more)."""
        try:
            item = self.table.update(
                keys.grant(grant_id),
                UpdateExpression="SET #s = :queued, upload_version = :v",
                ConditionExpression="#s = :awaiting",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values(queued="queued", v=version, awaiting="awaiting_upload"),
                ReturnValues="ALL_NEW",
                mine=lambda old: old is not None and old.get("upload_version") == version,
            )
        except Cancelled:
            return None
        return GrantItem.model_validate(item) if item else None

    def take(self, grant_id: str, runner: str, now: str, until: str) -> GrantItem | None:
        """The grant, leased to `runner` until `until`; None if it ended or another run's lease holds it."""
        try:
            item = self.table.update(
                keys.grant(grant_id),
                UpdateExpression="SET #s = :running, #r = :me, #l = :until, runs = runs + :one",
                ConditionExpression="#s IN (:queued, :running) AND "
                "(attribute_not_exists(#r) OR #l < :now OR #r = :me)",
                ExpressionAttributeNames=_NAMES,
                ExpressionAttributeValues=values(
                    running="running", queued="queued", me=runner, until=until, now=now, one=1
                ),
                ReturnValues="ALL_NEW",
                mine=lambda old: old is not None and old.get("runner") == runner,
            )
        except Cancelled:
            return None
        return GrantItem.model_validate(item) if item else None

    def resolve(self, grant: GrantItem, runner: str, chunks: list[list[str]]) -> bool:
        """Write the customers a tag, segment or file named, then record them on the grant, while `runner`
        holds it (a run that dies between writes them again: chunks past the recorded count are unread)."""
        self.table.batch_write(_chunk(grant.grant_id, n, ids) for n, ids in enumerate(chunks))
        try:
            self.table.update(
                keys.grant(grant.grant_id),
                UpdateExpression="SET resolved = :yes, requested = :n, chunks = :c, duplicates = :d, "
                "malformed = :m",
                ConditionExpression="#r = :me AND #s = :running",
                ExpressionAttributeNames={"#r": "runner", "#s": "status"},
                ExpressionAttributeValues=values(
                    yes=True,
                    n=grant.requested,
                    c=len(chunks),
                    d=grant.duplicates,
                    m=grant.malformed,
                    me=runner,
                    running="running",
                ),
            )
        except Cancelled:
            return False
        return True

    def checkpoint(
        self,
        grant_id: str,
        runner: str,
        chunk: int,
        *,
        granted: int,
        skipped: dict[str, int],
        missed: list[dict[str, str]],
        until: str,
    ) -> bool:
        """Count chunk `chunk` and move past it, with its customers not reached, while `runner` holds the
        grant and the chunk is the next; False if not (another run counted it, or took the grant)."""
        names = {"#r": "runner", "#l": "lease_until", "#s": "status"}
        counted = ""
        named: dict[str, Any] = {}
        for n, (reason, count) in enumerate(sorted(skipped.items())):
            names[f"#k{n}"] = reason
            named.update({f"k{n}": count})
            counted += f", skipped.#k{n} = if_not_exists(skipped.#k{n}, :zero) + :k{n}"
        update = {
            "Key": to_item(keys.grant(grant_id)),
            "UpdateExpression": "SET next_chunk = :after, granted = granted + :g, #l = :until" + counted,
            "ConditionExpression": "#r = :me AND #s = :running AND next_chunk = :chunk",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values(
                after=chunk + 1,
                g=granted,
                until=until,
                zero=0,
                me=runner,
                running="running",
                chunk=chunk,
                **named,
            ),
        }
        operations: list[dict[str, Any]] = [{"Update": update}]
        if missed:
            item = {**keys.grant_missed(grant_id, chunk), "type": "grant_missed", "missed": missed}
            operations.append({"Put": {"Item": to_item(item)}})
        try:
            self.table.transact(operations)
        except Cancelled:
            return False
        return True

    def finish(self, grant_id: str, runner: str, now: str) -> bool:
        """Done, if `runner` still holds it (or this very end was applied before its answer was lost)."""
        try:
            self.table.update(
                keys.grant(grant_id),
                UpdateExpression="SET #s = :done, finished_at = :now REMOVE #r, #l",
                ConditionExpression="#r = :me AND #s = :running",
                ExpressionAttributeNames=_NAMES,
                ExpressionAttributeValues=values(done="done", now=now, me=runner, running="running"),
                mine=lambda old: (
                    old is not None and old.get("status") == "done" and old.get("finished_at") == now
                ),
            )
        except Cancelled:
            return False
        return True

    def fail(self, grant_id: str, reason: str, now: str) -> None:
        """End a grant that cannot run (a file that is no file of ids); one that ended stays as it ended."""
        leases.fail(self.table, keys.grant(grant_id), "status", reason, now)

    def release(self, grant_id: str, runner: str) -> None:
        """Give the lease up (the grant goes on with the next message), if this run still holds it."""
        leases.release(self.table, keys.grant(grant_id), runner)


def _chunk(grant_id: str, chunk: int, ids: list[str]) -> dict[str, Any]:
    return {**keys.grant_ids(grant_id, chunk), "type": "grant_ids", "ids": ids}
