"""Earning points from what a programme rewards, as its events arrive (each once per its source): an
order's points per amount spent (taken back in proportion as it is refunded, `points.take_backs`), a points
coupon's points per redemption (taken back when it is reversed), an accepted invitation's both sides, a
profile completed and a card bound once per customer, content shared or posted once per customer and
content.

Events come from the bus (the service's own, from the outbox), each delivered at least once: an event whose
entry exists already is skipped after one BatchGetItem for the batch; one delivered twice at once meets the
entry's condition, which keeps its first change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import CreditUndone
from coupon_service.point_items import PointsEntryItem, PointsSettingsItem, Reason
from coupon_service.point_rules import order_points
from coupon_service.points.ledger import Ledger
from coupon_service.points.take_backs import TakeBacks
from coupon_service.store.points import entry_id, undone_by
from coupon_service.store.table import Table

CREDITS_PER_TRANSACTION = 33  # three parts each (balance, lot, entry): a transaction holds at most 100
# The outside events that earn a rule's points once per their source: (rule, the detail naming the source,
# or None: once per customer ever).
ONCE: dict[str, tuple[Reason, str | None]] = {
    "ProfileCompleted": ("profile_completed", None),
    "CardBound": ("card_bound", None),
    "ContentShared": ("content_shared", "content_id"),
    "ContentPosted": ("content_posted", "content_id"),
}
# Taking back goes after the batch's credits, so it finds the points of an order or redemption in the batch.
LAST = frozenset({"OrderRefunded", "RedemptionReversed"})
KINDS = frozenset({"OrderPlaced", "CouponRedeemed", "InvitationAccepted", *LAST, *ONCE})


@dataclass(frozen=True)
class Award:
    """One change an event asks for: whose ledger, which source, why, how many points (< 0: take back)."""

    customer_id: str
    programme: str
    source: str
    reason: Reason
    points: int
    detail: dict[str, Any]


class Earning:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.clock = clock
        self.table = table or Table()
        self.ledger = Ledger(self.table, clock=clock)
        self.settings: dict[str, PointsSettingsItem] = {}  # per programme, for one batch
        self.take_backs = TakeBacks(self.ledger, clock=clock, programme=self.programme)

    def programme(self, merchant_id: str) -> PointsSettingsItem:
        if merchant_id not in self.settings:
            self.settings[merchant_id] = self.ledger.settings_store.settings(merchant_id)
        return self.settings[merchant_id]

    def apply_all(
        self, events: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[PointsEntryItem | Exception | None]:
        """Each event's last change (None: nothing to earn, or earned before), in order; an event that
        fails is its exception. The batch's earlier changes are found with one read and skipped; its new
        credits are written together, several ledgers a transaction; refunds and reversals go last, so
        they find the points of an order or a redemption in the same batch."""
        results: list[PointsEntryItem | Exception | None] = [None] * len(events)
        credits: list[tuple[int, Award]] = []
        for index, (kind, detail) in enumerate(events):
            if kind in LAST:
                continue
            try:
                credits += [(index, award) for award in self.awards(kind, detail)]
            except Exception as error:  # reported for that message alone; the queue delivers it again
                results[index] = error
        awards = [a for _, a in credits]
        found = self.ledger.store.found(
            [_key(a) for a in awards] + _legacy_keys(credits) + _undone_keys(awards)
        )
        done = set(found)
        fresh: list[tuple[int, Award]] = []
        for index, award in credits:
            # Else delivered before (or twice in this batch), or undone before it landed: nothing to credit
            if (
                _key(award) not in done
                and not _credited_per_claim(award, found)
                and not _undone(award, found)
            ):
                done.add(_key(award))
                fresh.append((index, award))
        for index, written in self._credit_together(fresh):
            if not isinstance(results[index], Exception):
                results[index] = written
        for index, (kind, detail) in enumerate(events):
            if kind in LAST:
                results[index] = self._apply_or_error(kind, detail)
        return results

    def _apply_or_error(self, kind: str, detail: Mapping[str, Any]) -> PointsEntryItem | Exception | None:
        try:
            return self.apply(kind, detail)
        except Exception as error:  # reported for that message alone; the queue delivers it again
            return error

    def _credit_together(
        self, awards: list[tuple[int, Award]]
    ) -> list[tuple[int, PointsEntryItem | Exception | None]]:
        """Credits of distinct ledgers in one transaction each chunk; the credits a chunk's refusal named (a
        duplicate raced in, a ledger in debt, a source undone) are written one by one, each then answered
        by its own entry (None: undone, nothing credited)."""
        written: list[tuple[int, PointsEntryItem | Exception | None]] = []
        chunk: list[tuple[int, PointsEntryItem]] = []
        ledgers: set[tuple[str, str]] = set()

        def flush() -> None:
            left = self.ledger.store.change_together([entry for _, entry in chunk])
            for n, (index, entry) in enumerate(chunk):
                if n not in left:
                    written.append((index, entry))
                    continue
                try:
                    written.append((index, self.ledger.store.change(entry, owed=left[n])))
                except CreditUndone:
                    written.append((index, None))
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
        if kind == "OrderRefunded":
            return self.take_backs.refund(detail)
        if kind == "RedemptionReversed":
            return self.take_backs.reversal(detail)
        last = None
        for award in self.awards(kind, detail):
            last = self.give(award)
        return last

    def awards(self, kind: str, detail: Mapping[str, Any]) -> list[Award]:
        if kind == "OrderPlaced":
            return self._order(detail)
        if kind == "CouponRedeemed" and detail.get("points"):
            # A points coupon credits its points once per redemption; its reversal takes them back.
            source = f"points_coupon:{detail['redemption_id']}"
            about = {k: detail.get(k) for k in ("coupon_id", "claim_id", "redemption_id")}
            about["redeemed_at"] = detail.get("occurred_at")
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

    def give(self, award: Award) -> PointsEntryItem | None:
        """The award's change (None: a credit undone before it landed, nothing credited)."""
        if award.points > 0:
            settings = self.programme(award.programme)
            try:
                return self.ledger.credit(
                    award.customer_id,
                    award.programme,
                    award.source,
                    award.reason,
                    award.points,
                    settings=settings,
                    detail=award.detail,
                )
            except CreditUndone:
                return None
        return self.ledger.take_back(
            award.customer_id, award.programme, award.source, award.reason, -award.points, detail=award.detail
        )


