"""Held coupons of a coupon in the table, for extending their windows: the coupon's claim records page by
page (GSI4, by claim time per shard), one claimed coupon's window grown (never shrunk) with its wallet
and reminder index entries, and the checkpoint of one change's progress."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from coupon_service import keys
from coupon_service.extension_items import HolderExtensionItem
from coupon_service.items import ClaimItem
from coupon_service.lifecycle import Condition, remindable_condition
from coupon_service.store.table import Cancelled, Table, to_item, values


@dataclass(frozen=True)
class Extension:
    """One claimed coupon's new window end (and its reminder's new time, if its entry moves)."""

    claim_id: str
    owner_id: str
    valid_until: str  # as read: the window the update replaces
    until: str  # the new end, later than `valid_until`
    remind_at: str | None = None  # the reminder entry's current time, when it moves
    new_remind_at: str | None = None


class HolderStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    # --- reads ------------------------------------------------------------------------------------

    def shard_count(self, coupon_id: str) -> int | None:
        """How many shards the coupon's claim records are spread over now (None: no such coupon)."""
        item = self.table.get(keys.coupon(coupon_id))
        return int(item["shard_count"]) if item else None

    def lengthening(self, coupon_id: str, version: int) -> dict[str, Any] | None:
        """The committed edit that made `version` of the coupon, when it lengthened the validity: its record
        in the coupon's history (`after.validity`, `at`), or None (no such edit, or one that did not)."""
        item = self.table.get(keys.coupon_change(coupon_id, version))
        if not item or item.get("holders") != "extending" or not (item.get("after") or {}).get("validity"):
            return None
        return item

    def claim_records(
        self, coupon_id: str, shard: int, after: str | None, limit: int
    ) -> tuple[list[ClaimItem], bool]:
        """Up to `limit` claimed coupons of one shard of the coupon, claimed after the record sort key
        `after` (None: from the first), oldest first; and whether more may follow."""
        condition = "GSI4PK = :p" + (" AND GSI4SK > :after" if after is not None else "")
        named: dict[str, Any] = {"p": keys.claim_records(coupon_id, shard)}
        if after is not None:
            named["after"] = after
        items, last = self.table.query(
            index="GSI4", key_condition=condition, ExpressionAttributeValues=values(**named), limit=limit
        )
        return [ClaimItem.model_validate(i) for i in items], last is not None

    @staticmethod
    def record_key(claim: ClaimItem) -> str:
        """A claimed coupon's place in its shard's records: where a page after it starts."""
        index = keys.claim_record_index(claim.coupon_id, claim.shard, claim.claimed_at, claim.claim_id)
        return index["GSI4SK"]

    # --- the extension of one claimed coupon --------------------------------------------------------

    def extend(self, extensions: Sequence[Extension], edited_at: str) -> dict[int, ClaimItem | None]:
        """Grow each window to its `until`, with its wallet entry (sorted by expiry) and, when it moves, its
        reminder entry: one transaction of conditional updates (at most 100), all or none. Each grows only
        while the coupon is unused, not void, unexpired at the edit, still ending as read and before `until`
        (so a change delivered again grows nothing twice), and, with a reminder to move, still due at the
        time read. Returns {} when written, else the refused updates' places with each coupon as it is
        now (None: gone); the others were not applied either, and the caller tries them again."""
        try:
            self.table.transact([{"Update": _update(e, edited_at)} for e in extensions])
        except Cancelled as cancelled:
            failed = cancelled.failed()
            if not failed:
                raise
            return {i: _claim(cancelled.old(i)) for i in failed}
        return {}

    # --- one change's checkpoint ------------------------------------------------------------------

    def progress(self, coupon_id: str, version: int, started_at: str) -> HolderExtensionItem:
        """The checkpoint of the change that made `version`, made empty the first time it is asked for."""
        key = keys.holder_extension(coupon_id, version)
        # Already made by an earlier delivery of the same change: resume from it.
        with contextlib.suppress(Cancelled):
            self.table.update(
                key,
                UpdateExpression="SET #t = :type, coupon_id = :c, version = :v, started_at = :at, "
                "#after = :none, #e = :zero, #x = :zero",
                ConditionExpression="attribute_not_exists(PK)",
                ExpressionAttributeNames={
                    "#t": "type",
                    "#after": "after",
                    "#e": "extended",
                    "#x": "examined",
                },
                ExpressionAttributeValues=values(
                    type="extension", c=coupon_id, v=version, at=started_at, none={}, zero=0
                ),
            )
        found = self.table.get(key)
        if found is None:  # never: made above, or by the delivery before
            return HolderExtensionItem(coupon_id=coupon_id, version=version, started_at=started_at)
        return HolderExtensionItem.model_validate(found)

    def save(
        self, coupon_id: str, version: int, *, shard: int, after: str, extended: int, examined: int
    ) -> None:
        """A page done: the shard's records up to `after` are extended (the checkpoint only moves on)."""
        # Refused: a later page of this shard was saved already (a retry after a lost answer).
        with contextlib.suppress(Cancelled):
            self.table.update(
                keys.holder_extension(coupon_id, version),
                UpdateExpression="SET #after.#s = :after ADD #e :e, #x :x",
                ConditionExpression="attribute_not_exists(#after.#s) OR #after.#s < :after",
                ExpressionAttributeNames={
                    "#after": "after",
                    "#s": f"{shard:02d}",
                    "#e": "extended",
                    "#x": "examined",
                },
                ExpressionAttributeValues=values(after=after, e=extended, x=examined),
            )

    def finish(self, coupon_id: str, version: int, now: str) -> None:
        self.table.update(
            keys.holder_extension(coupon_id, version),
            UpdateExpression="SET finished_at = if_not_exists(finished_at, :now)",
            ExpressionAttributeValues=values(now=now),
        )


def _claim(item: dict[str, Any] | None) -> ClaimItem | None:
    return ClaimItem.model_validate(item) if item else None


def _update(extension: Extension, edited_at: str) -> dict[str, Any]:
    condition = remindable_condition(edited_at) & Condition(
        "valid_until = :was AND valid_until < :until",
        {},
        {":was": extension.valid_until, ":until": extension.until},
    )
    sets = ["valid_until = :until", "GSI1SK = :wallet", "extended_at = :edited"]
    named: dict[str, Any] = {
        "wallet": keys.wallet_sort(extension.until, extension.claim_id),
        "edited": edited_at,  # the edit's time: what the `CouponExtended` event says it happened at
    }
    if extension.remind_at is not None and extension.new_remind_at is not None:
        condition = condition & Condition(
            "remind_at = :remind_was AND attribute_not_exists(reminded_at)",
            {},
            {":remind_was": extension.remind_at},
        )
        index = keys.reminder_index(extension.new_remind_at, extension.claim_id)
        sets += ["remind_at = :remind", "GSI3PK = :rpk", "GSI3SK = :rsk"]
        named.update(remind=extension.new_remind_at, rpk=index["GSI3PK"], rsk=index["GSI3SK"])
    named.update({key.removeprefix(":"): value for key, value in condition.values.items()})
    update: dict[str, Any] = {
        "Key": to_item(keys.claim(extension.claim_id)),
        "UpdateExpression": "SET " + ", ".join(sets),
        "ConditionExpression": condition.expression,
        "ExpressionAttributeValues": values(**named),
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    if condition.names:
        update["ExpressionAttributeNames"] = dict(condition.names)
    return update
