"""The rules of points, pure: when earned points expire, what an expiry takes (oldest lots first), what a
check-in earns, what an order earns and what its refund takes back. No I/O; times are passed in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from coupon_service.validity import to_iso

NEVER = "never"  # the lot of points that do not expire (sorts after every instant)
DEFAULT_CHECK_IN = {"daily": 1, "streak_days": 7, "streak_bonus": 7}


def _months_later(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for candidate in (day.day, 30, 29, 28):  # the 31st of a shorter month is its last day
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("every month has a 28th")


def expiry_instant(rule: Mapping[str, Any], earned_at: datetime, time_zone: str) -> str:
    """When points earned at `earned_at` expire: the end of the local day N months later, or the end of the
    local year; `never` when they do not."""
    kind = rule.get("type", "never")
    if kind == "never":
        return NEVER
    zone = ZoneInfo(time_zone)
    local = earned_at.astimezone(zone).date()
    yearly = kind == "end_of_year"
    last = date(local.year, 12, 31) if yearly else _months_later(local, int(rule["months"]))
    midnight = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return to_iso(midnight)


@dataclass(frozen=True)
class Expiry:
    """What an expiry of lots totalling `lots` does to a ledger that has `consumed` points not yet charged
    to any lot: the points that expire, and what stays consumed of the later lots."""

    expired: int
    consumed: int


def expire(lots: int, consumed: int) -> Expiry:
    """Debits take the oldest lots first: what they took is charged to the expiring lots first, the rest of
    those lots expires, and what they took beyond them stays charged to later lots."""
    return Expiry(expired=max(0, lots - consumed), consumed=max(0, consumed - lots))


def expiring(lots: Iterable[tuple[str, int]], consumed: int) -> list[tuple[str, int]]:
    """What is left of each lot once debits are charged oldest first: (expires_at, points), soonest first,
    lots with nothing left omitted."""
    left = []
    for expires_at, points in sorted(lots):
        charged = min(points, consumed)
        consumed -= charged
        if points - charged > 0:
            left.append((expires_at, points - charged))
    return left


@dataclass(frozen=True)
class CheckIn:
    day: str  # the local day checked in
    streak: int  # consecutive days ending on it
    daily: int
    bonus: int  # the streak bonus earned with it (0 on most days)


def local_day(now: datetime, time_zone: str) -> date:
    return now.astimezone(ZoneInfo(time_zone)).date()


def check_in(rule: Mapping[str, Any], last_day: str | None, streak: int, today: date) -> CheckIn:
    """Today's check-in after one on `last_day` (a streak of `streak` days): the streak goes on after
    yesterday, starts again after a missed day; the bonus comes on every `streak_days`-th day in a row."""
    rule = {**DEFAULT_CHECK_IN, **rule}
    yesterday = (today - timedelta(days=1)).isoformat()
    days = streak + 1 if last_day == yesterday else 1
    every = int(rule["streak_days"])
    bonus = int(rule["streak_bonus"]) if every > 0 and days % every == 0 else 0
    return CheckIn(day=today.isoformat(), streak=days, daily=int(rule["daily"]), bonus=bonus)


def order_points(rule: Mapping[str, Any], amount: int, currency: str) -> int:
    """Points for an order: `points` for each whole `per_amount` minor units spent (in the rule's currency,
    if it names one)."""
    if rule.get("currency") and rule["currency"] != currency:
        return 0
    return (amount // int(rule["per_amount"])) * int(rule["points"])


def refund_points(earned: int, order_amount: int, refunded: int) -> int:
    """What refunds totalling `refunded` take back of an order's points, in all: their share of the order
    (never more than the order), rounded down. Each refund takes what the total wants beyond what the
    refunds before it took, so splitting a refund never keeps points."""
    if order_amount <= 0:
        return 0
    return earned * max(0, min(refunded, order_amount)) // order_amount


def birthday_days(today: date, done: date | None, since: date | None, catch_up: int) -> list[date]:
    """The local days whose birthdays a run credits: those after the last day done, up to today, at most
    `catch_up` days (today included), none before the rule stood (`since`); today alone the first time."""
    start = today - timedelta(days=catch_up - 1)
    if done is None and since is None:
        start = today
    for bound in (done + timedelta(days=1) if done else None, since):
        if bound is not None and bound > start:
            start = bound
    return [start + timedelta(days=n) for n in range((today - start).days + 1)]


def repaid_shares(owed: int, credits: Iterable[int]) -> list[int]:
    """What of each credit (in order) pays a debt of `owed` first: the first credits pay until it is paid."""
    shares, left = [], max(owed, 0)
    for points in credits:
        share = min(left, max(points, 0))
        shares.append(share)
        left -= share
    return shares
