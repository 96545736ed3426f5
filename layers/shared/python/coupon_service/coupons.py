"""Merchant coupon management: create, read, list, edit, delete, stats, and what the public may see."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import ConfigDict, TypeAdapter

from coupon_service import access, pool, qr
from coupon_service.budget import shard_amounts
from coupon_service.clock import SYSTEM, Clock
from coupon_service.edits import Plan, check_rules, claim_window, planned
from coupon_service.errors import Invalid, NotFound, VersionConflict
from coupon_service.identity import PLATFORM
from coupon_service.items import ClaimWindow, CouponItem, ShardItem
from coupon_service.models.coupons import (
    Budget,
    CouponCreate,
    CouponDeleted,
    CouponEdited,
    CouponOut,
    CouponPage,
    CouponPatch,
    CouponStats,
    Inventory,
    OfferOut,
)
from coupon_service.models.history import HistoryEntry, HistoryPage
from coupon_service.planning import CouponEdit, InventoryPlan, creation_plan, inventory_plan
from coupon_service.secret import hmac_key
from coupon_service.self_service import store_code_hashes
from coupon_service.store.budget import BudgetShards
from coupon_service.store.coupons import CouponStore
from coupon_service.store.history import HistoryStore
from coupon_service.store.pool import Pool
from coupon_service.store.segments import SegmentBook
from coupon_service.store.stores import StoreRegistry
from coupon_service.store.table import Table
from coupon_service.validity import AnyValidity, Validity, to_iso
from coupon_service.where_and_when import placement_edit, stores_by_merchant, time_frames_for

_validity: TypeAdapter[AnyValidity] = TypeAdapter(Validity, config=ConfigDict(defer_build=True))


# --- items from requests -------------------------------------------------------------------------


def coupon_item(coupon_id: str, owner: str, body: CouponCreate, shard_count: int, now: str) -> CouponItem:
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
        claim_window=claim_window(body.claim_window),
        validity=body.validity.model_dump(mode="json"),
        scope=body.scope.model_dump(mode="json"),
        audience_type=body.audience.type,
        audience_tags=getattr(body.audience, "tags", None),
        audience_segment=getattr(body.audience, "segment_id", None),
        options={
            **body.options.model_dump(mode="json", exclude={"self_service", "passphrase"}),
            "reminder": body.options.reminder.model_dump(mode="json", exclude_none=True)
            if body.options.reminder
            else None,
        },
        shard_count=shard_count,
        has_logo=body.logo_png is not None,
        created_at=now,
        updated_at=now,
        self_service=self_service.verification if self_service is not None else None,
        budget_shards=len(shard_amounts(body.options.budget)) if body.options.budget else None,
        passphrase_hash=access.passphrase_hash(body.options.passphrase) if body.options.passphrase else None,
        **hashes,
    )


# --- the service ---------------------------------------------------------------------------------


class Coupons:
    """Coupon management over the store; every method checks the coupon belongs to `owner`."""

    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.table = table or Table()
        self.store = CouponStore(self.table)
        self.clock = clock

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
        budget = None
        if coupon.budget_shards:
            remaining, spent = BudgetShards(self.table).totals(coupon_id, coupon.budget_shards)
            budget = Budget(total=remaining + spent, spent=spent, remaining=remaining)
        return CouponStats(
            coupon_id=coupon_id,
            inventory=Inventory.of(coupon.mode, shards),
            shards=len(shards),
            budget=budget,
        )

    def offer(self, coupon_id: str) -> OfferOut:
        coupon = self.store.coupon(coupon_id, consistent=False)
        if coupon is None or coupon.status != "active" or coupon.audience_type != "everyone":
            raise NotFound("no such offer", field="couponId")
        return OfferOut.from_item(coupon, self.store.shards_of(coupon))

    # --- writes ----------------------------------------------------------------------------------

    def create(self, owner: str, body: CouponCreate) -> CouponOut:
        reminder = body.options.reminder
        check_rules(body.claim_window.end, body.validity, reminder.model_dump() if reminder else None)
        if (owner == PLATFORM) != (body.merchants is not None):
            raise Invalid("merchants: list them for a platform coupon, and only then", field="merchants")
        if owner == PLATFORM and (rules := access.newcomer_rules(body.options.model_dump())):
            name = f"options.{rules[0]}"
            raise Invalid(f"{name}: a platform coupon has no merchant to be new at", field=name)
        logo = None
        if body.logo_png is not None:
            try:  # checked and re-encoded as a custom logo uploaded later is (coupon_service.promotion)
                logo = qr.clean_logo(body.logo_png).png
            except ValueError as error:
                raise Invalid(f"logo_png: {error}", field="logo_png") from error
        if body.audience.type == "segment":  # the merchant's own segment (another's is the same 404)
            SegmentBook(self.table).owned(owner, body.audience.segment_id, field="audience.segment_id")
        registry = StoreRegistry(self.table)
        stores = stores_by_merchant(registry, owner, body.merchants, body.stores) if body.stores else None
        frames = (
            time_frames_for(body.time_frames, body.time_zone, body.validity, body.claim_window.start)
            if body.time_frames
            else None
        )
        coupon_id = uuid.uuid4().hex
        mode = body.codes.mode
        units = getattr(body.codes, "inventory", None) if mode != "imported" else None
        if body.options.low_stock_threshold is not None and mode == "random_on_claim" and units is None:
            raise Invalid(
                "options.low_stock_threshold: an unlimited coupon never runs low",
                field="options.low_stock_threshold",
            )
        plan = creation_plan(mode, units, body.shard_count)
        item = coupon_item(coupon_id, owner, body, len(plan), to_iso(self.clock.now()))
        item.stores, item.time_frames = stores, frames
        shard_items = [
            ShardItem.new(item, i, n, pooled=mode != "random_on_claim") for i, n in enumerate(plan)
        ]

        # Everything a shard will point at exists before the shard does, so a retry is harmless.
        if mode == "generated":  # its codes are a keyed function of the pool's seed (coupon_service.pool)
            item.pool_seed = seed = pool.new_seed()
            Pool(self.table).write_chunks(pool.generated_chunks(coupon_id, seed, [n or 0 for n in plan]))
        audience = body.audience.customer_ids if body.audience.type == "customers" else []
        budget = shard_amounts(body.options.budget) if body.options.budget else []
        self.store.create_coupon(item, shard_items, logo=logo, audience=audience, budget=budget)
        return CouponOut.from_item(item, shard_items)

    def delete(self, owner: str, coupon_id: str) -> CouponDeleted:
        coupon = self.store.coupon_of(owner, coupon_id)
        self.store.delete_coupon(owner, coupon, to_iso(self.clock.now()))
        return CouponDeleted(coupon_id=coupon_id)

    def edit(self, owner: str, coupon_id: str, patch: CouponPatch, *, by: str | None = None) -> CouponEdited:
        """Apply `patch` (based on `patch.version`) and record it in the coupon's history as `by`'s edit,
        in one transaction; the outbox publishes the record as `CouponChanged`."""
        coupon = self.store.coupon_of(owner, coupon_id)
        if patch.version != coupon.version:
            raise VersionConflict(current_version=coupon.version)
        shards = self.store.shards_of(coupon)
        plan = planned(coupon, patch, Inventory.of(coupon.mode, shards).total)
        self._placement(coupon, patch, plan)
        inventory = inventory_plan(coupon, shards, patch.inventory, patch.shard_count)
        if not plan.record.fields:  # nothing differs: no new version, no history entry, no event
            return CouponEdited.model_validate(
                {**CouponOut.from_item(coupon, shards).model_dump(), "holders": "unchanged"}
            )
        self._append_codes(coupon, shards, inventory)
        # New shards open as the coupon is after the edit.
        template = coupon.model_copy(
            update={
                "status": plan.changes.get("status", coupon.status),
                "claim_window": ClaimWindow.model_validate(
                    plan.changes.get("claim_window", coupon.claim_window.model_dump())
                ),
            }
        )
        new_shards = [
            ShardItem.new(template, coupon.shard_count + j, n, pooled=False)
            for j, n in enumerate(inventory.added)
        ]
        now = to_iso(self.clock.now())
        plan.changes["updated_at"] = now
        record = {
            "coupon_id": coupon_id,
            "merchant_id": coupon.merchant_id,
            "version": coupon.version + 1,
            "at": now,
            "by": by or owner,
            "fields": plan.record.fields,
            "before": plan.record.before,
            "after": plan.record.after,
            "holders": plan.holders,
        }
        after = {**coupon.model_dump(), **plan.changes, "version": coupon.version + 1}
        for name in plan.removed:
            after.pop(name, None)
        edit = CouponEdit(
            patch.version,
            plan.changes,
            plan.removed,
            plan.shard_changes,
            inventory,
            new_shards,
            record,
            CouponItem.model_validate(after),
        )
        self.store.edit_coupon(coupon_id, edit)
        self.store.add_audience(coupon_id, plan.audience)
        return CouponEdited.model_validate(
            {**self.get(owner, coupon_id).model_dump(), "holders": plan.holders}
        )

    def _placement(self, coupon: CouponItem, patch: CouponPatch, plan: Plan) -> None:
        """The edit's store list and time frames (for claims from now on), checked as on creation."""
        changes, removed = placement_edit(StoreRegistry(self.table), coupon, patch)
        for name, value in changes.items():
            if value != getattr(coupon, name):
                plan.changes[name] = value
                plan.record.add(name, getattr(coupon, name), value)
        for name in removed:
            if getattr(coupon, name) is not None:
                plan.removed.append(name)
                plan.record.add(name, getattr(coupon, name), None)

    def _append_codes(
        self, coupon: CouponItem, shards: Sequence[ShardItem], inventory: InventoryPlan
    ) -> None:
        """A generated pool's new codes, written before the shards that hand them out grow."""
        appended: builtins.list[dict[str, Any]] = []
        pool_store = Pool(self.table)
        for shard, change in zip(shards, inventory.changes, strict=True):
            if change.codes_to_append:
                # A code once written at a position never changes: see store.pool.Pool.appended_chunks.
                size, count = shard.pool_size or 0, change.codes_to_append
                appended.extend(pool_store.appended_chunks(coupon.model_dump(), shard.shard, size, count))
        if appended:
            pool_store.write_chunks(appended)

    def changes(self, owner: str, coupon_id: str, limit: int, token: str | None) -> HistoryPage:
        """The coupon's edits, newest first: who, when, what, before and after (secrets as "changed")."""
        self.store.coupon_of(owner, coupon_id, deleted=True)  # a deleted coupon's records stay readable
        entries, next_token = HistoryStore(self.table).page(coupon_id, limit, token)
        return HistoryPage(items=[HistoryEntry.from_item(e) for e in entries], next_token=next_token)
