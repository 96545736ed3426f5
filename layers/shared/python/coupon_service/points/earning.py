"""Earning points from what a programme rewards, as its events arrive (each once per its source): an
order's points per amount spent, taken back in proportion on its refunds (never below zero: the shortfall
is on the entry), a points coupon's points once redeemed, an accepted invitation's both sides, a profile
completed and a card bound once per customer, content shared or posted once per customer and content.

Events come from the bus (the service's own, from the outbox), each delivered at least once: an event whose
entry exists already is skipped after one BatchGetItem for the batch; one delivered twice at once meets the
entry's condition, which keeps its first change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import NotFound
from coupon_service.point_items import PointsEntryItem, PointsSettingsItem, Reason
from coupon_service.point_rules import order_points, refund_points
from coupon_service.points.ledger import Ledger
from coupon_service.store.order_feed import OrderBook
from coupon_service.store.points import entry_id
from coupon_service.store.table import Table
from coupon_service.validity import to_iso

CREDITS_PER_TRANSACTION = 33  # three parts each (balance, lot, entry): a transaction holds at most 100
# The outside events that earn a rule's points once per their source: (rule, the detail naming the source,
# or None: once per customer ever).
ONCE: dict[str, tuple[Reason, str | None]] = {
    "ProfileCompleted": ("profile_completed", None),
    "CardBound": ("card_bound", None),
    "ContentShared": ("content_shared", "content_id"),
    "ContentPosted": ("content_posted", "content_id"),
}
KINDS = frozenset({"OrderPlaced", "OrderRefunded", "CouponRedeemed", "InvitationAccepted", *ONCE})


@dataclass(frozen=True)
class Award:
    """One change an event asks for: whose ledger, which source, why, how many points (< 0: take back)."""

    customer_id: str
    programme: str
    source: str
    reason: Reason
    points: int
    detail: dict[str, Any]


class OrderNotCreditedYet(Exception):
    """A refund's order will earn but has not yet: its message is delivered again."""


# How long after an order came in its refund waits for its credit (the order's message retried meanwhile);
# an older order without a credit earned nothing when it came (no rule then).
CATCH_UP = timedelta(minutes=15)


