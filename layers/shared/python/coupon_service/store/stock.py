"""The stock watch in the table: a coupon's inventory summed over its shards, and the watch's marker
(`COUPON#{couponId}` / `STOCK`), written only when a crossing changes what it says, under its version.

Nothing here is on the claim path: the watch reads after claims committed (from the stream), so a claim
pays no request for it."""

from __future__ import annotations

from dataclasses import dataclass

from coupon_service import keys
from coupon_service.guard_items import StockItem
from coupon_service.items import CouponItem, ShardItem
from coupon_service.store.table import Cancelled, Table, shard_keys, values


@dataclass(frozen=True)
class Levels:
    """A coupon, its shards and the stock watch's marker, read together (strongly consistent)."""

    coupon: CouponItem
    shards: list[ShardItem]
    marker: StockItem | None


class StockStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def levels(self, coupon_id: str) -> Levels | None:
        """The coupon with every shard and the marker: two requests (the coupon names its shard count)."""
        found = self.table.get(keys.coupon(coupon_id))
        if found is None:
            return None
        coupon = CouponItem.model_validate(found)
        marker_key = keys.stock_watch(coupon_id)
        items = self.table.batch_get([*shard_keys(coupon_id, coupon.shard_count), marker_key])
        marker = next((i for i in items if i["SK"] == marker_key["SK"]), None)
        shards = [ShardItem.model_validate(i) for i in items if i["SK"] != marker_key["SK"]]
        return Levels(
            coupon=coupon,
            shards=sorted(shards, key=lambda s: s.shard),
            marker=StockItem.model_validate(marker) if marker else None,
        )

    def mark(self, marker: StockItem, *, as_read: int | None) -> bool:
        """Write the marker if it is still the version read (`as_read`; None: none existed). False when
        another watch wrote first (or this write's answer was lost and it is now the one in place): the
        caller reads again and decides on what is there, so a crossing is counted once."""
        fields = set(StockItem.model_fields)  # what was read with it (its keys) is not written back
        attributes = {"type": "stock", **marker.model_dump(include=fields, exclude_none=True)}
        names = {f"#a{i}": name for i, name in enumerate(attributes)}
        named = {f"a{i}": value for i, value in enumerate(attributes.values())}
        condition = "attribute_not_exists(PK)"
        if as_read is not None:
            condition, named["read"] = "#v = :read", as_read
            names["#v"] = "version"
        try:
            self.table.update(
                keys.stock_watch(marker.coupon_id),
                UpdateExpression="SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(attributes))),
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values(**named),
            )
        except Cancelled:
            return False
        return True
