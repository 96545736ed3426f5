"""The coupon aggregate in the table: a coupon with its shards, logo and audience; a merchant's listing;
edits conditioned on the version read; deletion. Each refusal becomes the domain error the API answers."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from coupon_service import keys
from coupon_service.errors import Conflict, NotFound, VersionConflict
from coupon_service.items import CouponItem, ShardItem
from coupon_service.planning import CouponEdit, ShardChange
from coupon_service.store.budget import new_shard
from coupon_service.store.history import change_put
from coupon_service.store.offers import listing_writes
from coupon_service.store.table import (
    Cancelled,
    Table,
    shard_keys,
    to_item,
    values,
)

LISTING = "coupons"  # what page tokens of a merchant's coupons are signed for


@dataclass(frozen=True)
class CouponsPage:
    coupons: list[CouponItem]  # newest first
    shards: dict[str, list[ShardItem]]  # by coupon id
    next_token: str | None


class CouponStore:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    # --- reads -----------------------------------------------------------------------------------

    def coupon(self, coupon_id: str, *, consistent: bool = True) -> CouponItem | None:
        found = self.table.get(keys.coupon(coupon_id), consistent=consistent)
        return CouponItem.model_validate(found) if found else None

    def coupon_of(self, owner: str, coupon_id: str, *, deleted: bool = False) -> CouponItem:
        """The coupon if `owner` holds it and it is not deleted (`deleted`: also a deleted one, for reading
        the records of a coupon customers may still hold)."""
        return owned(self.coupon(coupon_id), owner, deleted=deleted)

    def shards_of(self, coupon: CouponItem) -> list[ShardItem]:
        found = self.table.batch_get(shard_keys(coupon.coupon_id, coupon.shard_count))
        return sorted((ShardItem.model_validate(s) for s in found), key=lambda s: s.shard)

    def coupons_page(self, owner: str, limit: int, token: str | None) -> CouponsPage:
        """A merchant's coupons, newest first (deleted ones left the listing), with their shards."""
        partition = keys.merchant_coupons(owner)
        items, next_token = self.table.listing_page(
            partition, listing=LISTING, limit=limit, token=token, forward=False
        )
        coupons = [CouponItem.model_validate(c) for c in items]
        found = self.table.batch_get([k for c in coupons for k in shard_keys(c.coupon_id, c.shard_count)])
        shards: dict[str, list[ShardItem]] = {}
        for shard in sorted((ShardItem.model_validate(s) for s in found), key=lambda s: s.shard):
            shards.setdefault(shard.coupon_id, []).append(shard)
        return CouponsPage(coupons=coupons, shards=shards, next_token=next_token)

    # --- writes ----------------------------------------------------------------------------------

    def create_coupon(
        self,
        coupon: CouponItem,
        shards: list[ShardItem],
        *,
        logo: bytes | None,
        audience: Iterable[str],
        budget: Sequence[int] = (),
    ) -> None:
        """The logo and the audience first, then the coupon, its shards and its budget's shards (`budget`:
        the amount of each) at once: what a coupon points at exists before it does, so a retry is
        harmless."""
        if logo is not None:
            self.table.put({**keys.coupon_logo(coupon.coupon_id), "type": "logo", "png": logo})
        self.table.batch_write(
            {**keys.audience_member(coupon.coupon_id, c), "type": "audience"} for c in dict.fromkeys(audience)
        )
        listing = keys.coupon_listing(
            coupon.merchant_id, coupon.created_at, time.time_ns() % 10**9, coupon.coupon_id
        )
        record = {**keys.coupon(coupon.coupon_id), "type": "coupon", **coupon.model_dump(), **listing}
        self.table.transact(
            [_put_new(record)]
            + [_put_new(_shard_record(s)) for s in shards]
            + [_put_new(new_shard(coupon.coupon_id, i, amount)) for i, amount in enumerate(budget)]
            + listing_writes(coupon, was_listed=False)
        )

    def edit_coupon(self, coupon_id: str, edit: CouponEdit) -> None:
        """The coupon's changes, if it is still at `edit.version`, and each shard's, at once."""
        changes = {**edit.changes}
        names = {f"#a{i}": name for i, name in enumerate(changes)}
        names.update({f"#r{i}": name for i, name in enumerate(edit.removed)})
        removal = " REMOVE " + ", ".join(f"#r{i}" for i in range(len(edit.removed))) if edit.removed else ""
        operations: list[dict[str, Any]] = [
            {
                "Update": {
                    "Key": to_item(keys.coupon(coupon_id)),
                    "UpdateExpression": "SET "
                    + ", ".join(f"#a{i} = :a{i}" for i in range(len(changes)))
                    + ", version = version + :one"
                    + removal,
                    "ConditionExpression": "version = :v AND #status <> :deleted",
                    "ExpressionAttributeNames": {**names, "#status": "status"},
                    "ExpressionAttributeValues": values(
                        one=1,
                        v=edit.version,
                        deleted="deleted",
                        **{f"a{i}": v for i, v in enumerate(changes.values())},
                    ),
                }
            }
        ]
        operations += [
            _shard_update(keys.shard(coupon_id, change.shard), edit.shard_changes, change)
            for change in edit.inventory.changes
            if change.delta or edit.shard_changes
        ]
        operations += [_put_new(_shard_record(s)) for s in edit.new_shards]
        if edit.after is not None:  # the coupon center shows the coupon as the edit leaves it
            operations += listing_writes(edit.after)
        if edit.record is not None:
            operations.append(change_put(edit.record))
        try:
            self.table.transact(operations)
        except Cancelled as cancelled:
            failed = cancelled.failed()
            # The coupon's own condition, or its history already holding the version: it moved on.
            if 0 in failed or (edit.record is not None and len(operations) - 1 in failed):
                raise VersionConflict() from cancelled
            raise Conflict(
                "claims changed the inventory while you edited it; try again",
                code="inventory_changed",
                field="inventory",
            ) from cancelled

    def add_audience(self, coupon_id: str, customer_ids: Iterable[str]) -> None:
        """Customers added to a coupon's list (puts of their own: a repeat changes nothing)."""
        self.table.batch_write(
            {**keys.audience_member(coupon_id, c), "type": "audience"} for c in dict.fromkeys(customer_ids)
        )

    def delete_coupon(self, owner: str, coupon: CouponItem, now: str) -> None:
        """Hidden and unclaimable: the coupon leaves its merchant's listing and every shard stops claims."""
        coupon_id = coupon.coupon_id
        try:
            self.table.transact(
                [
                    {
                        "Update": {
                            "Key": to_item(keys.coupon(coupon_id)),
                            # Removing the listing keys hides it from GET /coupons without a filter.
                            "UpdateExpression": "SET #s = :deleted, updated_at = :now, "
                            "version = version + :one REMOVE GSI1PK, GSI1SK",
                            "ConditionExpression": "merchant_id = :owner AND #s <> :deleted",
                            "ExpressionAttributeNames": {"#s": "status"},
                            "ExpressionAttributeValues": values(
                                deleted="deleted", now=now, one=1, owner=owner
                            ),
                        }
                    }
                ]
                + [_shard_update(k, {"status": "deleted"}) for k in shard_keys(coupon_id, coupon.shard_count)]
                + listing_writes(coupon.model_copy(update={"status": "deleted"}))
            )
        except Cancelled as cancelled:
            raise NotFound("no such coupon", field="couponId") from cancelled


