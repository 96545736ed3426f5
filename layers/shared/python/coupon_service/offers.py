"""The coupon center: the active coupons a customer may claim now, newest first, for everyone or one
merchant, for an item's product or category; signed in, with what stops the customer claiming each.

A page is one Query of the center's listing (store.offers) and at most one BatchGetItem beside it. The
public answer shows coupons for everyone; a signed-in customer's adds those of the audiences they are in
(a tag on their token, or their id on the coupon's list) and never shows a coupon targeted at others."""

from __future__ import annotations

from coupon_service.access import is_new
from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import Invalid
from coupon_service.identity import Caller
from coupon_service.models.offers import CenterOffer, OffersPage, Stop
from coupon_service.offer_items import OfferItem
from coupon_service.store.offers import Around, OfferQuery, OfferStore
from coupon_service.store.table import Table
from coupon_service.validity import to_iso


class Offers:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.store = OfferStore(table)
        self.clock = clock

    def page(
        self,
        caller: Caller | None,
        *,
        merchant_id: str | None = None,
        product_id: str | None = None,
        category: str | None = None,
        limit: int = 20,
        token: str | None = None,
    ) -> OffersPage:
        """`caller` None: the public (cacheable) answer; a customer: theirs."""
        if (product_id is not None or category is not None) and merchant_id is None:
            name = "product_id" if product_id is not None else "category"
            raise Invalid(
                f"{name}: an item's coupons are its merchant's: name merchant_id", field="merchant_id"
            )
        query = OfferQuery(merchant_id, product_id, category, public=caller is None)
        offers, next_token = self.store.page(query, to_iso(self.clock.now()), limit, token)
        around = self.store.around(offers, caller.user_id if caller else None)
        items = []
        for offer in offers:
            if offer.coupon_id in around.sold_out:
                continue
            if caller is None:
                items.append(CenterOffer.from_item(offer))
            elif in_audience(offer, caller, around):
                held = around.held.get(offer.coupon_id, 0)
                items.append(CenterOffer.from_item(offer, held, stops(offer, held, around)))
        return OffersPage(items=items, next_token=next_token)


def in_audience(offer: OfferItem, caller: Caller, around: Around) -> bool:
    if offer.audience_type == "tags":
        return bool(set(offer.audience_tags or []) & caller.tags)
    if offer.audience_type == "customers":
        return offer.coupon_id in around.listed_for
    return offer.audience_type == "everyone"


def stops(offer: OfferItem, held: int, around: Around) -> list[Stop]:
    """What stops the customer claiming the offer now, as the claim would answer it."""
    found: list[Stop] = []
    if held >= offer.per_customer_limit:
        found.append("at_limit")
    if (offer.new_customers_only or offer.first_order_only) and not is_new(
        around.records.get(offer.merchant_id)
    ):
        found.append("not_new_customer")
    if offer.passphrase:
        found.append("passphrase_required")
    return found
