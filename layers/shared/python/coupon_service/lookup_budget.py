"""The budget of unknown codes a staff member may look up: a till is not a machine for guessing codes.

Every lookup is counted before it is made and given back when its code turns out to be known, so any
number of parallel guesses makes at most `UNKNOWN_CODES` lookups per window, and honest scans cost
nothing. The window is fixed: it opens with the first lookup after the previous one closed and lasts
`WINDOW`. Once the budget is spent every lookup of that staff member is refused until the window closes,
known codes too: otherwise "refused" would mean "unknown" and the guessing would go on. The moment the
budget is spent is recorded on the item (`locked_at`), and the outbox turns that change into one
`CodeGuessingSuspected` event per window. The counter itself is `store.lookups.UnknownCodes`.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from coupon_service.errors import TooManyRequests
from coupon_service.validity import from_iso

UNKNOWN_CODES = 30
WINDOW = timedelta(minutes=5)
KEPT = timedelta(days=1)  # TTL after the window closes


def spent(window_ends: str, now: datetime) -> TooManyRequests:
    """The answer to every lookup while the budget is spent, at `now`."""
    # From the clock now, not the request's start: a window opened by a later request ends later.
    seconds = max(1, math.ceil((from_iso(window_ends) - now).total_seconds()))
    return TooManyRequests(
        f"too many unknown codes; try again after {window_ends}",
        code="too_many_unknown_codes",
        field="code",
        details={"retry_at": window_ends},
        retry_after=seconds,
    )
