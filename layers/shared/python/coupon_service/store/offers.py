"""The coupon center in the table: the listing items a coupon's own writes keep (in the same transaction as
the change), and the center's pages: one Query of one listing partition, newest first, filtered by the
claim window, the public audience and the item's scope; then, in one BatchGetItem, what the answer needs
beside it (the stock watch's word on limited coupons; for a signed-in customer their holdings, listed
audiences and their record at the merchants whose coupons ask for new customers). No Scan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from coupon_service import keys
from coupon_service.items import CouponItem
from coupon_service.offer_items import OfferItem, listed
from coupon_service.store.table import Table, decode_token, encode_token, to_item, values


@dataclass(frozen=True)
class OfferQuery:
    """What a page of the center is for: one merchant or all, an item's product or category, and whether
    the reader is signed in (the public sees only coupons for everyone)."""

    merchant_id: str | None = None
    product_id: str | None = None
    category: str | None = None
    public: bool = True

    @property
    def partition(self) -> str:
        return keys.offers_of(self.merchant_id) if self.merchant_id else keys.offers_everywhere()

    @property
    def listing(self) -> str:
        """What a page token is signed for: a token of one filter is no start for another."""
        who = "public" if self.public else "customer"
        return f"offers:{who}:{self.merchant_id or ''}:{self.product_id or ''}:{self.category or ''}"


@dataclass
class Around:
    """What one BatchGetItem read beside a page of offers."""

    sold_out: set[str] = field(default_factory=set)  # coupon ids the stock watch last saw sold out
    held: dict[str, int] = field(default_factory=dict)  # coupon id -> claims the customer made of it
    listed_for: set[str] = field(default_factory=set)  # coupons for listed customers that list them
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # merchant -> the customer's record


def listing_writes(coupon: CouponItem, *, was_listed: bool = True) -> list[dict[str, Any]]:
    """The transaction operations that make the center show the coupon as it now is: its listing items put
    while it is listed (`offer_items.listed`), deleted otherwise (`was_listed` False: it never was, and
    there is nothing to delete)."""
    where = [
        keys.offer_everywhere(coupon.created_at, coupon.coupon_id),
        keys.offer_of(coupon.merchant_id, coupon.created_at, coupon.coupon_id),
    ]
    if not listed(coupon):
        return [{"Delete": {"Key": to_item(key)}} for key in where] if was_listed else []
    offer = OfferItem.of(coupon)
    record = {"type": "offer", **offer.model_dump(exclude_none=True), "expires_at": offer.expires_at()}
    return [{"Put": {"Item": to_item({**key, **record})}} for key in where]


class OfferStore:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def page(
        self, query: OfferQuery, now: str, limit: int, token: str | None
    ) -> tuple[list[OfferItem], str | None]:
        """One page of listed coupons a customer may claim now, newest first. A page may hold fewer than
        `limit` (the filters apply after the read, as DynamoDB's do); its token continues the listing."""
        partition = query.partition
        start = decode_token(token, partition=("PK", partition), listing=query.listing)
        conditions = ["claim_start <= :now", "claim_end > :now"]
        named: dict[str, Any] = {"p": partition, "now": now}
        if query.public:
            conditions.append("audience_type = :everyone")
            named["everyone"] = "everyone"
        if query.product_id is not None:
            conditions.append("(scope_type = :order OR contains(products, :product))")
            named.update(order="order", product=query.product_id)
        if query.category is not None:
            conditions.append("(scope_type = :order OR contains(categories, :category))")
            named.update(order="order", category=query.category)
        items, last = self.table.query(
            key_condition="PK = :p",
            forward=False,
            limit=limit,
            start_key=start,
            FilterExpression=" AND ".join(conditions),
            ExpressionAttributeValues=values(**named),
        )
        return [OfferItem.model_validate(i) for i in items], encode_token(last, listing=query.listing)

    def around(self, offers: list[OfferItem], customer_id: str | None) -> Around:
        """Beside a page, in one BatchGetItem (none when nothing is needed): the stock watch's marker of each
        limited coupon; for a customer, their holding of each coupon, their entry in each listed audience
        and their record at each merchant whose coupons ask for new customers."""
        wanted = [keys.stock_watch(o.coupon_id) for o in offers if o.limited]
        if customer_id is not None:
            wanted += [keys.holder(customer_id, o.coupon_id) for o in offers]
            wanted += [
                keys.audience_member(o.coupon_id, customer_id)
                for o in offers
                if o.audience_type == "customers"
            ]
            merchants = {o.merchant_id for o in offers if o.new_customers_only or o.first_order_only}
            wanted += [keys.figures_customer(m, customer_id) for m in sorted(merchants)]
        around = Around()
        if not wanted:
            return around
        found = {(i["PK"], i["SK"]): i for i in self.table.batch_get(wanted)}
        for offer in offers:
            marker = found.get(_pair(keys.stock_watch(offer.coupon_id)))
            if marker and marker.get("sold_out"):
                around.sold_out.add(offer.coupon_id)
            if customer_id is None:
                continue
            holding = found.get(_pair(keys.holder(customer_id, offer.coupon_id)))
            around.held[offer.coupon_id] = int((holding or {}).get("count") or 0)
            if _pair(keys.audience_member(offer.coupon_id, customer_id)) in found:
                around.listed_for.add(offer.coupon_id)
            record = found.get(_pair(keys.figures_customer(offer.merchant_id, customer_id)))
            if record is not None:
                around.records[offer.merchant_id] = record
        return around


def _pair(key: dict[str, str]) -> tuple[str, str]:
    return key["PK"], key["SK"]
