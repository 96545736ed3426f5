"""The points ledger's DynamoDB side: one balance counter per (customer, programme), an entry per change
and a lot per expiry instant, each change one transaction.

A change is the balance's update (a debit conditioned on `balance >= points`, so it never goes below zero,
and on the soonest lot's instant, `expires_next`, not having passed: points due to expire are never spent),
the lot's (a credit) and the entry's put, conditioned on its absence: the entry's id is derived from its
source, so a source changes a ledger once. A refused entry is the source's earlier change (another request,
or this one's own attempt whose answer was lost): its entry is answered as if just written.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from coupon_service import keys
from coupon_service.errors import Changed, DomainError, NotEnoughPoints, PointsDue
from coupon_service.items import ClaimItem
from coupon_service.point_items import PointsBalanceItem, PointsEntryItem, PointsLotItem, Reason
from coupon_service.point_rules import NEVER
from coupon_service.store.table import Cancelled, Table, to_item, values

FAILED = "ConditionalCheckFailed"
MAX_LOTS = 90  # lots one expiry transaction takes (a transaction holds at most 100 parts)
NOT_DUE = "(attribute_not_exists(expires_next) OR expires_next > :now)"
SOONEST = "expires_next = if_not_exists(expires_next, :next)"  # a credit's lot, when no lot's instant is set


def entry_id(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:32]


def _balance_names(entry: PointsEntryItem) -> dict[str, Any]:
    return {"type": "points_balance", "c": entry.customer_id, "g": entry.programme, "one": 1}


def credit_parts(entry: PointsEntryItem) -> list[tuple[str, dict[str, Any]]]:
    """The parts of a credit (or of a debit's entry when `points` <= 0): the balance, the lot, the entry."""
    parts: list[tuple[str, dict[str, Any]]] = []
    if entry.points > 0:
        parts.append(("balance", _add_balance(entry, entry.points, 0)))
        parts.append(("lot", lot_part(entry.customer_id, entry.programme, entry.expires_at, entry.points)))
    parts.append(("entry", entry_put(entry)))
    return parts


def lot_part(customer_id: str, programme: str, expires_at: str | None, points: int) -> dict[str, Any]:
    """A lot's update: `points` more that expire at `expires_at` (indexed by its day unless `never`)."""
    expires = expires_at or NEVER
    named: dict[str, Any] = {"p": points, "type": "points_lot", "x": expires, "c": customer_id}
    named["g"] = programme
    expression = "ADD points :p SET #t = :type, customer_id = :c, programme = :g, expires_at = :x"
    if expires != NEVER:
        index = keys.points_due_index(customer_id, programme, expires)
        expression += ", GSI2PK = :ipk, GSI2SK = :isk"
        named.update(ipk=index["GSI2PK"], isk=index["GSI2SK"])
    return {
        "Update": {
            "Key": to_item(keys.points_lot(customer_id, programme, expires)),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": {"#t": "type"},
            "ExpressionAttributeValues": values(**named),
        }
    }


def expires(expires_at: str | None) -> bool:
    return expires_at is not None and expires_at != NEVER


def _add_balance(entry: PointsEntryItem, points: int, consumed: int) -> dict[str, Any]:
    named = {**_balance_names(entry), "p": points}
    expression = "SET #t = :type, customer_id = :c, programme = :g"
    if points > 0 and expires(entry.expires_at):
        expression += ", " + SOONEST
        named["next"] = entry.expires_at
    expression += " ADD balance :p, version :one"
    request: dict[str, Any] = {"Key": to_item(keys.points_balance(entry.customer_id, entry.programme))}
    if consumed:
        expression += ", #u :took"
        named.update(took=consumed, need=consumed, now=entry.at)
        request["ConditionExpression"] = "balance >= :need AND " + NOT_DUE
        request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    request.update(
        UpdateExpression=expression,
        ExpressionAttributeNames={"#t": "type", **({"#u": "consumed"} if consumed else {})},
        ExpressionAttributeValues=values(**named),
    )
    return {"Update": request}


def debit_parts(entry: PointsEntryItem) -> list[tuple[str, dict[str, Any]]]:
    """The parts of a debit of -`entry.points`: the balance (never below zero) and the entry."""
    taken = -entry.points
    return [("balance", _add_balance(entry, -taken, taken)), ("entry", entry_put(entry))]


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


def entry_put(entry: PointsEntryItem) -> dict[str, Any]:
    item = {
        **keys.points_entry(entry.customer_id, entry.programme, entry.entry_id),
        **keys.points_entry_index(entry.customer_id, entry.programme, entry.at, entry.entry_id),
        "type": "points_entry",
        **entry.model_dump(exclude_none=True),
    }
    return {
        "Put": {
            "Item": to_item(item),
            "ConditionExpression": "attribute_not_exists(PK)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def points_due(old: dict[str, Any] | None, now: str) -> bool:
    """Whether a debit's refused balance (its old image) holds a lot due by `now` not yet expired."""
    due = (old or {}).get("expires_next")
    return isinstance(due, str) and due <= now


def debit_refusal(old: dict[str, Any] | None, entry: PointsEntryItem) -> DomainError:
    """Why a debit's balance refused it: points due to expire first (expire them, try again), or too few."""
    if points_due(old, entry.at):
        return PointsDue(entry.customer_id, entry.programme, old)
    return NotEnoughPoints(-entry.points)


def refused_parts(names: list[str], cancelled: Cancelled) -> dict[str, dict[str, Any] | None]:
    return {name: old for name, (code, old) in zip(names, cancelled.reasons, strict=False) if code == FAILED}


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

    def change(self, entry: PointsEntryItem) -> PointsEntryItem:
        """Credit (points > 0) or debit (points < 0) the ledger with `entry`, once per its source: the entry
        written, or the source's entry written before. A debit past the balance: NotEnoughPoints."""
        parts = credit_parts(entry) if entry.points >= 0 else debit_parts(entry)
        return self.commit(parts, entry)

    def change_together(self, entries: list[PointsEntryItem]) -> bool:
        """Credits of distinct ledgers in one transaction: True, or False when any part was refused
        (nothing written: the caller writes them one by one)."""
        parts = [part for entry in entries for part in credit_parts(entry)]
        try:
            self.table.transact([operation for _, operation in parts])
        except Cancelled:
            return False
        return True

    def commit(self, parts: list[tuple[str, dict[str, Any]]], entry: PointsEntryItem) -> PointsEntryItem:
        names = [name for name, _ in parts]
        try:
            self.table.transact([operation for _, operation in parts])
        except Cancelled as cancelled:
            refused = refused_parts(names, cancelled)
            if "entry" in refused:  # the source changed the ledger already: that change is the answer
                return PointsEntryItem.model_validate(refused["entry"] or {})
            if "balance" in refused:
                raise debit_refusal(refused["balance"], entry) from cancelled
            raise Changed("the ledger changed meanwhile; try again") from cancelled
        return entry

    def check_in(
        self, entries: list[PointsEntryItem], read: PointsBalanceItem, day: str, streak: int
    ) -> Literal["written", "exists", "changed"]:
        """Today's check-in entries with the balance's streak, on condition the last check-in is still the
        one read: `written`; `exists` when the day's entry is there already (another request's, or this
        one's whose answer was lost); `changed` when the last check-in changed meanwhile (read again)."""
        first = entries[0]
        named = {**_balance_names(first), "p": sum(e.points for e in entries), "day": day, "s": streak}
        soonest = ""
        if expires(first.expires_at):
            soonest, named["next"] = ", " + SOONEST, first.expires_at
        if read.check_in_day is None:
            condition = "attribute_not_exists(check_in_day)"
        else:
            condition, named["last"] = "check_in_day = :last", read.check_in_day
        balance = {
            "Update": {
                "Key": to_item(keys.points_balance(first.customer_id, first.programme)),
                "UpdateExpression": "SET #t = :type, customer_id = :c, programme = :g, check_in_day = :day, "
                f"streak = :s{soonest} ADD balance :p, version :one",
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#t": "type"},
                "ExpressionAttributeValues": values(**named),
            }
        }
        total = sum(e.points for e in entries)
        lot = lot_part(first.customer_id, first.programme, first.expires_at, total)
        parts: list[tuple[str, dict[str, Any]]] = [("streak", balance), ("lot", lot)]
        parts += [("entry", entry_put(entry)) for entry in entries]
        names = [name for name, _ in parts]
        try:
            self.table.transact([operation for _, operation in parts])
        except Cancelled as cancelled:
            return "exists" if "entry" in refused_parts(names, cancelled) else "changed"
        return "written"
