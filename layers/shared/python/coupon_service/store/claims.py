"""The claim aggregate's DynamoDB side: the claim transactions, the claimed coupon by id, the wallet.

A claim is one transaction of three parts, each refusal read by the part's name (never by its place in
the list): the shard's part (a unit taken, or a pool position's mark released), the customer's holding
(the per-customer limit) and the claim's put (its id, derived from the Idempotency-Key, unique). A coupon
priced in points adds the ledger's debit and entry; the debit refused for points already due to expire, the
ledger's due lots are expired at once and the transaction is tried once more.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coupon_service import keys
from coupon_service.claim_watch import DeviceLimitReached
from coupon_service.errors import Busy, DuplicateClaim, LimitReached, NotEnoughPoints, NotFound
from coupon_service.items import ClaimItem, CouponItem
from coupon_service.lifecycle import WalletStatus, wallet_view
from coupon_service.store.claim_watch import watch_parts
from coupon_service.store.point_expiry import PointsExpiryStore
from coupon_service.store.points import claim_debit_parts as points_parts
from coupon_service.store.points import points_due
from coupon_service.store.pool import Pool
from coupon_service.store.shards import OPEN, open_values, refuse_closed, shard_as_read
from coupon_service.store.table import (
    Cancelled,
    StoreBusy,
    Table,
    decode_token,
    encode_token,
    to_item,
    values,
)

FAILED = "ConditionalCheckFailed"


class _Transaction:
    """Transaction parts by name, so a refusal is read by the part it concerns."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.operations: list[dict[str, Any]] = []

    def add(self, name: str, operation: dict[str, Any]) -> None:
        self.names.append(name)
        self.operations.append(operation)

    def refused(self, cancelled: Cancelled) -> dict[str, dict[str, Any] | None]:
        """The parts whose condition failed, with the item each found."""
        return {
            name: old
            for name, (code, old) in zip(self.names, cancelled.reasons, strict=False)
            if code == FAILED
        }


class ClaimStore:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()
        self.pool = Pool(self.table)

    # --- reads ----------------------------------------------------------------------------------

    def coupon_terms(self, coupon_id: str) -> CouponItem | None:
        """The coupon as a claim copies it (eventually consistent: the shard's condition is the authority)."""
        item = self.table.get(keys.coupon(coupon_id), consistent=False)
        return None if item is None else CouponItem.model_validate(item)

    def in_audience(self, coupon_id: str, customer_id: str) -> bool:
        return self.table.get(keys.audience_member(coupon_id, customer_id), consistent=False) is not None

    def claim(self, claim_id: str) -> ClaimItem | None:
        item = self.table.get(keys.claim(claim_id))
        return None if item is None else ClaimItem.model_validate(item)

    def owned_claim(self, owner_id: str, claim_id: str) -> ClaimItem:
        """A claimed coupon its caller holds; anyone else's, or none, is the same 404."""
        claim = self.claim(claim_id)
        if claim is None or claim.owner_id != owner_id:
            raise NotFound("no such coupon in your wallet", field="claimId")
        return claim

    def wallet_page(
        self, owner_id: str, status: WalletStatus | None, now: str, limit: int, token: str | None
    ) -> tuple[list[ClaimItem], str | None]:
        """One page of a customer's wallet, soonest expiry first, with the token of the next page."""
        partition = keys.wallet(owner_id)
        listing = f"wallet:{status or 'all'}"  # a token of one status filter is no start for another
        start = decode_token(token, partition=("GSI1PK", partition), listing=listing)
        condition = "GSI1PK = :p"
        named: dict[str, Any] = {"p": partition}
        request: dict[str, Any] = {}
        if status is not None:
            view = wallet_view(status, now)
            if view.side is not None:
                condition += " AND GSI1SK " + (">" if view.side == "unexpired" else "<") + " :bound"
                named["bound"] = keys.wallet_expiry_bound(now)
            named.update({k.removeprefix(":"): v for k, v in view.filter.values.items()})
            request["FilterExpression"] = view.filter.expression
            request["ExpressionAttributeNames"] = dict(view.filter.names)
        items, last = self.table.query(
            index="GSI1",
            key_condition=condition,
            limit=limit,
            start_key=start,
            ExpressionAttributeValues=values(**named),
            **request,
        )
        return [ClaimItem.model_validate(i) for i in items], encode_token(last, listing=listing)

    # --- the claim transactions -----------------------------------------------------------------

    def take_unit(
        self, claim: ClaimItem, *, limited: bool, limit: int, now: str, expected: str = "active"
    ) -> bool:
        """A `random_on_claim` claim: a unit of the claim's shard, the holding and the claim, at once.
        False if the shard has no unit left; raises ClaimsClosed, LimitReached or DuplicateClaim.
        `expected`: the shard's status (`draft` for a test release's claim)."""
        condition = OPEN + (" AND remaining > :zero" if limited else "")
        named: dict[str, Any] = {"one": 1, **open_values(now, expected)}
        if limited:
            named.update(zero=0, minus=-1)
        transaction = _Transaction()
        transaction.add(
            "shard",
            {
                "Update": {
                    "Key": to_item(keys.shard(claim.coupon_id, claim.shard)),
                    "UpdateExpression": "ADD claimed :one" + (", remaining :minus" if limited else ""),
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": values(**named),
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
        )
        self._holding_and_claim(transaction, claim, limit)
        cancelled = self._commit(transaction, claim)
        if cancelled is None:
            return True
        refused = transaction.refused(cancelled)
        _raise_for_claim(refused, limit, claim)
        refuse_closed(shard_as_read(refused.get("shard")), now, expected)
        return False

    def claim_position(self, claim: ClaimItem, *, limit: int) -> None:
        """A pooled claim's transaction once its position is taken: the mark released, the holding, the
        claim. Refused (LimitReached, DuplicateClaim), or surely never applied, the position goes back
        first; with an unknown outcome the mark stays, so the position is never handed out twice."""
        position = claim.position if claim.position is not None else -1
        transaction = _Transaction()
        transaction.add("release", Pool.release(claim.coupon_id, claim.shard, position, claim.claim_id))
        self._holding_and_claim(transaction, claim, limit)
        try:
            cancelled = self._commit(transaction, claim)
        except StoreBusy as busy:
            if not busy.unknown_outcome:  # never applied: the position goes back before we answer
                self.pool.give_back(claim.coupon_id, claim.shard, position, claim.claim_id)
            raise
        if cancelled is None:
            return
        # Refused for sure (a repeat of a committed transaction succeeds by its request token).
        self.pool.give_back(claim.coupon_id, claim.shard, position, claim.claim_id)
        _raise_for_claim(transaction.refused(cancelled), limit, claim)
        raise cancelled

    def _commit(self, transaction: _Transaction, claim: ClaimItem) -> Cancelled | None:
        """The claim's transaction: None once written, else its refusal. A points debit refused only for
        points already due to expire (what the hourly run has not reached yet) expires that ledger's due
        lots, exactly once as the run does, and the transaction is tried once more. The expiry itself busy
        (its own outcome unknown or not), the claim's transaction still was refused: that refusal is the
        answer (a 503 once the caller gave back what it took)."""
        for attempt in range(2):
            try:
                self.table.transact(transaction.operations)
                return None
            except Cancelled as cancelled:
                refused = transaction.refused(cancelled)
                if attempt or not _only_points_due(refused, claim.claimed_at):
                    return cancelled
                first = cancelled
            programme = claim.points_programme or claim.merchant_id
            try:
                PointsExpiryStore(self.table).expire_ledger(
                    claim.claimer_id, programme, claim.claimed_at, read=refused["points"]
                )
            except StoreBusy:
                return first
        raise AssertionError("the second attempt returns")

    @staticmethod
    def _holding_and_claim(transaction: _Transaction, claim: ClaimItem, limit: int) -> None:
        transaction.add(
            "holding",
            {
                "Update": {
                    "Key": to_item(keys.holder(claim.owner_id, claim.coupon_id)),
                    "UpdateExpression": "SET #t = :type ADD #c :one",
                    "ConditionExpression": "attribute_not_exists(#c) OR #c < :limit",
                    "ExpressionAttributeNames": {"#t": "type", "#c": "count"},
                    "ExpressionAttributeValues": values(type="holder", one=1, limit=limit),
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
        )
        for name, operation in watch_parts(claim):  # a device's limit, the abuse watch (none: nothing)
            transaction.add(name, operation)
        for name, operation in points_parts(claim):  # a coupon priced in points: the debit (none: nothing)
            transaction.add(name, operation)
        transaction.add(
            "claim",
            {
                "Put": {
                    "Item": to_item(claim.record()),
                    "ConditionExpression": "attribute_not_exists(PK)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
        )


def _only_points_due(refused: Mapping[str, dict[str, Any] | None], now: str) -> bool:
    """Refused for points due to expire, and for nothing that answers first (a duplicate, a limit)."""
    return points_due(refused.get("points"), now) and not {"claim", "holding", "device"} & set(refused)


def _raise_for_claim(refused: Mapping[str, dict[str, Any] | None], limit: int, claim: ClaimItem) -> None:
    """Duplicate key beats the limit: a retry of a claim that succeeded returns that claim."""
    if "claim" in refused:
        raise DuplicateClaim(refused["claim"] or {})
    if "holding" in refused:
        raise LimitReached(limit)
    if "device" in refused:
        raise DeviceLimitReached(claim.per_device_limit or 0)
    if "points" in refused:
        if points_due(refused["points"], claim.claimed_at):  # expired once already, and due again
            raise Busy("points of this ledger are being expired; try again", field="points")
        raise NotEnoughPoints(claim.points_price or 0)
