"""The coupon center: what anyone, or a signed-in customer, sees of the coupons they may claim now."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from coupon_service.models.common import DEFERRED
from coupon_service.models.rules import Scope, Window
from coupon_service.models.terms import Terms
from coupon_service.offer_items import OfferItem
from coupon_service.validity import Validity

# What stops a signed-in customer claiming an offer now (nothing: they may claim it).
Stop = Literal["at_limit", "not_new_customer", "passphrase_required"]


class CenterOffer(BaseModel):
    """One offer of the center; signed in, with what the customer holds of it and what stops them."""

    model_config = DEFERRED

    coupon_id: str
    merchant_id: str
    merchants: list[str] | None = Field(default=None, description="A platform coupon: where it is usable")
    title: str
    description: str
    currency: str
    time_zone: str
    terms: Terms
    claim_window: Window
    validity: Validity
    scope: Scope
    giftable: bool
    per_customer_limit: int
    passphrase_required: bool = Field(description="Claimed with the passphrase its community was given")
    new_customers_only: bool
    first_order_only: bool
    points_price: int | None = Field(default=None, description="Paid with this many points at its programme")
    held: int | None = Field(default=None, description="Signed in: how many of it the customer claimed")
    stops: list[Stop] | None = Field(
        default=None, description="Signed in: what stops the customer claiming it now (empty: nothing)"
    )

    @classmethod
    def from_item(
        cls, offer: OfferItem, held: int | None = None, stops: list[Stop] | None = None
    ) -> CenterOffer:
        return cls.model_validate(
            {
                **offer.model_dump(include=set(cls.model_fields)),
                "claim_window": {"start": offer.claim_start, "end": offer.claim_end},
                "passphrase_required": offer.passphrase,
                "held": held,
                "stops": stops,
            }
        )


class OffersPage(BaseModel):
    model_config = DEFERRED
    items: list[CenterOffer]
    next_token: str | None = None
