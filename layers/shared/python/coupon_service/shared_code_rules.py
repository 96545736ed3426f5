"""A coupon's public code, pure: its spelling, and the coupon it stands for as a customer who types it at
checkout would hold it.

A public code is typed, not claimed: its redemption is claim and use at once. So the coupon is priced,
stacked, capped and placed exactly as a claimed coupon of it would be, through a claimed coupon made on
the spot (`as_claim`, never stored): its window is the one a claim made now would get, its terms, stores,
time frames, budget and stacking the coupon's own. Nothing here reads or writes the table.
"""

from __future__ import annotations

import hashlib
import re

from pydantic import TypeAdapter

from coupon_service.access import newcomer_rules
from coupon_service.errors import ClaimsClosed, Forbidden, Invalid
from coupon_service.items import ClaimItem, CouponItem
from coupon_service.validity import Validity, from_iso, to_iso, window_for_claim

CODE_PATTERN = r"^[A-Za-z0-9-]{4,32}$"
_CODE = re.compile(CODE_PATTERN)
CHANNEL = "shared_code"  # the channel its redemptions are recorded under
_VALIDITY: TypeAdapter[Validity] = TypeAdapter(Validity)


def spelled(text: str) -> str:
    """The code as stored: upper case (customers type it in any case); a malformed one is a 422."""
    code = text.strip()
    if not _CODE.fullmatch(code):
        raise Invalid("a code is 4 to 32 letters, digits or dashes", code="invalid_code", field="code")
    return code.upper()


def claim_id_for(customer_id: str, coupon_id: str) -> str:
    """The id the customer's uses of the coupon's public code go by (no claim is stored under it); with
    the order id it names each redemption, so a retry for the same order finds its own."""
    return hashlib.sha256(f"{customer_id}\x00{coupon_id}\x00shared-code".encode()).hexdigest()[:32]


def usable(coupon: CouponItem, now: str) -> None:
    """A public code works while its coupon takes claims (active and inside its claim window) and is for
    everyone still: a passphrase, an audience or a per-device limit added after the code was set stops it."""
    for_everyone(coupon)
    window = coupon.claim_window
    if coupon.status == "paused":
        raise ClaimsClosed("this coupon is paused", code="coupon_paused", field="code")
    if now < window.start:
        raise ClaimsClosed(
            "this coupon has not started", code="claim_not_started", details={"starts_at": window.start}
        )
    if now >= window.end:
        raise ClaimsClosed("this coupon has ended", code="claim_ended", details={"ended_at": window.end})


def for_everyone(coupon: CouponItem) -> None:
    """A public code is for every customer: a coupon for listed or tagged customers has none."""
    if coupon.audience_type != "everyone":
        raise Forbidden(
            "a public code is for every customer: this coupon is for some customers only",
            code="not_for_everyone",
            field="audience",
        )
    if coupon.passphrase_hash:  # a code anyone may type would stand in for the passphrase
        raise Forbidden(
            "a coupon claimed with a passphrase has no public code",
            code="not_for_everyone",
            field="options.passphrase",
        )
    if coupon.options.get("per_device_limit"):  # a typed code is redeemed without a claim, from any device
        raise Forbidden(
            "a coupon limited per device has no public code",
            code="not_for_everyone",
            field="options.per_device_limit",
        )


def as_claim(coupon: CouponItem, customer_id: str, code: str, now: str) -> ClaimItem:
    """The coupon as the customer typing its public code now would hold it, had they claimed it now."""
    validity = _VALIDITY.validate_python(coupon.validity)
    start, end = window_for_claim(validity, from_iso(now), coupon.time_zone)
    options = coupon.options
    stacking = options.get("stacking") if (options.get("stacking") or {}).get("stackable") else None
    return ClaimItem(
        claim_id=claim_id_for(customer_id, coupon.coupon_id),
        coupon_id=coupon.coupon_id,
        merchant_id=coupon.merchant_id,
        claimer_id=customer_id,
        owner_id=customer_id,
        state="available",
        claimed_at=now,
        valid_from=to_iso(start),
        valid_until=to_iso(end),
        channel=CHANNEL,
        request_hash="",
        title=coupon.title,
        description=coupon.description,
        currency=coupon.currency,
        time_zone=coupon.time_zone,
        terms=coupon.terms,
        scope=coupon.scope,
        staff_confirms_terms=False,
        code=code,
        code_system=False,
        shard=0,
        budget_shards=coupon.budget_shards,
        stacking=stacking,
        stores=coupon.stores,
        time_frames=coupon.time_frames,
        newcomer_rules=newcomer_rules(coupon.options) or None,  # checked at the redemption, as claimed
    )
