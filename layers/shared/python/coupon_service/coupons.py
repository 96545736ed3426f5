"""Merchant coupon management: create, read, list, edit, delete, stats, and what the public may see."""

from __future__ import annotations

import math
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter

from coupon_service import clock, keys, qr
from coupon_service.codes import new_system_codes
from coupon_service.errors import Conflict, Invalid, NotFound
from coupon_service.identity import PLATFORM
from coupon_service.models.common import MAX_GENERATED_CODES
from coupon_service.models.coupons import (
    CouponCreate,
    CouponDeleted,
    CouponOut,
    CouponPage,
    CouponPatch,
    CouponStats,
    Inventory,
    OfferOut,
    OptionsOut,
    Promotion,
)
from coupon_service.self_service import self_service_of, store_code_hashes
from coupon_service.store.table import (
    Cancelled,
    Table,
    decode_token,
    encode_token,
    shard_keys,
    to_item,
    values,
)
from coupon_service.validity import (
    AnyValidity,
    FixedValidity,
    Validity,
    from_iso,
    shortest_window,
    to_iso,
)

MAX_SHARDS = 50
UNITS_PER_SHARD = 500  # a shard serves ~1,000 claims/s on DynamoDB; more shards only for big inventories


_validity = TypeAdapter(Validity)


# --- the rules between fields ---------------------------------------------------------------------


