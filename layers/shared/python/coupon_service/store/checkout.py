"""What the checkout quote reads: a customer's whole wallet."""

from __future__ import annotations

from collections.abc import Iterator

from coupon_service import keys
from coupon_service.items import ClaimItem
from coupon_service.store.table import Table, values


def whole_wallet(table: Table, customer_id: str) -> Iterator[ClaimItem]:
    """Every claimed coupon the customer holds, soonest expiry first, in as few pages as the index returns
    (1 MB each)."""
    items = table.query_all(
        index="GSI1",
        key_condition="GSI1PK = :p",
        ExpressionAttributeValues=values(p=keys.wallet(customer_id)),
    )
    return (ClaimItem.model_validate(item) for item in items)
