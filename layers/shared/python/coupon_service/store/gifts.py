"""Gifts in the table: a claimed coupon given, accepted, cancelled or lapsed, each by one transaction.

Every transaction here writes the gift and its claimed coupon together, so ownership moves exactly once.
A refusal is turned into what it means for the caller here, never by its position elsewhere.
"""

from __future__ import annotations

from typing import Any

from coupon_service import keys
from coupon_service.errors import Changed, Conflict
from coupon_service.items import ClaimItem, GiftItem
from coupon_service.lifecycle import Condition, givable_condition
from coupon_service.store.reissue import fresh_code, retiring
from coupon_service.store.table import Cancelled, Table, to_item, values

_REFUSED = "ConditionalCheckFailed"


class GiftStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def claim(self, claim_id: str) -> ClaimItem | None:
        """The claimed coupon to give, as it is now."""
        found = self.table.get(keys.claim(claim_id))
        return ClaimItem.model_validate(found) if found else None

    def gift(self, gift_id: str) -> GiftItem | None:
        found = self.table.get(keys.gift(gift_id))
        return GiftItem.model_validate(found) if found else None

    def create_gift(self, gift: GiftItem, *, code: str, now: str) -> None:
        """The claimed coupon goes into the gift (still the giver's, with the code read, giftable, inside
        its window, in nobody else's pending gift) and the gift is put, under a new id.

        Refused: `Changed` (the claimed coupon is no longer as read, or a gift with this id exists)."""
        item = {
            **keys.gift(gift.gift_id),
            **keys.reminder_index(gift.gift_expires_at, gift.gift_id),  # the run settles it once lapsed
            **gift.model_dump(),
        }
        mine = {":me": gift.giver_id, ":code": code}
        condition = Condition("owner_id = :me AND code = :code", {}, mine) & givable_condition(now)
        named = {key.removeprefix(":"): value for key, value in condition.values.items()}
        named.update(
            gifting="gifting",
            gid=gift.gift_id,
            ends=gift.gift_expires_at,
            retires=retiring(code, gift_id=gift.gift_id),
        )
        claim = {
            "Key": to_item(keys.claim(gift.claim_id)),
            # What accepting retires: the code the giver holds now (and keeps seeing).
            "UpdateExpression": "SET #st = :gifting, gift_id = :gid, "
            "gift_expires_at = :ends, gift_retires = :retires",
            "ConditionExpression": condition.expression,
            "ExpressionAttributeNames": {"#st": "state", **condition.names},
            "ExpressionAttributeValues": values(**named),
        }
        put = {"Item": to_item(item), "ConditionExpression": "attribute_not_exists(PK)"}
        try:
            self.table.transact([{"Update": claim}, {"Put": put}])
        except Cancelled:
            raise Changed("this coupon changed while you gave it; try again") from None

    def accept_gift(self, gift: GiftItem, *, friend_id: str, friend_name: str, now: str) -> bool:
        """The friend takes the coupon: it moves wallets with a fresh code (the giver has seen the old one;
        the record of it was written when the gift was given, so no read of the claim is needed). Its window
        and reminder time stay; the per-customer claim counters are not touched (a coupon received does not
        count as claimed).

        False when the gift is no longer pending (accepted, cancelled or lapsed meanwhile: the caller reads
        what it became); `Conflict` `expired` when the coupon's own window ended."""
        code_sets, code_values = fresh_code(gift.merchant_id, "gift_retires")
        accept = {
            "Key": to_item(keys.gift(gift.gift_id)),
            "UpdateExpression": "SET #st = :accepted, friend_id = :friend, friend_name = :name, "
            "accepted_at = :now REMOVE GSI3PK, GSI3SK",
            "ConditionExpression": "#st = :pending AND gift_expires_at > :now",
            "ExpressionAttributeNames": {"#st": "state"},
            "ExpressionAttributeValues": values(
                accepted="accepted", pending="pending", friend=friend_id, name=friend_name, now=now
            ),
        }
        move = {
            "Key": to_item(keys.claim(gift.claim_id)),
            "UpdateExpression": "SET owner_id = :friend, #st = :available, GSI1PK = :wallet, "
            f"received_at = :now, received_from = :giver, {code_sets} "
            "REMOVE gift_id, gift_expires_at, gift_retires",
            "ConditionExpression": "gift_id = :gid AND #st = :gifting AND owner_id = :giver "
            "AND valid_until > :now",
            "ExpressionAttributeNames": {"#st": "state"},
            "ExpressionAttributeValues": values(
                friend=friend_id,
                available="available",
                gifting="gifting",
                wallet=keys.wallet(friend_id),
                now=now,
                giver=gift.giver_id,
                gid=gift.gift_id,
                **code_values,
            ),
        }
        try:
            self.table.transact([{"Update": accept}, {"Update": move}])
        except Cancelled as refused:
            if refused.code_at(0) == _REFUSED:
                return False
            # The gift was still pending: what refused is the coupon, whose window ended meanwhile.
            raise Conflict(
                "the coupon has expired", code="expired", details={"expired_at": gift.valid_until}
            ) from None
        return True

    def cancel_gift(self, gift: GiftItem, now: str) -> bool:
        """The giver takes the gift back while it is pending; False when it was accepted or lapsed
        meanwhile (the caller reads what it became)."""
        cancel = {
            "Key": to_item(keys.gift(gift.gift_id)),
            "UpdateExpression": "SET #st = :cancelled, cancelled_at = :now REMOVE GSI3PK, GSI3SK",
            "ConditionExpression": "#st = :pending AND gift_expires_at > :now",
            "ExpressionAttributeNames": {"#st": "state"},
            "ExpressionAttributeValues": values(cancelled="cancelled", pending="pending", now=now),
        }
        try:
            self.table.transact([{"Update": cancel}, _back_to_giver(gift)])
        except Cancelled:
            return False
        return True

    def expire_gift(self, gift_id: str, now: str) -> bool:
        """A pending gift past its lifetime recorded as expired and out of the reminder index, its coupon
        back with the giver; False when there is nothing to settle (accepted or cancelled meanwhile, or not
        lapsed). When the coupon already moved on (a newer gift after the lapse), only the record."""
        gift = self.gift(gift_id)
        if gift is None or not gift.lapsed(now):
            return False
        expire: dict[str, Any] = {
            "UpdateExpression": "SET #st = :expired REMOVE GSI3PK, GSI3SK",
            "ConditionExpression": "#st = :pending AND gift_expires_at <= :now",
            "ExpressionAttributeNames": {"#st": "state"},
            "ExpressionAttributeValues": values(expired="expired", pending="pending", now=now),
        }
        key = keys.gift(gift_id)
        try:
            self.table.transact([{"Update": {"Key": to_item(key), **expire}}, _back_to_giver(gift)])
        except Cancelled as refused:
            if refused.code_at(0) == _REFUSED:
                return False  # accepted or cancelled meanwhile
            try:
                self.table.update(key, **expire)
            except Cancelled:
                return False
        return True


def _back_to_giver(gift: GiftItem) -> dict[str, Any]:
    """The operation that takes a claimed coupon out of this gift, usable by its giver again."""
    return {
        "Update": {
            "Key": to_item(keys.claim(gift.claim_id)),
            "UpdateExpression": "SET #st = :available REMOVE gift_id, gift_expires_at, gift_retires",
            "ConditionExpression": "gift_id = :gid AND #st = :gifting",
            "ExpressionAttributeNames": {"#st": "state"},
            "ExpressionAttributeValues": values(available="available", gifting="gifting", gid=gift.gift_id),
        }
    }
