"""The counters that stand between a guesser and a verification code: per claimed coupon, per customer
and merchant, and the watch over all of one coupon's customers (the limits are in `wrong_codes`)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from coupon_service import keys
from coupon_service.errors import DomainError, Locked
from coupon_service.guard_items import GuardItem, WatchItem
from coupon_service.store.table import Cancelled, Table, cleanup, to_item, values
from coupon_service.validity import from_iso, to_iso
from coupon_service.wrong_codes import (
    ATTACK_WINDOW,
    ATTACK_WRONG_CODES,
    LOCK,
    attack_window,
    locked,
    place,
    slowed_down,
)


@dataclass(frozen=True)
class Reservation:
    """One entry a counter holds for an attempt or a lookup (`counter` maps entry ids to their number or
    time), which a redemption's transaction takes back out when the code was right. Removing an entry that
    is not there changes nothing: a give-back applied twice takes the one entry once."""

    key: dict[str, str]
    counter: str
    entry_id: str

    def removal(self) -> dict[str, Any]:
        return {
            "UpdateExpression": f"REMOVE {self.counter}.#id",
            "ExpressionAttributeNames": {"#id": self.entry_id},
        }

    def operation(self) -> dict[str, Any]:
        """The transaction operation that gives this entry back."""
        return {"Update": {"Key": to_item(self.key), **self.removal()}}

    def release(self, table: Table) -> None:
        """Give the entry back on its own: its code was never compared, or was refused for another reason."""
        table.update(self.key, **self.removal())


def first_that_holds(
    table: Table,
    key: dict[str, str],
    requests: Iterable[dict[str, Any]],
    settled: Callable[[dict[str, Any]], bool],
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Try conditional updates in turn. The item after the first that holds, or as a refused one found it
    when that is `settled` (nothing more to do); else None. Second: the item as last refused."""
    old: dict[str, Any] = {}
    for request in requests:
        try:
            new = table.update(
                key, **request, ReturnValues="ALL_NEW", ReturnValuesOnConditionCheckFailure="ALL_OLD"
            )
            return new or {}, old
        except Cancelled as cancelled:
            old = cancelled.old(0) or {}
            if settled(old):
                return old, old
    return None, old


class AttemptGuard:
    """Counted attempts with a sliding lock: `attempts` maps each attempt's id to its sequence number (`seq`
    counts up), `lock_ends` is 15 minutes after the last attempt. An attempt is reserved (counted) before
    the code is compared, so parallel guesses cannot pass the limit; a right code takes its own id back out
    in the redemption's transaction. The ids make each write recognisable as one's own: a reservation
    retried after its answer was lost finds its id, counts once and reads its own place (the attempts up to
    its number, not the count since grown by others), and a give-back applied twice removes the one id once.

    With `pace` (the coupon is under attack), a claimed coupon that already has a counted attempt waits
    `pace` after its last attempt; one without any is compared at once."""

    def __init__(
        self, table: Table, key: dict[str, str], limit: int, what: str, pace: timedelta | None = None
    ) -> None:
        self.table, self.key, self.limit, self.what, self.pace = table, key, limit, what, pace

    def reserve(self, attempt_id: str, now: str) -> int:
        """Count one attempt; the attempts counted so far, this one included. Refused when none is left."""
        later = to_iso(from_iso(now) + LOCK)
        ttl = int((from_iso(now) + timedelta(days=1)).timestamp())  # gone a day after
        fresh = {  # no live counter (none yet, or its last attempt is over 15 minutes old): start again
            "UpdateExpression": "SET attempts = :mine, seq = :one, lock_ends = :later, last_at = :now, "
            "#t = :guard, expires_at = :ttl",
            "ConditionExpression": "attribute_not_exists(attempts) OR lock_ends <= :now",
            "ExpressionAttributeNames": {"#t": "type"},
            "ExpressionAttributeValues": values(
                mine={attempt_id: 1}, one=1, later=later, now=now, guard="guard", ttl=ttl
            ),
        }
        condition = "lock_ends > :now AND size(attempts) < :limit AND attribute_not_exists(attempts.#id)"
        named = values(now=now, later=later, limit=self.limit, ttl=ttl, zero=0, one=1)
        if self.pace:
            condition += " AND (size(attempts) = :zero OR last_at <= :paced)"
            named.update(values(paced=to_iso(from_iso(now) - self.pace)))
        counted = {  # a live counter with attempts left
            "UpdateExpression": "SET attempts.#id = if_not_exists(seq, :zero) + :one, "
            "seq = if_not_exists(seq, :zero) + :one, lock_ends = :later, last_at = :now, "
            "expires_at = :ttl",
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#id": attempt_id},
            "ExpressionAttributeValues": named,
        }
        # Twice each: a concurrent restart can move the counter.
        done, old = first_that_holds(
            self.table,
            self.key,
            (fresh, counted, fresh, counted),
            # This attempt's own write, whose answer was lost.
            lambda item: attempt_id in (item.get("attempts") or {}),
        )
        if done is None:
            raise self._refusal(GuardItem.model_validate(old), now)
        return place(GuardItem.model_validate(done).attempts, attempt_id)

    def _refusal(self, old: GuardItem, now: str) -> DomainError:
        if self.pace and 0 < len(old.attempts) < self.limit:
            return slowed_down(old.last_at or now, self.pace, now)
        return self.locked(old.lock_ends or to_iso(from_iso(now) + LOCK), now)

    def locked(self, ends: str, now: str) -> Locked:
        return locked(self.what, ends, now)

    def reservation(self, attempt_id: str) -> Reservation:
        return Reservation(self.key, "attempts", attempt_id)

    def give_back(self, attempt_id: str) -> None:
        """Take a right code's attempt out of the count in a transaction, as a redemption's does (its
        operation: `Reservation.operation`); applied again, it takes nothing more (idempotent)."""
        self.table.transact([self.reservation(attempt_id).operation()])

    def release(self, attempt_id: str) -> None:
        """Take back an attempt whose code was never compared, or was right but refused for another reason."""
        self.reservation(attempt_id).release(self.table)