def check_rules(claims_close: datetime, validity: AnyValidity, reminder: dict[str, Any] | None) -> None:
    """What the fields allow together, on creation and on every edit: nobody claims an expired coupon,
    and every claimer can be reminded."""
    if isinstance(validity, FixedValidity) and claims_close > validity.end:
        raise Invalid(
            f"claim_window.end: claims must close by the end of the validity ({to_iso(validity.end)}): "
            "a coupon claimed later would be expired already",
            field="claim_window.end",
            details={"validity_end": to_iso(validity.end)},
        )
    if reminder:
        shortest = shortest_window(validity, claims_close)
        if timedelta(hours=reminder["hours_before_expiry"]) >= shortest:
            hours = int(shortest.total_seconds() // 3600)
            raise Invalid(
                f"options.reminder.hours_before_expiry: must be under {hours} hours, the shortest time "
                "a claimed coupon can be valid, or some claimers would never be reminded",
                field="options.reminder.hours_before_expiry",
                details={"shortest_validity_hours": hours},
            )


# --- shards --------------------------------------------------------------------------------------


def default_shard_count(inventory: int | None) -> int:
    if inventory is None:
        return 4
    return max(1, min(MAX_SHARDS, math.ceil(inventory / UNITS_PER_SHARD)))


def split(total: int, parts: int) -> list[int]:
    """Spread units over shards as evenly as integers allow (the first shards take the remainder)."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _shard_item(coupon: dict[str, Any], index: int, units: int | None, pooled: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        **keys.shard(coupon["coupon_id"], index),
        "type": "shard",
        "coupon_id": coupon["coupon_id"],
        "merchant_id": coupon["merchant_id"],
        "shard": index,
        "status": coupon["status"],
        "claim_start": coupon["claim_window"]["start"],
        "claim_end": coupon["claim_window"]["end"],
        "claimed": 0,
        "limited": units is not None,
    }
    if units is not None:
        item["remaining"] = units
        item["units"] = units
    if pooled:
        # A claim takes position `next_position` (its counter) and reads the code stored at that position.
        item.update(next_position=0, pool_size=units or 0)
    return item


def _pool_items(coupon_id: str, shard_index: int, codes: list[str], start: int = 0) -> list[dict[str, Any]]:
    """Codes at positions start.. of a shard, in chunks of keys.CHUNK (start must be a chunk boundary)."""
    assert start % keys.CHUNK == 0
    return [
        {
            **keys.pool_chunk(coupon_id, shard_index, (start + offset) // keys.CHUNK),
            "type": "pool",
            "codes": codes[offset : offset + keys.CHUNK],
        }
        for offset in range(0, len(codes), keys.CHUNK)
    ]


# --- items <-> API models ------------------------------------------------------------------------


def _window(window: Any) -> dict[str, str]:
    return {"start": to_iso(window.start), "end": to_iso(window.end)}


def coupon_item(coupon_id: str, owner: str, body: CouponCreate, shard_count: int) -> dict[str, Any]:
    now = to_iso(clock.now())
    options = body.options.model_dump(mode="json", exclude={"self_service"})
    item: dict[str, Any] = {
        **keys.coupon(coupon_id),
        "type": "coupon",
        "coupon_id": coupon_id,
        "merchant_id": owner,
        "issuer": "platform" if owner == PLATFORM else "merchant",
        "merchants": body.merchants,
        "version": 1,
        "title": body.title,
        "description": body.description,
        "status": body.status,
        "currency": body.currency,
        "time_zone": body.time_zone,
        "terms": body.terms.model_dump(mode="json", exclude_none=True),
        "codes": body.codes.model_dump(mode="json", exclude_none=True),
        "claim_window": _window(body.claim_window),
        "validity": body.validity.model_dump(mode="json"),
        "scope": body.scope.model_dump(mode="json"),
        "audience_type": body.audience.type,
        "audience_tags": getattr(body.audience, "tags", None),
        "options": options,
        "shard_count": shard_count,
        "has_logo": body.logo_png is not None,
        "created_at": now,
        "updated_at": now,
        "GSI1PK": keys.merchant_coupons(owner),
        # Nanoseconds after the second keep coupons made in the same second in creation order.
        "GSI1SK": f"{now}#{time.time_ns() % 10**9:09d}#{coupon_id}",
    }
    self_service = body.options.self_service
    if self_service and self_service.enabled:
        item["self_service"] = self_service.verification
        if self_service.verification_code is not None:
            item.update(store_code_hashes(self_service.verification_code, self_service.staff_code))
    return item


def inventory_of(coupon: dict[str, Any], shards: list[dict[str, Any]]) -> Inventory:
    claimed = sum(s.get("claimed", 0) for s in shards)
    if shards and all(s.get("limited") for s in shards):
        remaining = sum(s.get("remaining", 0) for s in shards)
        return Inventory(total=remaining + claimed, claimed=claimed, remaining=remaining)
    if coupon["codes"]["mode"] != "random_on_claim":
        return Inventory(total=claimed, claimed=claimed, remaining=0)
    return Inventory(total=None, claimed=claimed, remaining=None)


def coupon_out(coupon: dict[str, Any], shards: list[dict[str, Any]]) -> CouponOut:
    options = coupon["options"]
    return CouponOut.model_validate(
        {
            **{k: v for k, v in coupon.items() if k in CouponOut.model_fields},
            "options": OptionsOut(
                self_service=self_service_of(coupon) is not None,
                self_service_verification=self_service_of(coupon),
                staff_code_required=bool(coupon.get("staff_code_hash")),  # None on a new item without one
                giftable=options.get("giftable", False),
                notify_giver=options.get("notify_giver", False),
                gift_message=options.get("gift_message"),
                reminder=options.get("reminder"),
                per_customer_limit=options.get("per_customer_limit", 1),
                channels=options.get("channels", []),
                staff_confirms_terms=options.get("staff_confirms_terms", False),
            ),
            "inventory": inventory_of(coupon, shards),
        }
    )


# --- reads ---------------------------------------------------------------------------------------


class Coupons:
    """Coupon management over the store; every method checks the coupon belongs to `owner`."""

    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def owned(self, owner: str, coupon_id: str) -> dict[str, Any]:
        coupon = self.table.get(keys.coupon(coupon_id))
        # Another merchant's coupon and a missing one look the same: never confirm what exists elsewhere.
        if not coupon or coupon["merchant_id"] != owner or coupon["status"] == "deleted":
            raise NotFound("no such coupon", field="couponId")
        return coupon

    def shards(self, coupon: dict[str, Any]) -> list[dict[str, Any]]:
        found = self.table.batch_get(shard_keys(coupon["coupon_id"], coupon["shard_count"]))
        return sorted(found, key=lambda s: s["shard"])

    def get(self, owner: str, coupon_id: str) -> CouponOut:
        coupon = self.owned(owner, coupon_id)
        return coupon_out(coupon, self.shards(coupon))

    def list(self, owner: str, limit: int, token: str | None) -> CouponPage:
        partition = keys.merchant_coupons(owner)
        start = decode_token(token, partition=("GSI1PK", partition), listing="coupons")
        items, last = self.table.query(
            index="GSI1",
            key_condition="GSI1PK = :p",
            ExpressionAttributeValues=values(p=partition),
            forward=False,
            limit=limit,
            start_key=start,
        )
        shards = self.table.batch_get(
            [k for c in items for k in shard_keys(c["coupon_id"], c["shard_count"])]
        )
        by_coupon: dict[str, list[dict[str, Any]]] = {}
        for shard in shards:
            by_coupon.setdefault(shard["coupon_id"], []).append(shard)
        return CouponPage(
            items=[coupon_out(c, by_coupon.get(c["coupon_id"], [])) for c in items],
            next_token=encode_token(last, listing="coupons"),
        )

    def stats(self, owner: str, coupon_id: str) -> CouponStats:
        coupon = self.owned(owner, coupon_id)
        shards = self.shards(coupon)
        return CouponStats(coupon_id=coupon_id, inventory=inventory_of(coupon, shards), shards=len(shards))

    def offer(self, coupon_id: str) -> OfferOut:
        coupon = self.table.get(keys.coupon(coupon_id), consistent=False)
        if not coupon or coupon["status"] != "active" or coupon["audience_type"] != "everyone":
            raise NotFound("no such offer", field="couponId")
        inventory = inventory_of(coupon, self.shards(coupon))
        return OfferOut.model_validate(
            {
                **{k: v for k, v in coupon.items() if k in OfferOut.model_fields},
                "giftable": coupon["options"].get("giftable", False),
                "sold_out": inventory.remaining == 0,
            }
        )

    def promotion(self, owner: str, coupon_id: str, base_url: str) -> Promotion:
        self.owned(owner, coupon_id)
        return Promotion(
            coupon_id=coupon_id,
            url=f"{base_url}/offers/{coupon_id}",
            qr_png_url=f"{base_url}/coupons/{coupon_id}/promotion/qr",
            qr_sizes=list(qr.SIZES),
        )

    def promotion_qr(self, owner: str, coupon_id: str, base_url: str, size: str, with_logo: bool) -> bytes:
        url = self.promotion(owner, coupon_id, base_url).url
        logo = self.table.get(keys.coupon_logo(coupon_id), consistent=False) if with_logo else None
        return qr.render_png(url, size, bytes(logo["png"]) if logo else None)

    # --- writes ----------------------------------------------------------------------------------

    def create(self, owner: str, body: CouponCreate) -> CouponOut:
        reminder = body.options.reminder
        check_rules(body.claim_window.end, body.validity, reminder.model_dump() if reminder else None)
        if (owner == PLATFORM) != (body.merchants is not None):
            raise Invalid("merchants: list them for a platform coupon, and only then", field="merchants")
        if body.logo_png is not None:
            try:
                qr.render_png("logo check", "s", body.logo_png)
            except ValueError as error:
                raise Invalid(f"logo_png: {error}", field="logo_png") from error
        coupon_id = uuid.uuid4().hex
        mode = body.codes.mode
        units = getattr(body.codes, "inventory", None) if mode != "imported" else None
        shard_count = body.shard_count or default_shard_count(units)
        if units is not None and shard_count > units:
            shard_count = units
        item = coupon_item(coupon_id, owner, body, shard_count)
        pooled = mode != "random_on_claim"
        plan: list[int | None] = split(units, shard_count) if units is not None else [None] * shard_count
        if mode == "imported":
            plan = [0] * shard_count
        shard_items = [_shard_item(item, i, n, pooled) for i, n in enumerate(plan)]

        # Everything a shard will point at exists before the shard does, so a retry is harmless.
        if mode == "generated":
            codes = new_system_codes(units or 0)
            offset = 0
            pool: list[dict[str, Any]] = []
            for index, n in enumerate(plan):
                pool.extend(_pool_items(coupon_id, index, codes[offset : offset + (n or 0)]))
                offset += n or 0
            self.table.batch_write(pool)
        if body.logo_png is not None:
            self.table.put({**keys.coupon_logo(coupon_id), "type": "logo", "png": body.logo_png})
        if body.audience.type == "customers":
            self.table.batch_write(
                {**keys.audience_member(coupon_id, c), "type": "audience"}
                for c in dict.fromkeys(body.audience.customer_ids)
            )
        self.table.transact(
            [{"Put": {"Item": _item(item), "ConditionExpression": "attribute_not_exists(PK)"}}]
            + [
                {"Put": {"Item": _item(s), "ConditionExpression": "attribute_not_exists(PK)"}}
                for s in shard_items
            ]
        )
        return coupon_out(item, shard_items)

    def delete(self, owner: str, coupon_id: str) -> CouponDeleted:
        coupon = self.owned(owner, coupon_id)
        now = to_iso(clock.now())
        try:
            self.table.transact(
                [
                    {
                        "Update": {
                            "Key": _key(keys.coupon(coupon_id)),
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
                + [_shard_set(k, {"status": "deleted"}) for k in shard_keys(coupon_id, coupon["shard_count"])]
            )
        except Cancelled as cancelled:
            raise NotFound("no such coupon", field="couponId") from cancelled
        return CouponDeleted(coupon_id=coupon_id)

    def edit(self, owner: str, coupon_id: str, patch: CouponPatch) -> CouponOut:
        coupon = self.owned(owner, coupon_id)
        if patch.version != coupon["version"]:
            raise Conflict(
                "the coupon changed since you read it; read it again and reapply your edit",
                code="version_conflict",
                field="version",
                details={"current_version": coupon["version"]},
            )
        if patch.claim_window is not None or patch.validity is not None:
            check_rules(
                patch.claim_window.end if patch.claim_window else from_iso(coupon["claim_window"]["end"]),
                patch.validity or _validity.validate_python(coupon["validity"]),
                coupon["options"].get("reminder"),
            )
        shards = self.shards(coupon)
        changes: dict[str, Any] = {}
        shard_changes: dict[str, Any] = {}
        if patch.title is not None:
            changes["title"] = patch.title
        if patch.description is not None:
            changes["description"] = patch.description
        if patch.status is not None and patch.status != coupon["status"]:
            changes["status"] = shard_changes["status"] = patch.status
        if patch.claim_window is not None:
            window = _window(patch.claim_window)
            changes["claim_window"] = window
            shard_changes.update(claim_start=window["start"], claim_end=window["end"])
        if patch.validity is not None:
            # Applies to claims from now on; coupons already held keep their window (docs/decisions.md).
            changes["validity"] = patch.validity.model_dump(mode="json")
        removed = self._rotated_codes(coupon, patch, changes)

        operations: list[dict[str, Any]] = []
        extra_items: list[dict[str, Any]] = []
        shard_ops = self._inventory_plan(coupon, shards, patch, shard_changes, extra_items)
        if patch.shard_count is not None and patch.shard_count != coupon["shard_count"]:
            changes["shard_count"] = patch.shard_count
        if extra_items:
            self.table.batch_write(extra_items)
        now = to_iso(clock.now())
        changes["updated_at"] = now
        names = {f"#a{i}": name for i, name in enumerate(changes)}
        names.update({f"#r{i}": name for i, name in enumerate(removed)})
        operations.append(
            {
                "Update": {
                    "Key": _key(keys.coupon(coupon_id)),
                    "UpdateExpression": "SET "
                    + ", ".join(f"#a{i} = :a{i}" for i in range(len(changes)))
                    + ", version = version + :one"
                    + (" REMOVE " + ", ".join(f"#r{i}" for i in range(len(removed))) if removed else ""),
                    "ConditionExpression": "version = :v AND #status <> :deleted",
                    "ExpressionAttributeNames": {**names, "#status": "status"},
                    "ExpressionAttributeValues": values(
                        one=1,
                        v=patch.version,
                        deleted="deleted",
                        **{f"a{i}": v for i, v in enumerate(changes.values())},
                    ),
                }
            }
        )
        operations.extend(shard_ops)
        try:
            self.table.transact(operations)
        except Cancelled as cancelled:
            if 0 in cancelled.failed():
                raise Conflict(
                    "the coupon changed since you read it; read it again and reapply your edit",
                    code="version_conflict",
                    field="version",
                ) from cancelled
            raise Conflict(
                "claims changed the inventory while you edited it; try again",
                code="inventory_changed",
                field="inventory",
            ) from cancelled
        return self.get(owner, coupon_id)

    @staticmethod
    def _rotated_codes(coupon: dict[str, Any], patch: CouponPatch, changes: dict[str, Any]) -> list[str]:
        """New store codes into `changes`; the attributes to remove (a staff code no longer asked)."""
        codes = patch.options.self_service if patch.options else None
        if codes is None:
            return []
        if self_service_of(coupon) != "code":
            raise Invalid(
                "options.self_service: only a coupon whose self-service asks the store's code has codes "
                "to change; whether and how customers redeem themselves is fixed when it is created",
                field="options.self_service",
            )
        kept = "staff_code" not in codes.model_fields_set
        hashes = store_code_hashes(codes.verification_code, codes.staff_code)
        changes["verification_hash"] = hashes["verification_hash"]
        if hashes["staff_code_hash"]:
            changes["staff_code_hash"] = hashes["staff_code_hash"]
        return [] if kept or hashes["staff_code_hash"] else ["staff_code_hash"]

    def _inventory_plan(
        self,
        coupon: dict[str, Any],
        shards: list[dict[str, Any]],
        patch: CouponPatch,
        shard_changes: dict[str, Any],
        extra_items: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """One update per shard carrying status/window changes and its share of an inventory change."""
        mode = coupon["codes"]["mode"]
        deltas = [0] * len(shards)
        new_shards: list[dict[str, Any]] = []
        if patch.inventory is not None:
            if coupon["terms"]["kind"] == "cash":
                raise Invalid("inventory: a cash coupon's quantity is fixed once created", field="inventory")
            if mode == "imported":
                raise Invalid(
                    "inventory: an imported coupon's inventory grows by importing codes", field="inventory"
                )
            if not all(s.get("limited") for s in shards):
                raise Invalid("inventory: an unlimited coupon stays unlimited", field="inventory")
            if mode == "generated" and patch.inventory > MAX_GENERATED_CODES:
                raise Invalid(  # the same cap as creation: the new codes are generated in this request
                    f"inventory: a generated coupon has at most {MAX_GENERATED_CODES} codes",
                    field="inventory",
                )
            inventory = inventory_of(coupon, shards)
            if patch.inventory < inventory.claimed:
                raise Conflict(
                    f"inventory: {inventory.claimed} are already claimed",
                    code="below_claimed",
                    field="inventory",
                    details={"claimed": inventory.claimed},
                )
            # A pool can only give up positions its counter has not reached: codes after `next_position`.
            available = [
                s["pool_size"] - s["next_position"] if mode == "generated" else s["remaining"] for s in shards
            ]
            deltas = _spread(patch.inventory - (inventory.total or 0), available)
            if mode == "generated":
                for shard, delta in zip(shards, deltas, strict=True):
                    if delta > 0:
                        extra_items.extend(self._append_codes(coupon["coupon_id"], shard, delta))
        if patch.shard_count is not None and patch.shard_count != coupon["shard_count"]:
            if patch.shard_count < coupon["shard_count"]:
                raise Invalid("shard_count: shards can be added, not removed", field="shard_count")
            if mode != "random_on_claim":
                raise Invalid(
                    "shard_count: a coupon with a code pool keeps the shards it was created with",
                    field="shard_count",
                )
            template = {**coupon, **{k: v for k, v in patch.model_dump().items() if v is not None}}
            template["claim_window"] = {
                "start": shard_changes.get("claim_start", coupon["claim_window"]["start"]),
                "end": shard_changes.get("claim_end", coupon["claim_window"]["end"]),
            }
            template["status"] = shard_changes.get("status", coupon["status"])
            limited = all(s.get("limited") for s in shards)
            count = patch.shard_count - coupon["shard_count"]
            moved = [0] * len(shards)
            if limited:
                # Move remaining units onto the new shards so the load spreads at once.
                remaining = [s["remaining"] + d for s, d in zip(shards, deltas, strict=True)]
                target = sum(remaining) // patch.shard_count
                for i, r in enumerate(remaining):
                    moved[i] = max(0, r - target)
                deltas = [d - m for d, m in zip(deltas, moved, strict=True)]
            units = split(sum(moved), count) if limited else [None] * count
            for j in range(count):
                shard = _shard_item(template, coupon["shard_count"] + j, units[j], False)
                if limited:
                    shard["units"] = units[j]
                new_shards.append(shard)
        ops = []
        for shard, delta in zip(shards, deltas, strict=True):
            if delta == 0 and not shard_changes:
                continue
            ops.append(
                _shard_set(
                    keys.shard(coupon["coupon_id"], shard["shard"]),
                    shard_changes,
                    delta,
                    mode,
                    next_limit=shard.get("pool_size", 0) + delta if mode == "generated" else None,
                )
            )
        ops.extend(
            {"Put": {"Item": _item(s), "ConditionExpression": "attribute_not_exists(PK)"}} for s in new_shards
        )
        return ops

    def _append_codes(self, coupon_id: str, shard: dict[str, Any], count: int) -> list[dict[str, Any]]:
        """Codes for `count` new positions after a shard's last. A code once written at a position never
        changes (claims cache the chunks): codes still written there, left by an earlier reduction and
        never handed out, are kept; only positions without a code get new ones."""
        size = shard["pool_size"]
        start = size - size % keys.CHUNK
        written: list[str] = []
        while len(written) < size - start + count:
            chunk = self.table.get(
                keys.pool_chunk(coupon_id, shard["shard"], (start + len(written)) // keys.CHUNK)
            )
            codes = (chunk or {}).get("codes", [])
            written.extend(codes)
            if len(codes) < keys.CHUNK:
                break
        codes = written[: size - start + count]
        codes += new_system_codes(size - start + count - len(codes))
        return _pool_items(coupon_id, shard["shard"], codes, start)


def _spread(delta: int, remaining: list[int]) -> list[int]:
    """Per-shard share of an inventory change: additions evenly, removals from the fullest shards."""
    if delta >= 0:
        return split(delta, len(remaining))
    take = -delta
    shares = [0] * len(remaining)
    for index in sorted(range(len(remaining)), key=lambda i: -remaining[i]):
        share = min(take, remaining[index])
        shares[index] = -share
        take -= share
    if take:
        raise Conflict("inventory: not enough unclaimed units left", code="below_claimed", field="inventory")
    return shares


_item = _key = to_item


def _shard_set(
    key: dict[str, str],
    changes: dict[str, Any],
    delta: int = 0,
    mode: str = "",
    next_limit: int | None = None,
) -> dict[str, Any]:
    parts = [f"#s{i} = :s{i}" for i in range(len(changes))]
    names = {f"#s{i}": name for i, name in enumerate(changes)}
    vals = {f"s{i}": v for i, v in enumerate(changes.values())}
    condition = "attribute_exists(PK)"
    adds = []
    if delta:
        adds = ["remaining :d", "units :d"] + (["pool_size :d"] if mode == "generated" else [])
        vals["d"] = delta
        if delta < 0:
            condition += " AND remaining >= :need"
            vals["need"] = -delta
            if next_limit is not None:
                # The counter must not have passed the new end of the pool (no arithmetic in conditions).
                condition += " AND next_position <= :limit"
                vals["limit"] = next_limit
    expression = ("SET " + ", ".join(parts) if parts else "") + (" ADD " + ", ".join(adds) if adds else "")
    update: dict[str, Any] = {
        "Key": _key(key),
        "UpdateExpression": expression.strip(),
        "ConditionExpression": condition,
        "ExpressionAttributeValues": values(**vals),
    }
    if names:
        update["ExpressionAttributeNames"] = names
    return {"Update": update}
