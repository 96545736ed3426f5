"""One lifecycle of a claimed coupon: its state at a given time, the one refusal each action answers in
each state, and the DynamoDB conditions that say the same as their Python twins, side by side.

A claimed coupon is stored with `state` `available`, `gifting` (with `gift_expires_at`), `used` or `void`,
and its window (`valid_from`, `valid_until`). At a time `now` it is, in this order of precedence:

- `used`: redeemed (until a reversal makes it available again);
- `void`: voided by its merchant, for good (only a held, unused coupon can be voided);
- `expired`: its window ended (`valid_until <= now`);
- `gifting`: in a pending gift (`gift_expires_at > now`); a gift that lapsed unaccepted leaves it held;
- `not_started`: its window has not begun (`valid_from > now`); the wallet lists it as `available`;
- `available`.

Times are the fixed-width UTC strings of `validity.to_iso`, so they compare as strings both here and in
DynamoDB's conditions. `tests/integration/test_lifecycle.py` evaluates every condition below against
generated claim items in the emulator and compares each with its twin.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from coupon_service.errors import Conflict
from coupon_service.items import ClaimItem

WalletStatus = Literal["available", "used", "expired", "gifting", "void"]
ClaimState = Literal["available", "not_started", "gifting", "expired", "used", "void"]
Action = Literal["quote", "redeem", "give", "accept", "void"]
ExpirySide = Literal["unexpired", "expired"]

STATES: tuple[ClaimState, ...] = ("available", "not_started", "gifting", "expired", "used", "void")
WALLET_STATUSES: tuple[WalletStatus, ...] = ("available", "gifting", "expired", "used", "void")


# --- the state at a time ----------------------------------------------------------------------------


def held(claim: ClaimItem, now: str) -> bool:
    """In nobody's pending gift: available, or in a gift that lapsed unaccepted (not used either)."""
    gift_ends = claim.gift_expires_at
    lapsed = gift_ends is not None and gift_ends <= now
    return claim.state == "available" or (claim.state == "gifting" and lapsed)


def expired(claim: ClaimItem, now: str) -> bool:
    return claim.valid_until <= now


def started(claim: ClaimItem, now: str) -> bool:
    return claim.valid_from <= now


def state_at(claim: ClaimItem, now: str) -> ClaimState:
    if claim.state in ("used", "void"):
        return "void" if claim.state == "void" else "used"
    if expired(claim, now):
        return "expired"
    if not held(claim, now):
        return "gifting"
    if not started(claim, now):
        return "not_started"
    return "available"


def wallet_status(claim: ClaimItem, now: str) -> WalletStatus:
    """What "my coupons" shows: a coupon whose window has not begun is listed as available."""
    state = state_at(claim, now)
    return "available" if state == "not_started" else state


def remindable(claim: ClaimItem, now: str) -> bool:
    """A reminder before expiry is worth sending: not used, void or expired (a pending gift may lapse)."""
    return state_at(claim, now) not in ("used", "void", "expired")


def voidable(claim: ClaimItem, now: str) -> bool:
    """What a merchant may void: held and unused, not expired (started or not, in a pending gift or not)."""
    return state_at(claim, now) in ("available", "not_started", "gifting")


# --- the one refusal per state and action ------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def error(self) -> Conflict:
        return Conflict(self.message, code=self.code, details=self.details)


_USED = "this coupon has already been used"
_EXPIRED = "this coupon has expired"
_NOT_STARTED = "this coupon cannot be used yet"
_IN_GIFT = "this coupon is being given to a friend"
_VOID = "the merchant voided this coupon"

# Each API keeps the codes it has always answered (docs/decisions.md, "One lifecycle"): the quote names
# reasons (`used`), the till and the wallet name refusals (`already_used`); giving a coupon already in a
# gift is `already_gifting` (the giver's own act), redeeming it `in_pending_gift`. A state missing from an
# action's row is no refusal: a coupon whose window has not begun may be given away.
REFUSALS: dict[Action, dict[ClaimState, tuple[str, str]]] = {
    "quote": {
        "used": ("used", _USED),
        "expired": ("expired", _EXPIRED),
        "gifting": ("in_pending_gift", _IN_GIFT),
        "not_started": ("not_started", _NOT_STARTED),
        "void": ("voided", _VOID),
    },
    "redeem": {
        "used": ("already_used", _USED),
        "expired": ("expired", _EXPIRED),
        "gifting": ("in_pending_gift", _IN_GIFT),
        "not_started": ("not_started", _NOT_STARTED),
        "void": ("voided", _VOID),
    },
    "give": {
        "used": ("already_used", _USED),
        "expired": ("expired", _EXPIRED),
        "gifting": ("already_gifting", "this coupon is already in a pending gift"),
        "void": ("voided", _VOID),
    },
    # A friend accepting: the gift's own states are the gift's refusals (gifts.py); the coupon's are here.
    "accept": {"expired": ("expired", _EXPIRED), "void": ("voided", _VOID)},
    # Voiding: a used coupon is reversed, not voided; an expired one is no use to anyone already.
    "void": {"used": ("already_used", _USED), "expired": ("expired", _EXPIRED)},
}

