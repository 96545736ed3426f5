"""Where and when a coupon may be used, as a merchant sets it: its store list, each id checked against the
merchant's registry, and its time frames, each checked to open. Both are copied into every claimed coupon
(like its terms), so a redemption checks them without reading anything more."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter

from coupon_service.errors import Invalid
from coupon_service.identity import PLATFORM
from coupon_service.items import CouponItem
from coupon_service.models.coupons import CouponPatch
from coupon_service.models.rules import StoreList, TimeFrame
from coupon_service.store.stores import StoreRegistry
from coupon_service.time_frames import frames_of, opens_between
from coupon_service.validity import AnyValidity, FixedValidity, Validity, from_iso, to_iso

_validity: TypeAdapter[AnyValidity] = TypeAdapter(Validity)


def stores_by_merchant(
    registry: StoreRegistry, owner: str, merchants: list[str] | None, stores: StoreList
) -> dict[str, list[str]]:
    """The store list as stored: store ids per merchant. A merchant coupon lists ids of its merchant's
    registry; a platform coupon, per merchant it lists, ids of that merchant's registry. Any id not there
    is a 422 naming it (`stores.2`, `stores.m1.0`)."""
    if owner == PLATFORM:
        if not isinstance(stores, dict):
            raise Invalid("stores: a platform coupon lists stores per merchant", field="stores")
        unlisted = [m for m in stores if m not in (merchants or [])]
        if unlisted:
            raise Invalid(
                f"stores.{unlisted[0]}: not a merchant of this coupon", field=f"stores.{unlisted[0]}"
            )
        wanted = {m: list(dict.fromkeys(ids)) for m, ids in stores.items()}
        fields = {(m, s): f"stores.{m}.{i}" for m, ids in stores.items() for i, s in enumerate(ids)}
    else:
        if not isinstance(stores, list):
            raise Invalid("stores: list the ids of your stores", field="stores")
        wanted = {owner: list(dict.fromkeys(stores))}
        fields = {(owner, s): f"stores.{i}" for i, s in enumerate(stores)}
    found = registry.existing(fields)
    missing = [pair for pair in fields if pair not in found]
    if missing:
        field = fields[missing[0]]
        raise Invalid(
            f"{field}: no store {missing[0][1]!r} in the registry of {missing[0][0]}",
            code="unknown_store",
            field=field,
        )
    return wanted


def time_frames_for(
    frames: list[TimeFrame], time_zone: str, validity: AnyValidity, claims_open: datetime
) -> list[dict[str, Any]]:
    """The frames as stored; refused (422 `time_frames`) when a fixed validity holds no opening of them.
    (Each frame opens by its own model: days listed, start and end apart.) A relative validity starts at
    each claim, so some claimers may get a window with no opening (a one-day coupon on a Monday with
    weekend frames): that is the merchant's choice, and the wallet shows the frames."""
    if isinstance(validity, FixedValidity):
        start = max(validity.start, claims_open)
        if not opens_between(
            frames_of(f.model_dump() for f in frames), ZoneInfo(time_zone), start, validity.end
        ):
            raise Invalid(
                "time_frames: none of these time frames opens between "
                f"{to_iso(start)} and the end of the validity ({to_iso(validity.end)})",
                code="never_opens",
                field="time_frames",
            )
    return [f.model_dump() for f in frames]


def placement_edit(
    registry: StoreRegistry, coupon: CouponItem, patch: CouponPatch
) -> tuple[dict[str, Any], list[str]]:
    """An edit's store list and time frames (null removes them), for claims from now on, checked as on
    creation; the coupon's frames are checked again against a new validity or claim window."""
    changes: dict[str, Any] = {}
    removed: list[str] = []
    sent = patch.model_fields_set
    if "stores" in sent:
        if patch.stores is None:
            removed.append("stores")
        else:
            changes["stores"] = stores_by_merchant(
                registry, coupon.merchant_id, coupon.merchants, patch.stores
            )
    frames = patch.time_frames if "time_frames" in sent else _frames(coupon.time_frames)
    if "time_frames" in sent and patch.time_frames is None:
        removed.append("time_frames")
    elif frames and ({"time_frames", "validity", "claim_window"} & sent):
        validity = patch.validity or _validity.validate_python(coupon.validity)
        opens = patch.claim_window.start if patch.claim_window else from_iso(coupon.claim_window.start)
        checked = time_frames_for(frames, coupon.time_zone, validity, opens)
        if "time_frames" in sent:
            changes["time_frames"] = checked
    return changes, removed


def _frames(stored: list[dict[str, Any]] | None) -> list[TimeFrame] | None:
    return [TimeFrame.model_validate(f) for f in stored] if stored else None
