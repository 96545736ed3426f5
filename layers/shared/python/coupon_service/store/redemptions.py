"""Redemptions in the table: the one transaction that uses a claimed coupon, its reversal, the order's
coupons (`store.orders`), and the reads a till and a customer need first."""

from __future__ import annotations

from typing import Any

from coupon_service import keys
from coupon_service.errors import Conflict
from coupon_service.items import ClaimItem, RedemptionItem
from coupon_service.lifecycle import Condition, redeemable_condition
from coupon_service.order_items import OrderCouponsItem
from coupon_service.store.budget import BudgetShards, giving_back, pieces, recorded, taking
from coupon_service.store.guards import Reservation
from coupon_service.store.merchants import MerchantSettingsStore
from coupon_service.store.orders import OrderChanged, OrderTaken, free_order, refused_order, take_order
from coupon_service.store.reissue import fresh_code, retiring
from coupon_service.store.table import Backoff, Cancelled, Table, to_item, values

__all__ = ["ClaimMoved", "OrderChanged", "OrderTaken", "RedemptionStore"]


class ClaimMoved(Conflict):
    """The claimed coupon was not as read (used, reversed, gifted, expired meanwhile): `current` is the claim
    as it is now (None when gone), for the caller to decide on once more."""

    def __init__(self, current: ClaimItem | None) -> None:
        super().__init__("this coupon has already been used", code="already_used")
        self.current = current


class _BudgetShort(Exception):
    """A budget shard the redemption counted on no longer had its piece."""


