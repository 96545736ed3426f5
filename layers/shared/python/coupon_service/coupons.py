"""Merchant coupon management: create, read, list, edit, delete, stats, and what the public may see."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter

from coupon_service import clock, pool, qr
from coupon_service.errors import Invalid, NotFound, VersionConflict
from coupon_service.identity import PLATFORM
from coupon_service.items import ClaimWindow, CouponItem, ShardItem
from coupon_service.models.coupons import (
    CouponCreate,
    CouponDeleted,
    CouponOut,
    CouponPage,
    CouponPatch,
    CouponStats,
    Inventory,
    OfferOut,
    Promotion,
)
from coupon_service.models.rules import Window
from coupon_service.planning import CouponEdit, creation_plan, inventory_plan
from coupon_service.secret import hmac_key
from coupon_service.self_service import store_code_hashes
from coupon_service.store.coupons import CouponStore
from coupon_service.store.pool import Pool
from coupon_service.store.table import Table
from coupon_service.validity import AnyValidity, FixedValidity, Validity, from_iso, shortest_window, to_iso

_validity: TypeAdapter[AnyValidity] = TypeAdapter(Validity)


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


# --- items from requests -------------------------------------------------------------------------


def _window(window: Window) -> ClaimWindow:
    return ClaimWindow(start=to_iso(window.start), end=to_iso(window.end))


def coupon_item(coupon_id: str, owner: str, body: CouponCreate, shard_count: int) -> CouponItem:
    now = to_iso(clock.now())
    chosen = body.options.self_service
    self_service = chosen if chosen is not None and chosen.enabled else None
    hashes: dict[str, Any] = {}
    if self_service is not None and self_service.verification_code is not None:
        hashes = store_code_hashes(hmac_key(), self_service.verification_code, self_service.staff_code)
    return CouponItem(
        coupon_id=coupon_id,
        merchant_id=owner,
        issuer="platform" if owner == PLATFORM else "merchant",
        merchants=body.merchants,
        version=1,
        title=body.title,
        description=body.description,
        status=body.status,
        currency=body.currency,
        time_zone=body.time_zone,
        terms=body.terms.model_dump(mode="json", exclude_none=True),
        codes=body.codes.model_dump(mode="json", exclude_none=True),
        claim_window=_window(body.claim_window),
        validity=body.validity.model_dump(mode="json"),
        scope=body.scope.model_dump(mode="json"),
        audience_type=body.audience.type,
        audience_tags=getattr(body.audience, "tags", None),
        options=body.options.model_dump(mode="json", exclude={"self_service"}),
        shard_count=shard_count,
        has_logo=body.logo_png is not None,
        created_at=now,
        updated_at=now,
        self_service=self_service.verification if self_service is not None else None,
        **hashes,
    )


def _edit_changes(coupon: CouponItem, patch: CouponPatch) -> tuple[dict[str, Any], dict[str, Any]]:
    """The coupon's changes and those every shard copies (status and claim window)."""
    changes: dict[str, Any] = {}
    shard_changes: dict[str, Any] = {}
    if patch.title is not None:
        changes["title"] = patch.title
    if patch.description is not None:
        changes["description"] = patch.description
    if patch.status is not None and patch.status != coupon.status:
        changes["status"] = shard_changes["status"] = patch.status
    if patch.claim_window is not None:
        window = _window(patch.claim_window)
        changes["claim_window"] = window.model_dump()
        shard_changes.update(claim_start=window.start, claim_end=window.end)
    if patch.validity is not None:
        # Applies to claims from now on; coupons already held keep their window (docs/decisions.md).
        changes["validity"] = patch.validity.model_dump(mode="json")
    if patch.shard_count is not None and patch.shard_count != coupon.shard_count:
        changes["shard_count"] = patch.shard_count
    return changes, shard_changes


def _rotated_codes(coupon: CouponItem, patch: CouponPatch, changes: dict[str, Any]) -> list[str]:
    """New store codes into `changes`; the attributes to remove (a staff code no longer asked)."""
    codes = patch.options.self_service if patch.options else None
    if codes is None:
        return []
    if coupon.self_service_mode != "code":
        raise Invalid(
            "options.self_service: only a coupon whose self-service asks the store's code has codes "
            "to change; whether and how customers redeem themselves is fixed when it is created",
            field="options.self_service",
        )
    kept = "staff_code" not in codes.model_fields_set
    hashes = store_code_hashes(hmac_key(), codes.verification_code, codes.staff_code)
    changes["verification_hash"] = hashes["verification_hash"]
    if hashes["staff_code_hash"]:
        changes["staff_code_hash"] = hashes["staff_code_hash"]
    return [] if kept or hashes["staff_code_hash"] else ["staff_code_hash"]


# --- the service ---------------------------------------------------------------------------------


