"""How many wrong verification codes a customer may try, and what a coupon under attack does.

An attempt is counted before its code is compared, so parallel guesses cannot pass a limit. A claimed
coupon allows WRONG_CODES_PER_COUPON wrong codes and a customer WRONG_CODES_PER_CUSTOMER across their
coupons of one merchant; the lock ends LOCK after the last counted attempt. Across every customer of one
coupon, ATTACK_WRONG_CODES wrong codes in one fixed window put the coupon under attack until the end of
the next window; meanwhile a claimed coupon with a counted attempt waits ATTACK_PACE between tries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from coupon_service.errors import Locked, TooManyRequests
from coupon_service.validity import from_iso, to_iso

WRONG_CODES_PER_COUPON = 5  # per claimed coupon
WRONG_CODES_PER_CUSTOMER = 10  # per merchant, across all the customer's coupons of that merchant
LOCK = timedelta(minutes=15)
ATTACK_WRONG_CODES = 50
ATTACK_WINDOW = timedelta(minutes=10)
ATTACK_PACE = timedelta(minutes=1)


def place(attempts: Mapping[str, int | str], attempt_id: str) -> int:
    """How many of the attempts still counted were counted up to this one (itself included); entries
    written before attempts were numbered count as earlier ones."""
    mine = attempts[attempt_id]
    return sum(1 for number in attempts.values() if not isinstance(number, int) or number <= int(mine))


def locked(what: str, ends: str, now: str) -> Locked:
    """The answer while a counter has no attempt left."""
    seconds = max(1, int((from_iso(ends) - from_iso(now)).total_seconds()))
    return Locked(
        f"too many wrong codes for {what}; try again after {ends}",
        code="too_many_attempts",
        field="verification_code",
        details={"tries_left": 0, "locked_until": ends},
        retry_after=seconds,
    )


def slowed_down(last_at: str, pace: timedelta, now: str) -> TooManyRequests:
    """The answer to a try sooner than `pace` after the last one, while the coupon is under attack."""
    ready = from_iso(last_at) + pace
    seconds = max(1, math.ceil((ready - from_iso(now)).total_seconds()))
    return TooManyRequests(
        "many wrong codes are being tried on this coupon: wait before trying again",
        code="slowed_down",
        field="verification_code",
        details={"retry_at": to_iso(ready)},
        retry_after=seconds,
    )


def attack_window(now: str) -> tuple[datetime, datetime]:
    """The fixed window `now` falls in: its start and its end."""
    size = ATTACK_WINDOW.total_seconds()
    start = datetime.fromtimestamp(from_iso(now).timestamp() // size * size, tz=UTC)
    return start, start + ATTACK_WINDOW
