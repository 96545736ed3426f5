"""The parts of a points ledger's transactions, built for the store (`store.points`) and the other
transactions that change a ledger (a claim's, a void's, a refund's): the balance's update, the lot's and the
entry's put, and what a refusal of them means.

A credit is written blind to the ledger's debt (`owed`: what take-backs could not take), its balance update
conditioned on there being none; refused for one (the old image shows it), it is written again paying the
debt first (`repaid`), conditioned on the debt as read. A take-back that finds too few points takes all
there is and adds its shortfall to the debt in the same update."""

from __future__ import annotations

import hashlib
from typing import Any

from coupon_service import keys
from coupon_service.errors import DomainError, NotEnoughPoints, PointsDue
from coupon_service.point_items import PointsEntryItem
from coupon_service.point_rules import NEVER
from coupon_service.store.table import Cancelled, to_item, values

FAILED = "ConditionalCheckFailed"
NOT_DUE = "(attribute_not_exists(expires_next) OR expires_next > :now)"
SOONEST = "expires_next = if_not_exists(expires_next, :next)"  # a credit's lot, when no lot's instant is set
NO_DEBT = "(attribute_not_exists(owed) OR owed = :zero)"  # a credit blind to the debt: when there is none
SETTLE_TRIES = 5  # a credit refused for a debt that kept moving
CREDIT, REVERSED = "points_coupon:", "points_coupon_reversed:"  # a points coupon's credit and its reversal


def entry_id(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:32]


def balance_names(entry: PointsEntryItem) -> dict[str, Any]:
    return {"type": "points_balance", "c": entry.customer_id, "g": entry.programme, "one": 1}


def credit_parts(entry: PointsEntryItem, owed: int = 0) -> list[tuple[str, dict[str, Any]]]:
    """The parts of a credit (points > 0): the balance, the lot (what the debt left of it), the entry.
    `owed` 0: blind to the debt, the balance's update conditioned on there being none (refused with its old
    image when there is); else the debt as read, which the entry's `repaid` pays first (`settling`)."""
    parts: list[tuple[str, dict[str, Any]]] = [("balance", _credit_balance(entry, owed))]
    net = entry.points - entry.repaid
    if net > 0:
        parts.append(("lot", lot_part(entry.customer_id, entry.programme, entry.expires_at, net)))
    parts.append(("entry", entry_put(entry)))
    return parts + undone_check(entry)


def undone_by(source: str) -> str | None:
    """The source whose entry, standing, undoes a credit of `source` before it lands: a points coupon's
    redemption (`points_coupon:{id}`) reversed first leaves its reversal's entry
    (`points_coupon_reversed:{id}`, 0 points when nothing was credited to take back)."""
    if source.startswith(CREDIT):
        return REVERSED + source.removeprefix(CREDIT)
    return None


def undone_check(entry: PointsEntryItem) -> list[tuple[str, dict[str, Any]]]:
    """A credit's check that its source was not undone first (the `undone` part), if it can be."""
    undone = undone_by(entry.source)
    if undone is None:
        return []
    return [("undone", absent(entry.customer_id, entry.programme, undone))]


def absent(customer_id: str, programme: str, source: str) -> dict[str, Any]:
    """A check that the ledger holds no entry of `source`."""
    key = keys.points_entry(customer_id, programme, entry_id(source))
    return {"ConditionCheck": {"Key": to_item(key), "ConditionExpression": "attribute_not_exists(PK)"}}


def settling(entry: PointsEntryItem, owed: int) -> PointsEntryItem:
    """A credit paying the debt `owed` first: the entry's `repaid` (the balance and the lot get the rest)."""
    return entry.model_copy(update={"repaid": min(max(owed, 0), entry.points)})


def _credit_balance(entry: PointsEntryItem, owed: int) -> dict[str, Any]:
    net = entry.points - entry.repaid
    named = {**balance_names(entry), "p": net}
    expression = "SET #t = :type, customer_id = :c, programme = :g"
    if net > 0 and expires(entry.expires_at):
        expression += ", " + SOONEST
        named["next"] = entry.expires_at
    expression += " ADD balance :p, version :one"
    if owed:
        expression += ", owed :back"
        condition, named["back"], named["was"] = "owed = :was", -entry.repaid, owed
    else:
        condition, named["zero"] = NO_DEBT, 0
    return {
        "Update": {
            "Key": to_item(keys.points_balance(entry.customer_id, entry.programme)),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#t": "type"},
            "ExpressionAttributeValues": values(**named),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def refused_debt(cancelled: Cancelled, index: int) -> int | None:
    """The debt a credit's balance update (part `index` of a refused transaction) was refused for: None
    when that part was not refused, or another part was (the refusal is not the debt's alone)."""
    codes = [code for code, _ in cancelled.reasons]
    if index >= len(codes) or codes[index] != FAILED:
        return None
    if any(code == FAILED for n, code in enumerate(codes) if n != index):
        return None
    return int((cancelled.reasons[index][1] or {}).get("owed", 0))


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


def _debit_balance(entry: PointsEntryItem) -> dict[str, Any]:
    """A debit's (or a take-back's) balance update: -`points` off the balance (never below zero, never
    points due to expire), and a take-back's `shortfall` onto the debt `owed`; a take-back that falls short
    takes all there is (conditioned on the balance being exactly that), so a debt stands only beside an
    empty balance."""
    taken, short = -entry.points, entry.shortfall
    named = {**balance_names(entry), "p": -taken, "need": taken}
    expression = "SET #t = :type, customer_id = :c, programme = :g ADD balance :p, version :one"
    names = {"#t": "type"}
    if taken:
        expression += ", #u :took"
        names["#u"] = "consumed"
        named.update(took=taken, now=entry.at)
        condition = ("balance = :need" if short else "balance >= :need") + " AND " + NOT_DUE
    else:
        condition = "attribute_not_exists(balance) OR balance = :need"
    if short:
        expression += ", owed :short"
        named["short"] = short
    return {
        "Update": {
            "Key": to_item(keys.points_balance(entry.customer_id, entry.programme)),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values(**named),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def debit_parts(entry: PointsEntryItem) -> list[tuple[str, dict[str, Any]]]:
    """The parts of a debit of -`entry.points` (or of a take-back that found too little: its shortfall onto
    the debt): the balance (never below zero) and the entry; an entry that changes nothing alone."""
    if entry.points == 0 and not entry.shortfall:
        return [("entry", entry_put(entry))]
    return [("balance", _debit_balance(entry)), ("entry", entry_put(entry))]


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


class Written(Exception):
    """The source's entry was written before: it is the answer."""

    def __init__(self, entry: PointsEntryItem) -> None:
        super().__init__(entry.entry_id)
        self.entry = entry


class DebtMoved(Exception):
    """A credit's balance refused it: the ledger owes `owed` (or owes no longer what was read)."""

    def __init__(self, owed: int) -> None:
        super().__init__(owed)
        self.owed = owed


def refused_parts(names: list[str], cancelled: Cancelled) -> dict[str, dict[str, Any] | None]:
    return {name: old for name, (code, old) in zip(names, cancelled.reasons, strict=False) if code == FAILED}