class RedemptionStore:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()
        self.budget = BudgetShards(self.table)

    # --- reads -----------------------------------------------------------------------------------

    def claim(self, claim_id: str) -> ClaimItem | None:
        item = self.table.get(keys.claim(claim_id))
        return ClaimItem.model_validate(item) if item else None

    def max_stacked(self, merchant_id: str) -> int:
        """How many stackable coupons an order at the merchant takes (its settings)."""
        return MerchantSettingsStore(self.table).max_stacked(merchant_id)

    def redemption(self, redemption_id: str) -> RedemptionItem | None:
        item = self.table.get(keys.redemption(redemption_id))
        return RedemptionItem.model_validate(item) if item else None

    def claims_with_code(self, issuer_id: str, code: str) -> list[ClaimItem]:
        """The claimed coupons whose current code is `code` as issued by `issuer_id` (the code index)."""
        index = keys.claim_code_index(issuer_id, code)
        items, _ = self.table.query(
            index="GSI2",
            key_condition="GSI2PK = :p AND GSI2SK = :s",
            ExpressionAttributeValues=values(p=index["GSI2PK"], s=index["GSI2SK"]),
        )
        return [ClaimItem.model_validate(item) for item in items]

    # --- the one write ---------------------------------------------------------------------------

    def redeem(
        self,
        claim: ClaimItem,
        redemption: RedemptionItem,
        give_back: list[Reservation],
        order: OrderCouponsItem | None = None,
    ) -> RedemptionItem:
        """Use the claimed coupon as read, record the redemption, give back the attempts and lookups its
        code cost, join its order (when `order_merchant` names one; `order`: the order's item as the caller
        read it, None: assumed new) and take its discount from the coupon's budget (when the claim has
        one). Refused: `OrderTaken` naming the order's main coupon when this one does not stack either,
        `OrderChanged` with the order's item when it is not as assumed, `BudgetExhausted` when the whole
        budget cannot cover it, else `ClaimMoved` with the claim as it is now. Returns the redemption as
        stored (with the budget shards it took from)."""
        if redemption.order_merchant:  # the order's change it makes: what its reversal gives back
            redemption = redemption.model_copy(
                update={"order_seq": ((order.seq or 0) if order is not None else 0) + 1}
            )
        shard_count = int(claim.budget_shards or 0)
        amount = redemption.budget_counted or 0
        if not (shard_count and amount):
            self._redeem_once(claim, redemption, give_back, order)
            return redemption
        choice = self.budget.unread_choice(shard_count, amount)
        backoff = Backoff()
        while True:
            attempt = redemption.model_copy(update={"budget_taken": recorded(choice)})
            try:
                self._redeem_once(claim, attempt, give_back, order)
                return attempt
            except _BudgetShort:
                backoff.pause()  # past the deadline: busy, nothing taken
                choice = self.budget.choice_now(claim.coupon_id, shard_count, amount)

    def _redeem_once(
        self,
        claim: ClaimItem,
        redemption: RedemptionItem,
        give_back: list[Reservation],
        order: OrderCouponsItem | None,
    ) -> None:
        use = self.using(claim, redemption)
        operations = [
            *use,
            {
                "Put": {
                    "Item": to_item(_stored(redemption)),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            *(reservation.operation() for reservation in give_back),
        ]
        order_at = len(operations) if redemption.order_merchant else None
        if order_at is not None:
            operations.append(take_order(claim, redemption, order))
        budget_at = len(operations)
        operations += [
            taking(redemption.coupon_id, shard, amount)
            for shard, amount in pieces(redemption.budget_taken or {})
        ]
        try:
            self.table.transact(operations)
        except Cancelled as cancelled:
            if order_at is not None and cancelled.code_at(order_at) == "ConditionalCheckFailed":
                raise refused_order(cancelled.old(order_at), redemption) from None
            refused = set(cancelled.failed())
            if refused and min(refused) >= budget_at:
                raise _BudgetShort() from None
            raise self.moved(cancelled, claim, redemption, len(use)) from None

    def using(self, claim: ClaimItem, redemption: RedemptionItem) -> list[dict[str, Any]]:
        """What the redemption's transaction uses: the claimed coupon as read."""
        return [self._use(claim, redemption.redemption_id, redemption.redeemed_at)]

    def moved(
        self, cancelled: Cancelled, claim: ClaimItem, redemption: RedemptionItem, put_at: int
    ) -> Exception:
        """What a refusal of what `using` conditioned (or of the redemption's put at `put_at`) means."""
        return ClaimMoved(self.claim(claim.claim_id))

    def given_back(self, redemption: RedemptionItem) -> list[dict[str, Any]]:
        """What a reversal gives back besides the claim, the order and the budget (nothing, here)."""
        return []

    @staticmethod
    def _use(claim: ClaimItem, redemption_id: str, now: str) -> dict[str, Any]:
        round_ = claim.reversals or 0
        # The code too: a gift or a reversal gives the coupon a new one, and the old one is spent.
        held = {":owner": claim.owner_id, ":code": claim.code}
        same_round = (
            Condition("reversals = :round", {}, {":round": round_})
            if round_
            else Condition("attribute_not_exists(reversals)")
        )
        condition = (
            Condition("owner_id = :owner AND code = :code", {}, held) & redeemable_condition(now) & same_round
        )
        named = {key.removeprefix(":"): value for key, value in condition.values.items()}
        named.update(used="used", rid=redemption_id, now=now)
        return {
            "Update": {
                "Key": to_item(keys.claim(claim.claim_id)),
                "UpdateExpression": "SET #st = :used, redemption_id = :rid, used_at = :now "
                "REMOVE GSI3PK, GSI3SK",
                "ConditionExpression": condition.expression,
                "ExpressionAttributeNames": {"#st": "state", **condition.names},
                "ExpressionAttributeValues": values(**named),
            }
        }

    # --- reversal --------------------------------------------------------------------------------

    def reverse(
        self, redemption: RedemptionItem, claim: ClaimItem | None, by: str, now: str
    ) -> RedemptionItem:
        """Mark the redemption reversed; the claimed coupon usable again with a fresh code while its window
        is open; its order free for another coupon. Reversed already (concurrently): that reversal."""
        usable_again = claim is not None and claim.valid_until > now
        operations = [
            {
                "Update": {
                    "Key": to_item(keys.redemption(redemption.redemption_id)),
                    "UpdateExpression": "SET reversed_at = :now, reversed_by = :by, usable_again = :again",
                    "ConditionExpression": "attribute_not_exists(reversed_at)",
                    "ExpressionAttributeValues": values(now=now, by=by, again=usable_again),
                }
            }
        ]
        if usable_again and claim is not None:
            operations.append(_make_usable(claim, redemption.redemption_id, now))
        if redemption.order_merchant:  # the order is free for another coupon
            operations.append(free_order(redemption))
        operations += self.given_back(redemption)
        operations += [  # the budget back to the shards it came from
            giving_back(redemption.coupon_id, shard, amount)
            for shard, amount in pieces(redemption.budget_taken or {})
        ]
        try:
            self.table.transact(operations)
        except Cancelled:
            current = self.redemption(redemption.redemption_id)
            if current and current.reversed_at:
                return current
            raise
        return redemption.model_copy(update={"reversed_at": now, "usable_again": usable_again})


def _make_usable(claim: ClaimItem, redemption_id: str, now: str) -> dict[str, Any]:
    """The claim back to available, one reversal round further, with a fresh code (whoever saw the old
    one at the till cannot use it again), and back in the reminder index."""
    code_sets, code_values = fresh_code(claim.merchant_id, ":retired")
    sets = f"#st = :available, reversals = if_not_exists(reversals, :zero) + :one, {code_sets}"
    named: dict[str, Any] = {
        "available": "available",
        "zero": 0,
        "one": 1,
        "rid": redemption_id,
        "used": "used",
        "retired": retiring(claim.code, redemption_id=redemption_id),
        **code_values,
    }
    remind_at = claim.remind_at
    if remind_at and remind_at > now and not claim.reminded_at:
        index = keys.reminder_index(remind_at, claim.claim_id)
        sets += ", GSI3PK = :g3pk, GSI3SK = :g3sk"
        named.update(g3pk=index["GSI3PK"], g3sk=index["GSI3SK"])
    return {
        "Update": {
            "Key": to_item(keys.claim(claim.claim_id)),
            "UpdateExpression": f"SET {sets} REMOVE redemption_id, used_at",
            "ConditionExpression": "redemption_id = :rid AND #st = :used",
            "ExpressionAttributeNames": {"#st": "state"},
            "ExpressionAttributeValues": values(**named),
        }
    }


def _stored(redemption: RedemptionItem) -> dict[str, Any]:
    return {
        **keys.redemption(redemption.redemption_id),
        "type": "redemption",
        **redemption.model_dump(exclude_none=True),
        **keys.redemption_index(redemption.coupon_id, redemption.redeemed_at, redemption.redemption_id),
    }
