"""Voiding one claimed coupon in the table: the coupon made void, out of the reminder index, and out of the
pending gift it was in (the gift settled), all in one transaction conditioned on the coupon as read."""

from __future__ import annotations

from typing import Any

from coupon_service import keys
from coupon_service.errors import Changed
from coupon_service.items import ClaimItem
from coupon_service.lifecycle import Condition, voidable_condition
from coupon_service.point_items import PointsEntryItem
from coupon_service.store.point_parts import SETTLE_TRIES, credit_parts, refused_debt, settling
from coupon_service.store.table import Cancelled, Table, to_item, values


class VoidStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def claim(self, claim_id: str) -> ClaimItem | None:
        found = self.table.get(keys.claim(claim_id))
        return ClaimItem.model_validate(found) if found else None

    def void(
        self, claim: ClaimItem, *, reason: str, by: str, now: str, refund: PointsEntryItem | None = None
    ) -> ClaimItem:
        """Void the claimed coupon as read (same holder, same state, same gift), and settle the gift it is
        in; returns the coupon as voided. Refused (`Changed`): it moved on meanwhile, decide again.

        The transaction carries one request token through its retries, so a lost answer is not a refusal;
        the `voided_at`/`voided_by` written also let a caller's retry recognise its own void."""
        gift_id = claim.gift_id if claim.state == "gifting" else None
        as_read = Condition(
            "coupon_id = :coupon AND owner_id = :owner AND #st = :as_read",
            {"#st": "state"},
            {":coupon": claim.coupon_id, ":owner": claim.owner_id, ":as_read": claim.state},
        )
        if gift_id:
            as_read = as_read & Condition("gift_id = :gid", {}, {":gid": gift_id})
        condition = as_read & voidable_condition(now)
        named = {key.removeprefix(":"): value for key, value in condition.values.items()}
        named.update(void="void", now=now, by=by, reason=reason)
        operations: list[dict[str, Any]] = [
            {
                "Update": {
                    "Key": to_item(keys.claim(claim.claim_id)),
                    "UpdateExpression": "SET #st = :void, voided_at = :now, voided_by = :by, "
                    "void_reason = :reason REMOVE GSI3PK, GSI3SK, gift_id, gift_expires_at, gift_retires",
                    "ConditionExpression": condition.expression,
                    "ExpressionAttributeNames": dict(condition.names),
                    "ExpressionAttributeValues": values(**named),
                }
            }
        ]
        if gift_id:
            lapsed = claim.gift_expires_at is not None and claim.gift_expires_at <= now
            operations.append(_settle_gift(gift_id, lapsed=lapsed, now=now))
        self._transact(operations, refund)
        voided = {**claim.record(), "state": "void", "voided_at": now, "voided_by": by, "void_reason": reason}
        for gone in ("GSI3PK", "GSI3SK", "gift_id", "gift_expires_at", "gift_retires"):
            voided.pop(gone, None)
        return ClaimItem.model_validate(voided)

    def _transact(self, operations: list[dict[str, Any]], refund: PointsEntryItem | None) -> None:
        """The void's transaction, with a coupon claimed for points returning them to its claimer, once: blind
        to the claimer's debt first; refused for it alone, the return pays that debt first."""
        owed = 0
        for _ in range(SETTLE_TRIES):
            returned = [] if refund is None else credit_parts(settling(refund, owed), owed)
            try:
                self.table.transact(operations + [operation for _, operation in returned])
                return
            except Cancelled as cancelled:
                debt = None if refund is None else refused_debt(cancelled, len(operations))
                if debt is None:
                    raise Changed("this coupon changed while it was voided; try again") from None
                owed = debt
        raise Changed("this coupon changed while it was voided; try again")


def _settle_gift(gift_id: str, *, lapsed: bool, now: str) -> dict[str, Any]:
    """The pending gift of a coupon being voided: cancelled by the void (a friend's accept is refused), or
    recorded as expired when it had lapsed already; out of the reminder index either way."""
    settled = (
        "SET #st = :expired" if lapsed else "SET #st = :cancelled, cancelled_at = :now, cancelled_by = :void"
    )
    named: dict[str, Any] = {"pending": "pending"}
    named.update({"expired": "expired"} if lapsed else {"cancelled": "cancelled", "now": now, "void": "void"})
    return {
        "Update": {
            "Key": to_item(keys.gift(gift_id)),
            "UpdateExpression": f"{settled} REMOVE GSI3PK, GSI3SK",
            "ConditionExpression": "#st = :pending",
            "ExpressionAttributeNames": {"#st": "state"},
            "ExpressionAttributeValues": values(**named),
        }
    }
