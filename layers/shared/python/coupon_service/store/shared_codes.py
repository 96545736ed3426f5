"""A coupon's public code in the table: made unique per merchant by a conditional put, (de)activated, and
read with the caller's lookup budget in one request. Its redemption's transaction is
`store.shared_code_redemptions`."""

from __future__ import annotations

from typing import Any

from coupon_service import keys
from coupon_service.errors import Conflict, NotFound
from coupon_service.guard_items import LookupBudgetItem
from coupon_service.items import CouponItem, RedemptionItem
from coupon_service.shared_code_items import CouponSharedCodeItem, SharedCodeItem, SharedUseItem
from coupon_service.store.table import Cancelled, Table, to_item, values

FAILED = "ConditionalCheckFailed"


class CodeTaken(Conflict):
    code = "code_taken"

    def __init__(self) -> None:
        super().__init__("another coupon of yours has this code", field="code")


class CodeSet(Conflict):
    code = "shared_code_set"

    def __init__(self, code: str) -> None:
        super().__init__(
            "this coupon has another public code; a coupon keeps its code",
            field="code",
            details={"code": code},
        )


def unknown_code() -> NotFound:
    """The one answer for a public code this caller may not use: never made, another merchant's, inactive."""
    return NotFound("no coupon with this code", code="unknown_code", field="code")


class SharedCodeStore:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    # --- the merchant's side -----------------------------------------------------------------------

    def coupon(self, coupon_id: str) -> tuple[CouponItem | None, CouponSharedCodeItem | None]:
        """The coupon and which public code it has, in one read."""
        found = self.table.batch_get([keys.coupon(coupon_id), keys.coupon_shared_code(coupon_id)])
        coupon = next((CouponItem.model_validate(i) for i in found if i["type"] == "coupon"), None)
        note = next((CouponSharedCodeItem.model_validate(i) for i in found if i["type"] != "coupon"), None)
        return coupon, note

    def code(self, merchant_id: str, code: str) -> SharedCodeItem | None:
        item = self.table.get(keys.shared_code(merchant_id, code))
        return SharedCodeItem.model_validate(item) if item else None

    def create(self, item: SharedCodeItem) -> SharedCodeItem:
        """The coupon's code and its note, at once: refused when the merchant has the code (`CodeTaken`)
        or the coupon a code (`CodeSet`, naming it)."""
        note = CouponSharedCodeItem(coupon_id=item.coupon_id, merchant_id=item.merchant_id, code=item.code)
        record = {**keys.shared_code(item.merchant_id, item.code), "type": "shared_code"}
        try:
            self.table.transact(
                [
                    _put_new(
                        {
                            **keys.coupon_shared_code(item.coupon_id),
                            "type": "coupon_shared_code",
                            **note.model_dump(),
                        }
                    ),
                    _put_new({**record, **item.model_dump(exclude_none=True)}),
                ]
            )
        except Cancelled as cancelled:
            if cancelled.code_at(0) == FAILED:
                mine = CouponSharedCodeItem.model_validate(cancelled.old(0) or {**note.model_dump()})
                if mine.code == item.code:  # made meanwhile with this very code: set it as asked
                    return self.change(item)
                raise CodeSet(mine.code) from None
            raise CodeTaken() from None
        return item

    def change(self, item: SharedCodeItem) -> SharedCodeItem:
        """The code's state and caps as given (its count stays as it is)."""
        capped = item.max_redemptions is not None
        found = self.table.update(
            keys.shared_code(item.merchant_id, item.code),
            UpdateExpression="SET active = :active, per_customer_limit = :limit, updated_at = :now"
            + (", max_redemptions = :cap" if capped else " REMOVE max_redemptions"),
            ConditionExpression="coupon_id = :coupon",
            ExpressionAttributeValues=values(
                active=item.active,
                limit=item.per_customer_limit,
                now=item.updated_at,
                coupon=item.coupon_id,
                **({"cap": item.max_redemptions} if capped else {}),
            ),
            ReturnValues="ALL_NEW",
        )
        return SharedCodeItem.model_validate(found)

    def activate(self, merchant_id: str, code: str, active: bool, now: str) -> SharedCodeItem:
        found = self.table.update(
            keys.shared_code(merchant_id, code),
            UpdateExpression="SET active = :active, updated_at = :now",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeValues=values(active=active, now=now),
            ReturnValues="ALL_NEW",
        )
        return SharedCodeItem.model_validate(found)

    # --- the customer's side ---------------------------------------------------------------------

    def code_and_budget(
        self, merchant_id: str, code: str, caller_id: str
    ) -> tuple[SharedCodeItem | None, LookupBudgetItem]:
        """The code at the merchant and the caller's budget of unknown codes there, in one read."""
        found = self.table.batch_get(
            [keys.shared_code(merchant_id, code), keys.lookup_budget(caller_id, merchant_id)]
        )
        shared = next((i for i in found if i.get("type") == "shared_code"), None)
        budget = next((i for i in found if i.get("type") != "shared_code"), None)
        return (
            SharedCodeItem.model_validate(shared) if shared else None,
            LookupBudgetItem.model_validate(budget or {}),
        )

    def coupon_and_use(
        self, coupon_id: str, customer_id: str
    ) -> tuple[CouponItem | None, SharedUseItem | None]:
        """The coupon behind a code and the customer's uses of it (None: never used), in one read."""
        found = self.table.batch_get([keys.coupon(coupon_id), keys.shared_code_use(coupon_id, customer_id)])
        coupon = next((i for i in found if i["type"] == "coupon"), None)
        use = next((i for i in found if i["type"] != "coupon"), None)
        return (
            CouponItem.model_validate(coupon) if coupon else None,
            SharedUseItem.model_validate(use) if use else None,
        )

    def coupon_terms(self, coupon_id: str) -> CouponItem | None:
        """The coupon as a redemption prices it (eventually consistent: the code's condition decides)."""
        item = self.table.get(keys.coupon(coupon_id), consistent=False)
        return CouponItem.model_validate(item) if item else None

    def redemption(self, redemption_id: str) -> RedemptionItem | None:
        item = self.table.get(keys.redemption(redemption_id))
        return RedemptionItem.model_validate(item) if item else None

    def use(self, coupon_id: str, customer_id: str) -> SharedUseItem | None:
        item = self.table.get(keys.shared_code_use(coupon_id, customer_id))
        return SharedUseItem.model_validate(item) if item else None


def _put_new(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "Put": {
            "Item": to_item(record),
            "ConditionExpression": "attribute_not_exists(PK)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }
