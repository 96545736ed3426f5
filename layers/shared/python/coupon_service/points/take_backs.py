"""What the points worker takes back, never below zero (what the balance cannot give is the entry's
shortfall): an order's points as it is refunded, and a points coupon's credit when its redemption is
reversed.

Refunds are cumulative: after refunds totalling R of an order of amount A that earned E, the points wanted
back are floor(E * min(R, A) / A) in all, however the refunds were split, ordered, repeated or applied at
once. The order's credit entry holds the totals and the refunds counted; each refund's transaction moves
them on condition they are as read (read again otherwise), so a refund counts once.

A points coupon credits each redemption (`points_coupon:{redemptionId}`) and its reversal takes that back
(`points_coupon_reversed:{redemptionId}`), so the customer holds the points of the redemptions that stand.
A reversal that overtook its redemption's credit goes back to the queue and is applied after it; one of a
redemption older than CATCH_UP without a credit takes nothing, and writes its entry with 0 points on
condition that the credit is still absent: standing, that entry keeps the credit from landing later (a
dead-letter redrive). A refund of an order that would earn, older than CATCH_UP and without a credit, closes
the order the same way: it writes the order's entry (`order:{id}`) with 0 points, so a late credit finds its
source taken and credits nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from coupon_service.clock import Clock
from coupon_service.errors import Changed, NotFound
from coupon_service.order_items import ReportedOrderItem
from coupon_service.point_items import PointsEntryItem, PointsSettingsItem
from coupon_service.point_rules import order_points, refund_points
from coupon_service.points.ledger import Ledger
from coupon_service.store.order_feed import OrderBook
from coupon_service.store.point_refunds import PointRefunds, Refund, Refused
from coupon_service.validity import to_iso

TRIES = 8  # a refund's reads and transaction, again while other refunds of its order move the totals

# How long after an order came in its refund waits for its credit (the order's message retried meanwhile);
# an older order without a credit earned nothing when it came (no rule then). The same for a reversal and its
# redemption's credit. The queue's 4 deliveries 180 s apart end well within it.
CATCH_UP = timedelta(minutes=15)


class OrderNotCreditedYet(Exception):
    """A refund's order will earn but has not yet: its message is delivered again."""


class RedemptionNotCreditedYet(Exception):
    """A reversal's redemption credits points but has not yet: its message is delivered again."""


