"""Editing a coupon (part of the coupons service): what an edit changes, the rules between fields it must
keep, and the record of it for the coupon's history (who, when, each changed field before and after;
secrets only as "changed"). Nothing here reads or writes the table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter

from coupon_service.access import passphrase_hash
from coupon_service.errors import Invalid
from coupon_service.items import ClaimWindow, CouponItem
from coupon_service.models.common import DEFERRED
from coupon_service.models.coupons import AudienceAdditions, CouponPatch, OptionsPatch
from coupon_service.models.history import SECRET
from coupon_service.models.rules import Window
from coupon_service.models.terms import GIFTABLE_KINDS
from coupon_service.secret import hmac_key
from coupon_service.self_service import store_code_hashes
from coupon_service.validity import (
    AnyValidity,
    FixedValidity,
    Validity,
    from_iso,
    lengthens,
    longest_lead,
    shortest_window,
    to_iso,
)

Holders = Literal["unchanged", "extending"]
validity_of: TypeAdapter[AnyValidity] = TypeAdapter(Validity, config=DEFERRED)
REMOVABLE_OPTIONS = frozenset(
    {"reminder", "gift_message"}
)  # `null` removes these; other nulls change nothing
MAX_TAGS = 20


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
        if longest_lead(reminder) >= shortest:
            hours = int(shortest.total_seconds() // 3600)
            by_lead = reminder.get("hours_before_expiry") is not None
            name = "options.reminder." + ("hours_before_expiry" if by_lead else "days_before")
            lead = (
                "must be under" if by_lead else "must leave the reminder (up to a day and an hour more) under"
            )
            raise Invalid(
                f"{name}: {lead} {hours} hours, the shortest time a claimed coupon can be valid, or some "
                "claimers would never be reminded",
                field=name,
                details={"shortest_validity_hours": hours},
            )


def check_gift_options(kind: str, options: dict[str, Any]) -> None:
    """A coupon given away must be of a kind that can be, and a giver told of it needs the message."""
    if options.get("giftable") and kind not in GIFTABLE_KINDS:
        raise Invalid(
            "options.giftable: only discount, cash_value and gift coupons can be gifted",
            field="options.giftable",
        )
    if options.get("notify_giver") and not options.get("gift_message"):
        raise Invalid(
            "options.gift_message: required when notify_giver is true: the giver is sent this message",
            field="options.gift_message",
        )


def claim_window(window: Window) -> ClaimWindow:
    return ClaimWindow(start=to_iso(window.start), end=to_iso(window.end))


# --- what an edit changes -------------------------------------------------------------------------


@dataclass
class Record:
    """The changed fields of one edit, each before and after, in the order they were found."""

    fields: list[str] = field(default_factory=list)
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)

    def add(self, name: str, before: Any, after: Any) -> None:
        self.fields.append(name)
        self.before[name], self.after[name] = before, after


@dataclass
class Plan:
    """An edit as the coupon's attributes see it: set, removed, copied by every shard; the customers the
    audience gains; the record; and what it does to coupons already held."""

    changes: dict[str, Any] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    shard_changes: dict[str, Any] = field(default_factory=dict)
    audience: list[str] = field(default_factory=list)
    record: Record = field(default_factory=Record)
    holders: Holders = "unchanged"


def planned(coupon: CouponItem, patch: CouponPatch, inventory_total: int | None) -> Plan:
    """What `patch` changes on `coupon` (whose inventory now totals `inventory_total`), refusing (422 naming
    the field) whatever breaks a rule, before anything is written."""
    plan = Plan()
    _simple(coupon, patch, plan)
    if patch.inventory is not None and patch.inventory != inventory_total:
        plan.record.add("inventory", inventory_total, patch.inventory)
    if patch.shard_count is not None and patch.shard_count != coupon.shard_count:
        plan.changes["shard_count"] = patch.shard_count
        plan.record.add("shard_count", coupon.shard_count, patch.shard_count)
    options = _options(coupon.options, patch.options, plan.record)
    if options != coupon.options:
        plan.changes["options"] = options
    check_gift_options(str(coupon.terms["kind"]), options)
    validity = patch.validity or validity_of.validate_python(coupon.validity)
    closes = patch.claim_window.end if patch.claim_window else from_iso(coupon.claim_window.end)
    check_rules(closes, validity, options.get("reminder"))
    _rotated_codes(coupon, patch.options, plan)
    _passphrase(coupon, patch.options, plan)
    _audience(coupon, patch.audience, plan)
    if "validity" in plan.changes and lengthens(validity_of.validate_python(coupon.validity), validity):
        plan.holders = "extending"
    return plan


def _simple(coupon: CouponItem, patch: CouponPatch, plan: Plan) -> None:
    """Title, description, status, claim window and validity: each set when it differs."""
    for name in ("title", "description", "status"):
        value = getattr(patch, name)
        if value is not None and value != getattr(coupon, name):
            plan.changes[name] = value
            plan.record.add(name, getattr(coupon, name), value)
    if "status" in plan.changes:
        plan.shard_changes["status"] = plan.changes["status"]
    if patch.claim_window is not None:
        window = claim_window(patch.claim_window)
        if window != coupon.claim_window:
            plan.changes["claim_window"] = window.model_dump()
            plan.shard_changes.update(claim_start=window.start, claim_end=window.end)
            plan.record.add("claim_window", coupon.claim_window.model_dump(), window.model_dump())
    if patch.validity is not None:
        validity = patch.validity.model_dump(mode="json")
        if validity != coupon.validity:
            # Held coupons keep their window unless it grows (coupon_service.holders extends them).
            plan.changes["validity"] = validity
            plan.record.add("validity", coupon.validity, validity)


def _options(current: dict[str, Any], patch: OptionsPatch | None, record: Record) -> dict[str, Any]:
    """The coupon's options after the edit (self-service codes aside: they are hashes of their own)."""
    options = dict(current)
    if patch is None:
        return options
    for name in sorted(patch.model_fields_set - {"self_service", "passphrase"}):
        value = getattr(patch, name)
        if value is None and name not in REMOVABLE_OPTIONS:
            continue
        new = value.model_dump(mode="json", exclude_none=True) if isinstance(value, BaseModel) else value
        if options.get(name) != new:
            record.add(f"options.{name}", options.get(name), new)
            options[name] = new
    return options