class Earning:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.clock = clock
        self.table = table or Table()
        self.ledger = Ledger(self.table, clock=clock)
        self.settings: dict[str, PointsSettingsItem] = {}  # per programme, for one batch

    def programme(self, merchant_id: str) -> PointsSettingsItem:
        if merchant_id not in self.settings:
            self.settings[merchant_id] = self.ledger.settings_store.settings(merchant_id)
        return self.settings[merchant_id]

    def apply_all(
        self, events: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[PointsEntryItem | Exception | None]:
        """Each event's last change (None: nothing to earn, or earned before), in order; an event that
        fails is its exception. The batch's earlier changes are found with one read and skipped; its new
        credits are written together, several ledgers a transaction; refunds go last, so they find the
        points of an order in the same batch."""
        results: list[PointsEntryItem | Exception | None] = [None] * len(events)
        credits: list[tuple[int, Award]] = []
        for index, (kind, detail) in enumerate(events):
            if kind == "OrderRefunded":
                continue
            try:
                credits += [(index, award) for award in self.awards(kind, detail)]
            except Exception as error:  # reported for that message alone; the queue delivers it again
                results[index] = error
        done = self.ledger.store.existing([_key(a) for _, a in credits])
        fresh: list[tuple[int, Award]] = []
        for index, award in credits:
            if _key(award) not in done:  # else delivered before (or twice in this batch): its change stands
                done.add(_key(award))
                fresh.append((index, award))
        for index, written in self._credit_together(fresh):
            if not isinstance(results[index], Exception):
                results[index] = written
        for index, (kind, detail) in enumerate(events):
            if kind == "OrderRefunded":
                results[index] = self._apply_or_error(kind, detail)
        return results

    def _apply_or_error(self, kind: str, detail: Mapping[str, Any]) -> PointsEntryItem | Exception | None:
        try:
            return self.apply(kind, detail)
        except Exception as error:  # reported for that message alone; the queue delivers it again
            return error

    def _credit_together(
        self, awards: list[tuple[int, Award]]
    ) -> list[tuple[int, PointsEntryItem | Exception]]:
        """Credits of distinct ledgers in one transaction each chunk; a chunk refused (a duplicate raced
        in) is written one by one, each then answered by its own entry."""
        written: list[tuple[int, PointsEntryItem | Exception]] = []
        chunk: list[tuple[int, PointsEntryItem]] = []
        ledgers: set[tuple[str, str]] = set()

        def flush() -> None:
            entries = [entry for _, entry in chunk]
            if len(entries) > 1 and self.ledger.store.change_together(entries):
                written.extend(chunk)
            else:
                for index, entry in chunk:
                    try:
                        written.append((index, self.ledger.store.change(entry)))
                    except Exception as error:
                        written.append((index, error))
            chunk.clear()
            ledgers.clear()

        for index, award in awards:
            ledger = (award.customer_id, award.programme)
            if ledger in ledgers or len(chunk) >= CREDITS_PER_TRANSACTION:
                flush()
            settings = self.programme(award.programme)
            entry = self.ledger.entry(
                award.customer_id,
                award.programme,
                award.source,
                award.reason,
                award.points,
                expires_at=self.ledger.expires_at(settings),
                detail=award.detail,
            )
            chunk.append((index, entry))
            ledgers.add(ledger)
        if chunk:
            flush()
        return written

    def apply(self, kind: str, detail: Mapping[str, Any]) -> PointsEntryItem | None:
        last = None
        for award in self.awards(kind, detail):
            last = self.give(award)
        return last

    def awards(self, kind: str, detail: Mapping[str, Any]) -> list[Award]:
        if kind == "OrderPlaced":
            return self._order(detail)
        if kind == "OrderRefunded":
            return self._refund(detail)
        if kind == "CouponRedeemed" and detail.get("points"):
            # A points coupon credits its points once per claimed coupon, whatever happens to the redemption.
            source = f"points_coupon:{detail['claim_id']}"
            about = {"coupon_id": detail["coupon_id"], "claim_id": detail["claim_id"]}
            return [
                Award(
                    detail["customer_id"],
                    detail["merchant_id"],
                    source,
                    "points_coupon",
                    int(detail["points"]),
                    about,
                )
            ]
        if kind == "InvitationAccepted":
            return self._invitation(detail)
        if kind in ONCE:
            return self._once(kind, detail)
        return []

    def _once(self, kind: str, detail: Mapping[str, Any]) -> list[Award]:
        """A profile completed or a card bound earns once per customer ever (a second card earns nothing);
        content shared or posted once per customer and content."""
        reason, named_by = ONCE[kind]
        points = int(self.programme(detail["merchant_id"]).earning.get(reason) or 0)
        if points <= 0:
            return []
        source = reason if named_by is None else f"{reason}:{detail[named_by]}"
        about = {k: detail[k] for k in ("card_id", "content_id") if k in detail}
        return [Award(detail["customer_id"], detail["merchant_id"], source, reason, points, about)]

    def _order(self, detail: Mapping[str, Any]) -> list[Award]:
        rule = self.programme(detail["merchant_id"]).earning.get("order")
        if not rule:
            return []
        points = order_points(rule, int(detail["amount"]), str(detail["currency"]))
        about = {"order_id": detail["order_id"], "amount": int(detail["amount"])}
        source = f"order:{detail['order_id']}"
        return (
            [Award(detail["customer_id"], detail["merchant_id"], source, "order", points, about)]
            if points
            else []
        )

    def _refund(self, detail: Mapping[str, Any]) -> list[Award]:
        customer, merchant = detail["customer_id"], detail["merchant_id"]
        earned = self.ledger.store.entry(customer, merchant, f"order:{detail['order_id']}")
        if earned is None:
            self._order_not_credited_yet(detail)
            return []  # the order earned nothing: nothing to take back
        if earned.points <= 0:
            return []
        amount = int((earned.detail or {}).get("amount") or 0)
        take = refund_points(earned.points, amount, int(detail["amount"]))
        about = {"order_id": detail["order_id"], "refund_id": detail["refund_id"]}
        source = f"refund:{detail['refund_id']}"
        return [Award(customer, merchant, source, "refund", -take, about)] if take else []

    def _order_not_credited_yet(self, detail: Mapping[str, Any]) -> None:
        """A refund that overtook its order's credit (two batches at once, or the order's message being
        retried) is refused, so the queue delivers it again after the credit, when the order would earn
        and came in lately; else the order earned nothing and there is nothing to take back."""
        rule = self.programme(detail["merchant_id"]).earning.get("order")
        if not rule:
            return
        try:
            order = OrderBook(self.table).order_of(detail["merchant_id"], detail["order_id"])
        except NotFound:
            return
        recent = order.received_at >= to_iso(self.clock.now() - CATCH_UP)
        if recent and order_points(rule, order.amount, order.currency) > 0:
            raise OrderNotCreditedYet(f"order {detail['order_id']}'s points are not credited yet")

    def _invitation(self, detail: Mapping[str, Any]) -> list[Award]:
        rule = self.programme(detail["merchant_id"]).earning.get("invitation_accepted")
        if not rule:
            return []
        invitation, merchant = detail["invitation_id"], detail["merchant_id"]
        about = {"invitation_id": invitation}
        invitee = detail["invitee_id"]
        # The invitee earns once ever, whoever invited them and however many invitations they accept; the
        # inviter once per customer brought in (never again for the same invitee by another invitation).
        sides = (
            ("inviter", detail["inviter_id"], f"invitation:inviter:{invitee}"),
            ("invitee", invitee, "invitation:invitee"),
        )
        return [
            Award(
                who,
                merchant,
                source,
                "invitation_accepted",
                int(rule[side]),
                about,
            )
            for side, who, source in sides
            if int(rule.get(side) or 0) > 0
        ]

    def give(self, award: Award) -> PointsEntryItem:
        if award.points > 0:
            settings = self.programme(award.programme)
            return self.ledger.credit(
                award.customer_id,
                award.programme,
                award.source,
                award.reason,
                award.points,
                settings=settings,
                detail=award.detail,
            )
        return self.ledger.take_back(
            award.customer_id, award.programme, award.source, award.reason, -award.points, detail=award.detail
        )


def _key(award: Award) -> tuple[str, str, str]:
    return (award.customer_id, award.programme, entry_id(award.source))
