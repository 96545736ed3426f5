"""The coupon center's listing item: what the center shows of a listed coupon and filters it by, copied from
the coupon by each write that changes it (its creation, edits and deletion, in their own transactions)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from coupon_service.items import CouponItem
from coupon_service.validity import from_iso

CLEANUP_AFTER = 86_400  # seconds after the claim window closes that TTL may remove a listing (clean-up only)


class OfferItem(BaseModel):
    """One listed coupon (`OFFERS#ALL` and `OFFERS#MERCHANT#{merchantId}` / `{created_at}#{couponId}`)."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    coupon_id: str
    merchant_id: str
    merchants: list[str] | None = None
    title: str
    description: str
    currency: str
    time_zone: str
    terms: dict[str, Any]
    validity: dict[str, Any]
    scope: dict[str, Any]
    claim_start: str
    claim_end: str
    audience_type: Literal["everyone", "customers", "tags", "segment"]  # segment: never listed in the center
    audience_tags: list[str] | None = None
    per_customer_limit: int = 1
    giftable: bool = False
    limited: bool = False
    passphrase: bool = False
    new_customers_only: bool = False
    first_order_only: bool = False
    points_price: int | None = None
    created_at: str
    # Filtered on by the query (scope_type, products, categories): flat attributes a condition can name.
    scope_type: str = "order"
    products: list[str] | None = None
    categories: list[str] | None = None

    @classmethod
    def of(cls, coupon: CouponItem) -> OfferItem:
        options, scope = coupon.options, coupon.scope
        limited = coupon.codes.get("mode") != "random_on_claim" or coupon.codes.get("inventory") is not None
        return cls(
            **coupon.model_dump(include=set(cls.model_fields)),
            claim_start=coupon.claim_window.start,
            claim_end=coupon.claim_window.end,
            per_customer_limit=options.get("per_customer_limit", 1),
            giftable=bool(options.get("giftable")),
            limited=limited,
            passphrase=bool(coupon.passphrase_hash),
            new_customers_only=bool(options.get("new_customers_only")),
            first_order_only=bool(options.get("first_order_only")),
            points_price=options.get("points_price"),
            scope_type=scope.get("type", "order"),
            products=scope.get("products") or None,
            categories=scope.get("categories") or None,
        )

    def expires_at(self) -> int:
        return int(from_iso(self.claim_end).timestamp()) + CLEANUP_AFTER


def listed(coupon: CouponItem) -> bool:
    """Whether the center lists the coupon: active (a draft is in its test release, a paused or deleted
    coupon takes no claims). Its claim window and audience are filtered when the center is read."""
    return coupon.status == "active"