def _rotated_codes(coupon: CouponItem, patch: OptionsPatch | None, plan: Plan) -> None:
    """New store codes: their hashes set, a staff code no longer asked removed; recorded without values."""
    codes = patch.self_service if patch else None
    if codes is None:
        return
    if coupon.self_service_mode != "code":
        raise Invalid(
            "options.self_service: only a coupon whose self-service asks the store's code has codes "
            "to change; whether and how customers redeem themselves is fixed when it is created",
            field="options.self_service",
        )
    hashes = store_code_hashes(hmac_key(), codes.verification_code, codes.staff_code)
    plan.changes["verification_hash"] = hashes["verification_hash"]
    plan.record.add("self_service.codes", SECRET, SECRET)
    if "staff_code" not in codes.model_fields_set:
        return
    had = SECRET if coupon.staff_code_hash else None
    if hashes["staff_code_hash"]:
        plan.changes["staff_code_hash"] = hashes["staff_code_hash"]
        plan.record.add("self_service.staff_code", had, SECRET)
    elif coupon.staff_code_hash:
        plan.removed.append("staff_code_hash")
        plan.record.add("self_service.staff_code", had, None)


def _passphrase(coupon: CouponItem, patch: OptionsPatch | None, plan: Plan) -> None:
    """A new claim passphrase (its keyed hash), or `null`: none any more; recorded without values."""
    if patch is None or "passphrase" not in patch.model_fields_set:
        return
    had = SECRET if coupon.passphrase_hash else None
    if patch.passphrase is not None:
        plan.changes["passphrase_hash"] = passphrase_hash(patch.passphrase)
        plan.record.add("options.passphrase", had, SECRET)
    elif coupon.passphrase_hash:
        plan.removed.append("passphrase_hash")
        plan.record.add("options.passphrase", had, None)


def _audience(coupon: CouponItem, additions: AudienceAdditions | None, plan: Plan) -> None:
    """Customers or tags added to the coupon's audience of that type; nobody is taken off."""
    if additions is None:
        return
    if additions.add_customer_ids:
        if coupon.audience_type != "customers":
            raise Invalid(
                "audience.add_customer_ids: only a coupon for listed customers takes more customers",
                field="audience.add_customer_ids",
            )
        plan.audience = list(dict.fromkeys(additions.add_customer_ids))
        plan.record.add("audience.customer_ids", None, {"added": plan.audience})
    if additions.add_tags:
        if coupon.audience_type != "tags":
            raise Invalid(
                "audience.add_tags: only a coupon for tagged customers takes more tags",
                field="audience.add_tags",
            )
        before = list(coupon.audience_tags or [])
        after = before + [t for t in dict.fromkeys(additions.add_tags) if t not in before]
        if len(after) > MAX_TAGS:
            raise Invalid(
                f"audience.add_tags: a coupon has at most {MAX_TAGS} tags", field="audience.add_tags"
            )
        if after != before:
            plan.changes["audience_tags"] = after
            plan.record.add("audience.tags", before, after)