class TakeBacks:
    def __init__(
        self, ledger: Ledger, *, clock: Clock, programme: Callable[[str], PointsSettingsItem]
    ) -> None:
        self.ledger = ledger
        self.store = ledger.store
        self.refunds = PointRefunds(ledger.table)
        self.clock = clock
        self.programme = programme

    def refund(self, detail: Mapping[str, Any]) -> PointsEntryItem | None:
        """The refund's entry (None: nothing to take back yet, or counted before)."""
        customer, merchant = detail["customer_id"], detail["merchant_id"]
        refund_id, amount = str(detail["refund_id"]), int(detail["amount"])
        source = f"refund:{refund_id}"
        about = {"order_id": detail["order_id"], "refund_id": refund_id}
        held: int | None = None  # the balance a refused debit found
        for _ in range(TRIES):
            order = self.store.entry(customer, merchant, f"order:{detail['order_id']}")
            if order is None:
                if self._order_to_close(detail) is None:
                    return None  # the order earned nothing: nothing to take back
                closed, wrote = self.store.changed(self._closing(detail))
                if wrote:
                    return closed
                continue  # its credit (or another refund's closing) landed meanwhile: read it
            if order.points <= 0 or refund_id in (order.refunds or {}):
                return None
            order_amount = int((order.detail or {}).get("amount") or 0)
            total = refund_points(order.points, order_amount, (order.refunded or 0) + amount)
            want = total - (order.taken_back or 0)
            entry = None
            if want > 0:
                taken = want if held is None else max(0, min(held, want))
                entry = self.ledger.entry(
                    customer,
                    merchant,
                    source,
                    "refund",
                    -taken,
                    shortfall=want - taken,
                    wanted=want,
                    detail=about,
                )
            answer = self.refunds.record(order, Refund(refund_id, amount, total), entry)
            if not isinstance(answer, Refused):
                return answer
            held = answer.held
        raise Changed(f"order {detail['order_id']}'s refunds kept moving; try again")

    def _order_to_close(self, detail: Mapping[str, Any]) -> ReportedOrderItem | None:
        """A refund that overtook its order's credit (two batches at once, or the order's message being
        retried) is refused, so the queue delivers it again after the credit, when the order would earn
        and came in lately. An older order that would earn is returned (its credit may yet land, from the
        dead-letter queue: the refund closes it); None: the order earns nothing, nothing to take back."""
        rule = self.programme(detail["merchant_id"]).earning.get("order")
        if not rule:
            return None
        try:
            order = OrderBook(self.ledger.table).order_of(detail["merchant_id"], detail["order_id"])
        except NotFound:
            return None
        if order_points(rule, order.amount, order.currency) <= 0:
            return None
        if order.received_at >= to_iso(self.clock.now() - CATCH_UP):
            raise OrderNotCreditedYet(f"order {detail['order_id']}'s points are not credited yet")
        return order

    def _closing(self, detail: Mapping[str, Any]) -> PointsEntryItem:
        """The order's entry written by a refund that came first, past CATCH_UP: 0 points, the refund
        counted; an order refunded, in whole or in part, before its points landed earns nothing."""
        refund_id, amount = str(detail["refund_id"]), int(detail["amount"])
        return self.ledger.entry(
            detail["customer_id"],
            detail["merchant_id"],
            f"order:{detail['order_id']}",
            "refund",
            0,
            detail={"order_id": detail["order_id"], "refund_id": refund_id},
            refunded=amount,
            taken_back=0,
            refund_count=1,
            refunds={refund_id: amount},
        )

    def reversal(self, detail: Mapping[str, Any]) -> PointsEntryItem | None:
        """A reversed redemption of a points coupon: its credit taken back, once; a redemption without a
        credit, past CATCH_UP, undone (its reversal's entry, 0 points, written while the credit is absent)."""
        if int(detail.get("points") or 0) <= 0:
            return None
        customer, programme = detail["customer_id"], detail["merchant_id"]
        redemption, claim = detail["redemption_id"], detail["claim_id"]
        about = {"coupon_id": detail["coupon_id"], "claim_id": claim, "redemption_id": redemption}
        for _ in range(TRIES):
            credit, source = self._credit_of(detail)
            if credit is not None:
                return self.ledger.take_back(
                    customer, programme, source, "points_coupon_reversed", credit.points, detail=about
                )
            self._redemption_not_credited_yet(detail)
            undone = self.ledger.entry(customer, programme, source, "points_coupon_reversed", 0, detail=about)
            written = self.store.undo(undone, f"points_coupon:{redemption}")
            if written is not None:
                return written
        raise Changed(f"redemption {redemption}'s credit kept moving; try again")

    def _credit_of(self, detail: Mapping[str, Any]) -> tuple[PointsEntryItem | None, str]:
        """The credit a reversal takes back and the reversal's source (None: not credited)."""
        customer, programme = detail["customer_id"], detail["merchant_id"]
        redemption, claim = detail["redemption_id"], detail["claim_id"]
        credit = self.store.entry(customer, programme, f"points_coupon:{redemption}")
        if credit is not None:
            return credit, f"points_coupon_reversed:{redemption}"
        # A claim credited once before credits were per redemption (`points_coupon:{claimId}`) stands for
        # the redemptions made before that credit: their reversal takes it back, once.
        legacy = self.store.entry(customer, programme, f"points_coupon:{claim}")
        if legacy is None or legacy.at < str(detail.get("redeemed_at") or ""):
            return None, f"points_coupon_reversed:{redemption}"
        return legacy, f"points_coupon_reversed:{claim}"

    def _redemption_not_credited_yet(self, detail: Mapping[str, Any]) -> None:
        """A reversal that finds no credit of its redemption goes back to the queue while the redemption is
        recent (its credit may be on its way: two batches at once, or its message being retried); a
        redemption older than CATCH_UP was never credited (it predates per-redemption credits, or came
        before the worker took points coupons) or its credit is late (a dead-letter redrive): nothing to
        take back, and the reversal's entry keeps that credit from landing."""
        if str(detail.get("redeemed_at") or "") >= to_iso(self.clock.now() - CATCH_UP):
            redemption = detail["redemption_id"]
            raise RedemptionNotCreditedYet(f"redemption {redemption}'s points are not credited yet")
