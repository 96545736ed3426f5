"""A coupon's public code redeemed in the redemption's own transaction (`store.redemptions`), in place of a
claimed coupon: the code's count (condition: active and under its total cap) and the customer's uses
(condition: fewer than the per-customer limit and not this id), beside the redemption's put, its order and its
budget. A retry whose first attempt committed is recognised by the redemption's put (its id derives from
customer, coupon and order). A reversal takes both back, once."""

from __future__ import annotations

from typing import Any

from coupon_service import keys
from coupon_service.errors import Conflict, LimitReached
from coupon_service.items import ClaimItem, RedemptionItem
from coupon_service.order_items import OrderCouponsItem
from coupon_service.shared_code_items import SharedCodeItem, SharedUseItem
from coupon_service.store.guards import Reservation
from coupon_service.store.redemptions import RedemptionStore
from coupon_service.store.shared_codes import FAILED, unknown_code
from coupon_service.store.table import Cancelled, Table, to_item, values


class CapReached(Conflict):
    code = "redemption_cap_reached"

    def __init__(self, cap: int | None) -> None:
        super().__init__("this code has been used as often as it may be", details={"max_redemptions": cap})


class UseChanged(Conflict):
    """The customer's uses were not as read (a first use made meanwhile): read them again and retry."""

    code = "changed"

    def __init__(self) -> None:
        super().__init__("this code's use changed meanwhile")


class Redeemed(Exception):
    """The redemption asked for committed already (a retry after a lost answer): `redemption` is it."""

    def __init__(self, redemption: RedemptionItem) -> None:
        super().__init__(redemption.redemption_id)
        self.redemption = redemption


class SharedCodeReversals(RedemptionStore):
    """A redemption of a public code reversed: with the code's count and the customer's use given back."""

    def given_back(self, redemption: RedemptionItem) -> list[dict[str, Any]]:
        """A reversal gives the code's count and the customer's use back (once: the reversal's own
        condition, that it was not reversed, makes the transaction apply once)."""
        extra = redemption.model_extra or {}
        code = extra.get("shared_code")
        if not code:
            return []
        return [
            {
                "Update": {
                    "Key": to_item(keys.shared_code(redemption.merchant_id, code)),
                    "UpdateExpression": "SET redeemed = redeemed - :one",
                    "ExpressionAttributeValues": values(one=1),
                }
            },
            {
                "Update": {
                    "Key": to_item(keys.shared_code_use(redemption.coupon_id, redemption.customer_id)),
                    "UpdateExpression": "REMOVE redemptions.#rid",
                    "ExpressionAttributeNames": {"#rid": redemption.redemption_id},
                }
            },
        ]


class SharedCodeRedemptions(SharedCodeReversals):
    """The redemption's transaction with the code's count and the customer's uses in place of a claimed
    coupon (`shared`, `use`: as read; `use` None: the customer has none yet)."""

    def __init__(self, table: Table, shared: SharedCodeItem, use: SharedUseItem | None) -> None:
        super().__init__(table)
        self.shared, self.use_read = shared, use

    def redeem(
        self,
        claim: ClaimItem,
        redemption: RedemptionItem,
        give_back: list[Reservation],
        order: OrderCouponsItem | None = None,
    ) -> RedemptionItem:
        """The redemption records its code, which its reversal gives the count back to."""
        marked = redemption.model_copy(update={"shared_code": self.shared.code})
        return super().redeem(claim, marked, give_back, order)

    def using(self, claim: ClaimItem, redemption: RedemptionItem) -> list[dict[str, Any]]:
        shared = self.shared
        counting: dict[str, Any] = {
            "Update": {
                "Key": to_item(keys.shared_code(shared.merchant_id, shared.code)),
                "UpdateExpression": "SET redeemed = redeemed + :one",
                "ConditionExpression": "active = :yes AND (attribute_not_exists(max_redemptions) "
                "OR redeemed < max_redemptions)",
                "ExpressionAttributeValues": values(one=1, yes=True),
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
        rid, at = redemption.redemption_id, redemption.redeemed_at
        key = keys.shared_code_use(shared.coupon_id, claim.owner_id)
        if self.use_read is None:
            using = {
                "Put": {
                    "Item": to_item(
                        {
                            **key,
                            "type": "shared_code_use",
                            "coupon_id": shared.coupon_id,
                            "customer_id": claim.owner_id,
                            "redemptions": {rid: at},
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(PK)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
        else:
            using = {
                "Update": {
                    "Key": to_item(key),
                    "UpdateExpression": "SET redemptions.#rid = :at",
                    "ConditionExpression": "size(redemptions) < :limit "
                    "AND attribute_not_exists(redemptions.#rid)",
                    "ExpressionAttributeNames": {"#rid": rid},
                    "ExpressionAttributeValues": values(at=at, limit=shared.per_customer_limit),
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
        return [counting, using]

    def moved(
        self, cancelled: Cancelled, claim: ClaimItem, redemption: RedemptionItem, put_at: int
    ) -> Exception:
        rid = redemption.redemption_id
        use = SharedUseItem.model_validate(cancelled.old(1) or {})
        if cancelled.code_at(put_at) == FAILED or rid in use.redemptions:
            found = self.redemption(rid)
            if found is not None:
                return Redeemed(found)
        if cancelled.code_at(1) == FAILED:
            if len(use.redemptions) >= self.shared.per_customer_limit:
                return LimitReached(self.shared.per_customer_limit)
            return UseChanged()
        shared = SharedCodeItem.model_validate(cancelled.old(0) or self.shared.model_dump())
        if not shared.active:
            return unknown_code()
        if shared.full():
            return CapReached(shared.max_redemptions)
        return UseChanged()
