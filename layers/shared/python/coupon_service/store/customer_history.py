"""What the figures know of a customer at a merchant, read by the new-customer rules: one GetItem of the
aggregator's customer record (orders from the orders feed, redemptions at the merchant)."""

from __future__ import annotations

from typing import Any

from coupon_service import keys
from coupon_service.store.table import Table


class CustomerHistory:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def at_merchant(self, merchant_id: str, customer_id: str) -> dict[str, Any] | None:
        """The customer's record at the merchant (None: the figures were told of nothing yet)."""
        return self.table.get(keys.figures_customer(merchant_id, customer_id), consistent=False)
