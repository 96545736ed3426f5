"""Voiding one claimed coupon in the table: the coupon made void, out of the reminder index, and out of the
pending gift it was in (the gift settled), all in one transaction conditioned on the coupon as read."""

from __future__ import annotations

from typing import Any

from coupon_service import keys
from coupon_service.errors import Changed
from coupon_service.items import ClaimItem
from coupon_service.lifecycle import Condition, voidable_condition
from coupon_service.point_items import PointsEntryItem
from coupon_service.store.points import credit_parts
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
        if refund is not None:  # a coupon claimed for points: they go back to its claimer, once
            operations += [operation for _, operation in credit_parts(refund)]
        try:
            self.table.transact(operations)
        except Cancelled:
            raise Changed("this coupon changed while it was voided; try again") from None
        voided = {**claim.record(), "state": "void", "voided_at": now, "voided_by": by, "void_reason": reason}
        for gone in ("GSI3PK", "GSI3SK", "gift_id", "gift_expires_at", "gift_retires"):
            voided.pop(gone, None)
        return ClaimItem.model_validate(voided)


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
