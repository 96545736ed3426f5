"""The points ledger's DynamoDB side: one balance counter per (customer, programme), an entry per change
and a lot per expiry instant, each change one transaction.

A change is the balance's update (a debit conditioned on `balance >= points`, so it never goes below zero,
and on the soonest lot's instant, `expires_next`, not having passed: points due to expire are never spent),
the lot's (a credit) and the entry's put, conditioned on its absence: the entry's id is derived from its
source, so a source changes a ledger once. A refused entry is the source's earlier change (another request,
or this one's own attempt whose answer was lost): its entry is answered as if just written. A credit pays
the ledger's debt (`owed`, what take-backs could not take) first: written blind to it, refused only when
there is one, then again paying it (`store.point_parts`).
"""

from __future__ import annotations

from typing import Any, Literal

from coupon_service import keys
from coupon_service.errors import Changed, CreditUndone
from coupon_service.items import ClaimItem
from coupon_service.point_items import PointsBalanceItem, PointsEntryItem, PointsLotItem, Reason
from coupon_service.store.point_parts import (
    NO_DEBT,
    SETTLE_TRIES,
    SOONEST,
    DebtMoved,
    Written,
    absent,
    balance_names,
    credit_parts,
    debit_parts,
    debit_refusal,
    lot_part,
    refused_parts,
    settling,
)
from coupon_service.store.point_parts import entry_id as entry_id
from coupon_service.store.point_parts import entry_put as entry_put
from coupon_service.store.point_parts import expires as expires
from coupon_service.store.point_parts import points_due as points_due
from coupon_service.store.point_parts import undone_by as undone_by
from coupon_service.store.table import Cancelled, Table, to_item, values

TOGETHER_TRIES = 2  # a chunk of credits, then once more without the ledgers refused
MAX_LOTS = 90  # lots one expiry transaction takes (a transaction holds at most 100 parts)


def claim_debit_parts(claim: ClaimItem) -> list[tuple[str, dict[str, Any]]]:
    """A claim of a coupon priced in points: the debit of its claimer's ledger (`points`, never below zero)
    and its entry (`points_entry`, keyed by the claim), parts of the claim's own transaction."""
    if not claim.points_price:
        return []
    entry = claim_entry(claim, "coupon_claim", -claim.points_price, claim.claimed_at)
    (_, balance), (_, put) = debit_parts(entry)
    return [("points", balance), ("points_entry", put)]


def claim_entry(claim: ClaimItem, reason: Reason, points: int, at: str) -> PointsEntryItem:
    """The entry of a claim's points: its debit (`claim:{claimId}`), or a void's return (`void:{claimId}`)."""
    source = ("claim:" if points < 0 else "void:") + claim.claim_id
    return PointsEntryItem(
        entry_id=entry_id(source),
        customer_id=claim.claimer_id,
        programme=claim.points_programme or claim.merchant_id,
        source=source,
        reason=reason,
        points=points,
        at=at,
        detail={"coupon_id": claim.coupon_id, "claim_id": claim.claim_id},
    )