def _key(award: Award) -> tuple[str, str, str]:
    return (award.customer_id, award.programme, entry_id(award.source))


def _legacy_keys(credits: list[tuple[int, Award]]) -> list[tuple[str, str, str]]:
    """The per-claim credits (`points_coupon:{claimId}`) written before points coupons credited each
    redemption, which the batch's points coupons read beside their own."""
    return [
        (a.customer_id, a.programme, entry_id(f"points_coupon:{a.detail['claim_id']}"))
        for _, a in credits
        if a.reason == "points_coupon"
    ]


def _credited_per_claim(award: Award, found: Mapping[tuple[str, str, str], PointsEntryItem]) -> bool:
    """A redemption made before its claim's per-claim credit was written is the one that credit stands for."""
    if award.reason != "points_coupon":
        return False
    (key,) = _legacy_keys([(0, award)])
    legacy = found.get(key)
    return legacy is not None and legacy.at >= str(award.detail.get("redeemed_at") or "")


def _undone_keys(awards: list[Award]) -> list[tuple[str, str, str]]:
    """The entries that undo the batch's credits before they land (a redemption's reversal that took
    nothing, its credit not there yet), read beside them."""
    return [(a.customer_id, a.programme, entry_id(u)) for a in awards if (u := undone_by(a.source))]


def _undone(award: Award, found: Mapping[tuple[str, str, str], PointsEntryItem]) -> bool:
    undone = undone_by(award.source)
    return undone is not None and (award.customer_id, award.programme, entry_id(undone)) in found