def owned(coupon: CouponItem | None, owner: str, *, deleted: bool = False) -> CouponItem:
    """The coupon read, if `owner` holds it and it is not deleted (`deleted`: also a deleted one)."""
    # Another merchant's coupon and a missing one look the same: never confirm what exists elsewhere.
    if coupon is None or coupon.merchant_id != owner or (coupon.status == "deleted" and not deleted):
        raise NotFound("no such coupon", field="couponId")
    return coupon


def _shard_record(shard: ShardItem) -> dict[str, Any]:
    return {**keys.shard(shard.coupon_id, shard.shard), "type": "shard", **shard.model_dump()}


def _put_new(record: dict[str, Any]) -> dict[str, Any]:
    return {"Put": {"Item": to_item(record), "ConditionExpression": "attribute_not_exists(PK)"}}


def _shard_update(
    key: dict[str, str], changes: dict[str, Any], change: ShardChange | None = None
) -> dict[str, Any]:
    """An existing shard copies `changes` and takes its share of an inventory change: units taken away
    only while unclaimed, and a generated pool's counter not past the pool's new end."""
    parts = [f"#s{i} = :s{i}" for i in range(len(changes))]
    names = {f"#s{i}": name for i, name in enumerate(changes)}
    vals = {f"s{i}": v for i, v in enumerate(changes.values())}
    condition = "attribute_exists(PK)"
    adds: list[str] = []
    if change is not None and change.delta:
        adds = ["remaining :d", "units :d"] + (["pool_size :d"] if change.pool_size is not None else [])
        vals["d"] = change.delta
        if change.delta < 0:
            condition += " AND remaining >= :need"
            vals["need"] = -change.delta
            if change.pool_size is not None:
                # The counter must not have passed the new end of the pool (no arithmetic in conditions).
                condition += " AND next_position <= :limit"
                vals["limit"] = change.pool_size
    expression = ("SET " + ", ".join(parts) if parts else "") + (" ADD " + ", ".join(adds) if adds else "")
    update: dict[str, Any] = {
        "Key": to_item(key),
        "UpdateExpression": expression.strip(),
        "ConditionExpression": condition,
        "ExpressionAttributeValues": values(**vals),
    }
    if names:
        update["ExpressionAttributeNames"] = names
    return {"Update": update}