class PointsStore:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    # --- reads ----------------------------------------------------------------------------------

    def balance(self, customer_id: str, programme: str) -> PointsBalanceItem:
        found = self.table.get(keys.points_balance(customer_id, programme))
        if found is None:
            return PointsBalanceItem(customer_id=customer_id, programme=programme)
        return PointsBalanceItem.model_validate(found)

    def has_ledger(self, customer_id: str, programme: str) -> bool:
        return self.table.get(keys.points_balance(customer_id, programme)) is not None

    def existing(self, wanted: list[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
        """Which of (customer, programme, entry id) the ledgers hold already: one BatchGetItem per 100."""
        return set(self.found(wanted))

    def found(self, wanted: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], PointsEntryItem]:
        """The entries the ledgers hold of (customer, programme, entry id): one BatchGetItem per 100."""
        if not wanted:
            return {}
        found = self.table.batch_get([keys.points_entry(*key) for key in dict.fromkeys(wanted)])
        entries = (PointsEntryItem.model_validate(item) for item in found)
        return {(e.customer_id, e.programme, e.entry_id): e for e in entries}

    def entry(self, customer_id: str, programme: str, source: str) -> PointsEntryItem | None:
        found = self.table.get(keys.points_entry(customer_id, programme, entry_id(source)))
        return None if found is None else PointsEntryItem.model_validate(found)

    def lots(self, customer_id: str, programme: str) -> list[PointsLotItem]:
        """The ledger's lots, soonest first (`never` last)."""
        partition = keys.points_ledger(customer_id, programme)
        bound = keys.points_lot_prefix() + "~"
        found = self.table.query_all(
            key_condition="PK = :p AND SK BETWEEN :lo AND :hi",
            ConsistentRead=True,
            ExpressionAttributeValues=values(p=partition, lo=keys.points_lot_prefix(), hi=bound),
        )
        return [PointsLotItem.model_validate(item) for item in found]

    def entries_page(
        self, customer_id: str, programme: str, limit: int, token: str | None
    ) -> tuple[list[PointsEntryItem], str | None]:
        """One page of a ledger's entries, newest first; the token is bound to this ledger's listing."""
        partition = keys.points_entries(customer_id, programme)
        listing = f"points:{customer_id}:{programme}"
        items, next_token = self.table.listing_page(
            partition, listing=listing, limit=limit, token=token, forward=False
        )
        return [PointsEntryItem.model_validate(i) for i in items], next_token

    # --- changes --------------------------------------------------------------------------------

    def change(self, entry: PointsEntryItem, *, owed: int = 0) -> PointsEntryItem:
        """Credit (points > 0) or debit (points < 0) the ledger with `entry`, once per its source: the entry
        written, or the source's entry written before. A debit past the balance: NotEnoughPoints. A credit
        pays the ledger's debt first (the entry written says how much, `repaid`); a credit whose source was
        undone first (`undone_by`): CreditUndone, nothing written."""
        return self.changed(entry, owed=owed)[0]

    def changed(self, entry: PointsEntryItem, *, owed: int = 0) -> tuple[PointsEntryItem, bool]:
        """`change`, and whether this call wrote the entry (False: the source's earlier entry).

        A credit is first written blind to the debt (one transaction, refused only when there is one), or
        paying the debt `owed` a refusal showed already; the refusal's old image holds the debt, which the
        credit then pays, conditioned on it as read."""
        for _ in range(SETTLE_TRIES):
            if entry.points > 0:
                entry = settling(entry, owed)
                parts = credit_parts(entry, owed)
            else:
                parts = debit_parts(entry)
            try:
                return self._commit(parts, entry), True
            except DebtMoved as moved:
                owed = moved.owed
            except Written as earlier:
                return earlier.entry, False
        raise Changed("the ledger's debt kept changing; try again")

    def change_together(self, entries: list[PointsEntryItem]) -> dict[int, int]:
        """Credits of distinct ledgers in one transaction, each blind to its ledger's debt. A refusal names
        the parts refused (a duplicate, a ledger in debt, a source undone): the chunk is sent once more
        without those ledgers' credits. Answers the credits left unwritten, by position, each with the debt
        its ledger's refusal showed (0: none seen), for the caller to write one by one (`change(owed=...)`:
        the debt paid at once); all that are left when a chunk is refused twice or for no part of its own."""
        chunk = list(range(len(entries)))
        aside: dict[int, int] = {}
        for _ in range(TOGETHER_TRIES):
            if len(chunk) < 2:
                break
            parts = [(n, op) for n in chunk for _, op in credit_parts(entries[n])]
            try:
                self.table.transact([op for _, op in parts])
                return aside
            except Cancelled as cancelled:
                refused: dict[int, int] = {}
                for i in cancelled.failed():  # a balance refused shows its ledger's debt (ALL_OLD)
                    n = parts[i][0]
                    refused[n] = max(refused.get(n, 0), int((cancelled.old(i) or {}).get("owed", 0)))
                if not refused:
                    break
                aside.update(refused)
                chunk = [n for n in chunk if n not in refused]
        return {**aside, **dict.fromkeys(chunk, 0)}

    def undo(self, entry: PointsEntryItem, credit_source: str) -> PointsEntryItem | None:
        """`entry` (nothing taken back: 0 points) put alone, on condition that the ledger holds no credit of
        `credit_source`: standing, it keeps that credit from landing later (`undone_by`). The entry written,
        or the source's entry written before; None when the credit is there (take it back instead)."""
        parts = [
            ("entry", entry_put(entry)),
            ("credit", absent(entry.customer_id, entry.programme, credit_source)),
        ]
        try:
            self.table.transact([operation for _, operation in parts])
        except Cancelled as cancelled:
            refused = refused_parts([name for name, _ in parts], cancelled)
            if "entry" in refused:
                return PointsEntryItem.model_validate(refused["entry"] or {})
            if "credit" in refused:
                return None
            raise Changed("the ledger changed meanwhile; try again") from cancelled
        return entry

    def _commit(self, parts: list[tuple[str, dict[str, Any]]], entry: PointsEntryItem) -> PointsEntryItem:
        names = [name for name, _ in parts]
        try:
            self.table.transact([operation for _, operation in parts])
        except Cancelled as cancelled:
            refused = refused_parts(names, cancelled)
            if "entry" in refused:  # the source changed the ledger already: that change is the answer
                raise Written(PointsEntryItem.model_validate(refused["entry"] or {})) from cancelled
            if "undone" in refused:  # its source was undone before it landed: nothing to credit
                raise CreditUndone(entry.source) from cancelled
            if "balance" in refused and entry.points > 0:  # a debt, or the debt read moved: pay it first
                raise DebtMoved(int((refused["balance"] or {}).get("owed", 0))) from cancelled
            if "balance" in refused:
                raise debit_refusal(refused["balance"], entry) from cancelled
            raise Changed("the ledger changed meanwhile; try again") from cancelled
        return entry

    def check_in(
        self, entries: list[PointsEntryItem], read: PointsBalanceItem, day: str, streak: int
    ) -> Literal["written", "exists", "changed"]:
        """Today's check-in entries with the balance's streak, on condition the last check-in and the debt
        are still the ones read (the entries' `repaid` pay that debt first): `written`; `exists` when the
        day's entry is there already (another request's, or this one's whose answer was lost); `changed`
        when the last check-in or the debt changed meanwhile (read again)."""
        first = entries[0]
        total = sum(e.points - e.repaid for e in entries)  # the entries' `repaid` pay the debt read first
        named = {**balance_names(first), "p": total, "day": day, "s": streak}
        soonest = ""
        if total > 0 and expires(first.expires_at):
            soonest, named["next"] = ", " + SOONEST, first.expires_at
        if read.check_in_day is None:
            condition = "attribute_not_exists(check_in_day)"
        else:
            condition, named["last"] = "check_in_day = :last", read.check_in_day
        debt = ""
        if read.owed:
            condition += " AND owed = :was"
            debt, named["was"], named["back"] = ", owed :back", read.owed, -sum(e.repaid for e in entries)
        else:
            condition, named["zero"] = f"{condition} AND {NO_DEBT}", 0
        balance = {
            "Update": {
                "Key": to_item(keys.points_balance(first.customer_id, first.programme)),
                "UpdateExpression": "SET #t = :type, customer_id = :c, programme = :g, check_in_day = :day, "
                f"streak = :s{soonest} ADD balance :p, version :one{debt}",
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#t": "type"},
                "ExpressionAttributeValues": values(**named),
            }
        }
        parts: list[tuple[str, dict[str, Any]]] = [("streak", balance)]
        if total > 0:
            parts.append(("lot", lot_part(first.customer_id, first.programme, first.expires_at, total)))
        parts += [("entry", entry_put(entry)) for entry in entries]
        names = [name for name, _ in parts]
        try:
            self.table.transact([operation for _, operation in parts])
        except Cancelled as cancelled:
            return "exists" if "entry" in refused_parts(names, cancelled) else "changed"
        return "written"