class Coupons:
    """Coupon management over the store; every method checks the coupon belongs to `owner`."""

    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()
        self.store = CouponStore(self.table)

    def get(self, owner: str, coupon_id: str) -> CouponOut:
        # A deleted coupon stays readable to its owner (status `deleted`): customers may still hold it.
        coupon = self.store.coupon_of(owner, coupon_id, deleted=True)
        return CouponOut.from_item(coupon, self.store.shards_of(coupon))

    def list(self, owner: str, limit: int, token: str | None) -> CouponPage:
        page = self.store.coupons_page(owner, limit, token)
        return CouponPage(
            items=[CouponOut.from_item(c, page.shards.get(c.coupon_id, [])) for c in page.coupons],
            next_token=page.next_token,
        )

    def stats(self, owner: str, coupon_id: str) -> CouponStats:
        coupon = self.store.coupon_of(owner, coupon_id, deleted=True)
        shards = self.store.shards_of(coupon)
        return CouponStats(
            coupon_id=coupon_id, inventory=Inventory.of(coupon.mode, shards), shards=len(shards)
        )

    def offer(self, coupon_id: str) -> OfferOut:
        coupon = self.store.coupon(coupon_id, consistent=False)
        if coupon is None or coupon.status != "active" or coupon.audience_type != "everyone":
            raise NotFound("no such offer", field="couponId")
        return OfferOut.from_item(coupon, self.store.shards_of(coupon))

    def promotion(self, owner: str, coupon_id: str, base_url: str) -> Promotion:
        self.store.coupon_of(owner, coupon_id)
        return Promotion(
            coupon_id=coupon_id,
            url=f"{base_url}/offers/{coupon_id}",
            qr_png_url=f"{base_url}/coupons/{coupon_id}/promotion/qr",
            qr_sizes=list(qr.SIZES),
        )

    def promotion_qr(self, owner: str, coupon_id: str, base_url: str, size: str, with_logo: bool) -> bytes:
        url = self.promotion(owner, coupon_id, base_url).url
        return qr.render_png(url, size, self.store.logo_of(coupon_id) if with_logo else None)

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
        plan = creation_plan(mode, units, body.shard_count)
        item = coupon_item(coupon_id, owner, body, len(plan))
        shard_items = [
            ShardItem.new(item, i, n, pooled=mode != "random_on_claim") for i, n in enumerate(plan)
        ]

        # Everything a shard will point at exists before the shard does, so a retry is harmless.
        if mode == "generated":  # its codes are a keyed function of the pool's seed (coupon_service.pool)
            item.pool_seed = seed = pool.new_seed()
            Pool(self.table).write_chunks(pool.generated_chunks(coupon_id, seed, [n or 0 for n in plan]))
        audience = body.audience.customer_ids if body.audience.type == "customers" else []
        self.store.create_coupon(item, shard_items, logo=body.logo_png, audience=audience)
        return CouponOut.from_item(item, shard_items)

    def delete(self, owner: str, coupon_id: str) -> CouponDeleted:
        coupon = self.store.coupon_of(owner, coupon_id)
        self.store.delete_coupon(owner, coupon, to_iso(clock.now()))
        return CouponDeleted(coupon_id=coupon_id)

    def edit(self, owner: str, coupon_id: str, patch: CouponPatch) -> CouponOut:
        coupon = self.store.coupon_of(owner, coupon_id)
        if patch.version != coupon.version:
            raise VersionConflict(current_version=coupon.version)
        if patch.claim_window is not None or patch.validity is not None:
            check_rules(
                patch.claim_window.end if patch.claim_window else from_iso(coupon.claim_window.end),
                patch.validity or _validity.validate_python(coupon.validity),
                coupon.options.get("reminder"),
            )
        shards = self.store.shards_of(coupon)
        changes, shard_changes = _edit_changes(coupon, patch)
        removed = _rotated_codes(coupon, patch, changes)
        plan = inventory_plan(coupon, shards, patch.inventory, patch.shard_count)
        appended: list[dict[str, Any]] = []
        pool_store = Pool(self.table)
        for shard, change in zip(shards, plan.changes, strict=True):
            if change.codes_to_append:
                # A code once written at a position never changes: see store.pool.Pool.appended_chunks.
                size, count = shard.pool_size or 0, change.codes_to_append
                appended.extend(pool_store.appended_chunks(coupon.model_dump(), shard.shard, size, count))
        if appended:
            pool_store.write_chunks(appended)
        # New shards open as the coupon is after the edit.
        window = _window(patch.claim_window) if patch.claim_window else coupon.claim_window
        template = coupon.model_copy(
            update={"status": changes.get("status", coupon.status), "claim_window": window}
        )
        new_shards = [
            ShardItem.new(template, coupon.shard_count + j, n, pooled=False) for j, n in enumerate(plan.added)
        ]
        changes["updated_at"] = to_iso(clock.now())
        edit = CouponEdit(patch.version, changes, removed, shard_changes, plan, new_shards)
        self.store.edit_coupon(coupon_id, edit)
        return self.get(owner, coupon_id)