def release_all(table: Table, reservations: Iterable[Reservation]) -> None:
    """Give back attempts after a refused step (it may use the time kept for clean-up)."""
    with cleanup():
        for reservation in reservations:
            reservation.release(table)


class CouponWatch:
    """Wrong codes on one coupon from all its customers, per fixed window. When ATTACK_WRONG_CODES of them
    fall in one window, the coupon is under attack until the end of the next window: the guard item records
    it once per window (`attack_window`), and the publisher turns that change into
    `VerificationUnderAttack`. Wrong codes are kept by attempt id (a retried write counts once) with the
    customer who sent them, and only up to the threshold, so an attack cannot grow the item."""

    def __init__(self, table: Table, coupon: dict[str, Any], watch: WatchItem | None) -> None:
        self.table, self.coupon, self.watch = table, coupon, watch or WatchItem()
        self.key = keys.coupon_guard(coupon["coupon_id"])

    def under_attack(self, now: str) -> bool:
        return self.watch.attack_until > now

    def wrong(self, attempt_id: str, customer_id: str, now: str) -> None:
        """Count a wrong code, and mark the coupon under attack when it is the window's threshold."""
        start, end = attack_window(now)
        window = to_iso(start)
        same = {
            "UpdateExpression": "SET wrong.#id = :customer",
            "ConditionExpression": "#w = :window AND size(wrong) < :limit "
            "AND attribute_not_exists(wrong.#id)",
            "ExpressionAttributeNames": {"#w": "window", "#id": attempt_id},
            "ExpressionAttributeValues": values(
                customer=customer_id, window=window, limit=ATTACK_WRONG_CODES
            ),
        }
        new = {
            "UpdateExpression": "SET #w = :window, window_end = :end, wrong = :mine, coupon_id = :coupon, "
            "merchant_id = :merchant, #t = :type, expires_at = :ttl",
            "ConditionExpression": "attribute_not_exists(#w) OR #w < :window",
            "ExpressionAttributeNames": {"#w": "window", "#t": "type"},
            "ExpressionAttributeValues": values(
                window=window,
                end=to_iso(end),
                mine={attempt_id: customer_id},
                coupon=self.coupon["coupon_id"],
                merchant=self.coupon["merchant_id"],
                type="coupon_guard",
                ttl=int((from_iso(now) + timedelta(days=1)).timestamp()),
            ),
        }
        counted, _ = first_that_holds(
            self.table,
            self.key,
            (same, new, same, new),
            # Counted already (an answer lost), or the window is past its threshold.
            lambda item: (
                item.get("window") == window
                and (
                    attempt_id in (item.get("wrong") or {})
                    or len(item.get("wrong") or {}) >= ATTACK_WRONG_CODES
                )
            ),
        )
        if counted is None:
            return
        seen = WatchItem.model_validate(counted)
        if len(seen.wrong) >= ATTACK_WRONG_CODES and seen.attack_window != window:
            self._raise_attack(window, now, to_iso(start + 2 * ATTACK_WINDOW))

    def _raise_attack(self, window: str, now: str, until: str) -> None:
        # Refused when raised already: by a concurrent wrong code, or by this one whose answer was lost.
        with contextlib.suppress(Cancelled):
            self.table.update(
                self.key,
                UpdateExpression="SET attack_window = :window, attack_at = :now, attack_until = :until",
                ConditionExpression="#w = :window AND size(wrong) >= :limit AND "
                "(attribute_not_exists(attack_window) OR attack_window < :window)",
                ExpressionAttributeNames={"#w": "window"},
                ExpressionAttributeValues=values(
                    window=window, now=now, until=until, limit=ATTACK_WRONG_CODES
                ),
            )


def coupon_and_watch(table: Table, coupon_id: str) -> tuple[dict[str, Any] | None, WatchItem | None]:
    """The coupon (its current codes) and its wrong-code watch, in one request."""
    coupon_key, watch_key = keys.coupon(coupon_id), keys.coupon_guard(coupon_id)
    found = {item["PK"]: item for item in table.batch_get([coupon_key, watch_key])}
    watch = found.get(watch_key["PK"])
    return found.get(coupon_key["PK"]), WatchItem.model_validate(watch) if watch else None