NOT_GIFTABLE = Refusal("not_giftable", "this coupon cannot be given away")


def _details(state: ClaimState, claim: ClaimItem) -> dict[str, Any]:
    if state == "void":
        return {"voided_at": claim.voided_at}  # the reason is its holder's to read, in the wallet
    if state == "expired":
        return {"expired_at": claim.valid_until}
    if state == "not_started":
        return {"starts_at": claim.valid_from}
    return {}


def refusal(action: Action, claim: ClaimItem, now: str) -> Refusal | None:
    """Why the claimed coupon's own state rules the action out at `now`, or None."""
    if action == "give" and not claim.giftable:
        return NOT_GIFTABLE
    state = state_at(claim, now)
    answer = REFUSALS[action].get(state)
    if answer is None:
        return None
    code, message = answer
    return Refusal(code, message, _details(state, claim))


def refuse(action: Action, claim: ClaimItem, now: str) -> None:
    """Raise the action's refusal (a 409) for the claimed coupon's state at `now`, if it has one."""
    refused = refusal(action, claim, now)
    if refused is not None:
        raise refused.error()


REFUSAL_CODES: dict[Action, frozenset[str]] = {
    action: frozenset(code for code, _ in row.values()) for action, row in REFUSALS.items()
}


# --- the same rules as DynamoDB conditions -----------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """A condition expression fragment with its placeholders; values are plain (the store serialises)."""

    expression: str
    names: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Any] = field(default_factory=dict)

    def __and__(self, other: Condition) -> Condition:
        for mine, theirs in ((self.names, other.names), (self.values, other.values)):
            clash = [k for k in mine.keys() & theirs.keys() if mine[k] != theirs[k]]
            if clash:
                raise ValueError(f"placeholders {clash} mean different things")
        return Condition(
            f"{self.expression} AND {other.expression}",
            {**self.names, **other.names},
            {**self.values, **other.values},
        )


_STATE = {"#st": "state"}


def _not_spent() -> Condition:
    """Neither used nor void: the stored states no time brings back."""
    return Condition("NOT #st IN (:used, :void)", _STATE, {":used": "used", ":void": "void"})


def held_condition(now: str) -> Condition:
    return Condition(
        "(#st = :available OR (#st = :gifting AND gift_expires_at <= :now))",
        _STATE,
        {":available": "available", ":gifting": "gifting", ":now": now},
    )


def unexpired_condition(now: str) -> Condition:
    return Condition("valid_until > :now", {}, {":now": now})


def started_condition(now: str) -> Condition:
    return Condition("valid_from <= :now", {}, {":now": now})


def redeemable_condition(now: str) -> Condition:
    """The state part of a redemption's condition (owner, code and reversal round are the redemption's)."""
    return started_condition(now) & unexpired_condition(now) & held_condition(now)


def givable_condition(now: str) -> Condition:
    """The state part of giving (the owner and the code are the gift's)."""
    return Condition("giftable = :yes", {}, {":yes": True}) & unexpired_condition(now) & held_condition(now)


def remindable_condition(now: str) -> Condition:
    return _not_spent() & unexpired_condition(now)


def voidable_condition(now: str) -> Condition:
    """The state part of voiding (the coupon, the holder as read and the gift are the void's)."""
    return Condition(
        "#st IN (:available, :gifting)", _STATE, {":available": "available", ":gifting": "gifting"}
    ) & unexpired_condition(now)


def _pending_gift(now: str) -> Condition:
    return Condition(
        "#st = :gifting AND gift_expires_at > :now", _STATE, {":gifting": "gifting", ":now": now}
    )


@dataclass(frozen=True)
class WalletView:
    """One wallet filter: the side of `valid_until` the wallet's sort key can narrow to (the store turns it
    into a key condition), and the whole rule as a filter (its expiry part repeats the key condition)."""

    side: ExpirySide | None
    filter: Condition


def wallet_view(status: WalletStatus, now: str) -> WalletView:
    if status in ("used", "void"):
        return WalletView(None, Condition(f"#st = :{status}", _STATE, {f":{status}": status}))
    if status == "expired":
        return WalletView("expired", _not_spent() & Condition("valid_until <= :now", {}, {":now": now}))
    if status == "gifting":
        return WalletView("unexpired", unexpired_condition(now) & _pending_gift(now))
    return WalletView("unexpired", unexpired_condition(now) & held_condition(now))


# Each condition beside its Python twin: the test holds each pair against the other.
Predicate = Callable[[ClaimItem, str], bool]
Twin = tuple[Callable[[str], Condition], Predicate]


def _allowed(action: Action) -> Predicate:
    return lambda claim, now: refusal(action, claim, now) is None


def _wallet_twin(status: WalletStatus) -> Twin:
    return (
        lambda now: wallet_view(status, now).filter,
        lambda claim, now: wallet_status(claim, now) == status,
    )


TWINS: dict[str, Twin] = {
    "held": (held_condition, held),
    "redeem": (redeemable_condition, _allowed("redeem")),
    "give": (givable_condition, _allowed("give")),
    "remind": (remindable_condition, remindable),
    "void": (voidable_condition, voidable),
    **{f"wallet:{status}": _wallet_twin(status) for status in WALLET_STATUSES},
}
