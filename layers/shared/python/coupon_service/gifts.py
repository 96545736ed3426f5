"""Giving a claimed coupon to a friend: ownership moves exactly once, by one transaction.

A gift is pending, accepted or cancelled; a pending gift past its lifetime is expired, derived from the
time on every read and write, never by a job. The token is the capability the giver shares, and it is
never stored: it is derived (an HMAC with the stack's key of a seed made from the request), and the gift
is stored under the token's SHA-256. A retry with the same `Idempotency-Key` derives the same token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import uuid
from datetime import timedelta

from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import Changed, Conflict, NotFound
from coupon_service.identity import Caller
from coupon_service.items import ClaimItem, GiftItem
from coupon_service.lifecycle import refuse
from coupon_service.models.claims import ClaimedCouponOut
from coupon_service.models.gifts import GiftCreated, GiftView
from coupon_service.secret import hmac_key
from coupon_service.settings import settings
from coupon_service.store.gifts import GiftStore
from coupon_service.store.table import Table
from coupon_service.validity import from_iso, to_iso

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # an HMAC-SHA256 in unpadded base64url
_PURPOSE = "gift"  # the keyed-hash purpose (see privacy.keyed_hash) of gift links
_NAMESPACE = uuid.UUID("0d6c1f5e-8a4b-4f7e-b0a2-3c5d9e1f7a64")
RECORD_KEPT = timedelta(days=30)  # how long a finished gift record stays before TTL clean-up


def gift_id_for(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def gift_seed(claim_id: str, giver_id: str, key: str | None) -> str:
    """What a gift's token is derived from: the request's (claim, giver, Idempotency-Key), else chance."""
    if key is None:
        return secrets.token_hex(16)
    return uuid.uuid5(_NAMESPACE, f"{claim_id}\n{giver_id}\n{key}").hex


def token_for(seed: str) -> str:
    """The token for a seed: unguessable without the stack's key, even for whoever knows the seed."""
    digest = hmac.new(hmac_key(), f"{_PURPOSE}\x00{seed}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_gift(claim: ClaimItem, caller: Caller, gift_id: str, now: str) -> GiftItem:
    """The gift of a claimed coupon, pending for the gift lifetime, with a copy of what the friend sees."""
    ends = to_iso(from_iso(now) + timedelta(hours=settings().gift_lifetime_hours))
    return GiftItem(
        claim_id=claim.claim_id,
        coupon_id=claim.coupon_id,
        merchant_id=claim.merchant_id,
        title=claim.title,
        description=claim.description,
        currency=claim.currency,
        terms=claim.terms,
        scope=claim.scope,
        valid_from=claim.valid_from,
        valid_until=claim.valid_until,
        time_zone=claim.time_zone,
        merchants=claim.merchants,
        gift_id=gift_id,
        state="pending",
        giver_id=caller.user_id,
        giver_name=caller.display_name,
        created_at=now,
        gift_expires_at=ends,
        expires_at=int((from_iso(ends) + RECORD_KEPT).timestamp()),
        notify_giver=claim.notify_giver,
        message=claim.gift_message,
    )


class Gifts:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.table = table or Table()
        self.store = GiftStore(self.table)
        self.clock = clock

    # --- giving ----------------------------------------------------------------------------------

    def give(self, caller: Caller, claim_id: str, web_url: str, key: str | None = None) -> GiftCreated:
        token = token_for(gift_seed(claim_id, caller.user_id, key))
        try:
            return self._give(caller, claim_id, token, web_url)
        except (NotFound, Conflict):
            # With a key, a refusal may be this request's own gift: made by a concurrent retry, or by this
            # very request whose answer was lost. It comes back, or what became of it.
            made = self._made_with(token, web_url) if key is not None else None
            if made is None:
                raise
            return made

    def _give(self, caller: Caller, claim_id: str, token: str, web_url: str) -> GiftCreated:
        now = to_iso(self.clock.now())
        claim = self._giftable(self.store.claim(claim_id), caller, now)
        gift = new_gift(claim, caller, gift_id_for(token), now)
        try:
            self.store.create_gift(gift, code=claim.code, now=now)
        except Changed:
            self._giftable(self.store.claim(claim_id), caller, to_iso(self.clock.now()))
            raise
        return GiftCreated.of(gift, token, web_url)

    @staticmethod
    def _giftable(claim: ClaimItem | None, caller: Caller, now: str) -> ClaimItem:
        if claim is None or claim.owner_id != caller.user_id:
            raise NotFound("no such coupon in your wallet", field="claimId")
        _refuse_gifting(claim, now)
        return claim

    def _made_with(self, token: str, web_url: str) -> GiftCreated | None:
        """The gift a request with this key already made, while it is pending; None if there is none."""
        gift = self.store.gift(gift_id_for(token))
        if gift is None:
            return None
        state = gift.state_at(to_iso(self.clock.now()))
        if state != "pending":
            # Only the giver ever held this link; a key is for one gift, so giving again needs a new one.
            raise Conflict(
                f"the gift made with this Idempotency-Key is {state}; give again with a new key",
                code="key_used",
                field="Idempotency-Key",
                details={"state": state},
            )
        return GiftCreated.of(gift, token, web_url)

    # --- what the friend sees, accepting, cancelling ---------------------------------------------

    def _gift(self, token: str) -> GiftItem:
        gift = self.store.gift(gift_id_for(token)) if TOKEN_RE.fullmatch(token) else None
        if gift is None:
            raise NotFound("no such gift", field="token")
        return gift

    def show(self, token: str) -> GiftView:
        return GiftView.of(self._gift(token), to_iso(self.clock.now()))

    def accept(self, caller: Caller, token: str) -> ClaimedCouponOut:
        gift = self._gift(token)
        now = to_iso(self.clock.now())
        if gift.giver_id == caller.user_id:
            raise Conflict("you cannot accept your own gift", code="own_gift")
        self._refuse_voided(gift, now)
        _refuse_accepting(gift, caller, now)
        if gift.state != "accepted" and not self.store.accept_gift(
            gift, friend_id=caller.user_id, friend_name=caller.display_name, now=now
        ):
            gift = self._gift(token)  # it moved on meanwhile: answered from what it became
            self._refuse_voided(gift, now)
            _refuse_accepting(gift, caller, to_iso(self.clock.now()))
            if gift.state != "accepted":
                raise _expired("the coupon", gift.valid_until)
        claim = self.store.claim(gift.claim_id)
        if claim is None:  # never: a claimed coupon is not deleted
            raise NotFound("no such gift", field="token")
        return ClaimedCouponOut.from_item(claim, to_iso(self.clock.now()))

    def _refuse_voided(self, gift: GiftItem, now: str) -> None:
        """A gift cancelled because its merchant voided the coupon answers the coupon's refusal."""
        if gift.cancelled_by == "void":
            claim = self.store.claim(gift.claim_id)
            if claim is not None:
                refuse("accept", claim, now)

    def cancel(self, caller: Caller, token: str) -> GiftView:
        gift = self._gift(token)
        if gift.giver_id != caller.user_id:
            raise NotFound("no such gift", field="token")
        if gift.state_at(to_iso(self.clock.now())) == "pending":
            # Refused when accepted or lapsed meanwhile: answered either way from what the gift is now.
            self.store.cancel_gift(gift, to_iso(self.clock.now()))
            gift = self._gift(token)
        if gift.state == "accepted":
            raise Conflict("your friend has already accepted this gift", code="already_accepted")
        return GiftView.of(gift, to_iso(self.clock.now()))


def _refuse_accepting(gift: GiftItem, caller: Caller, now: str) -> None:
    """Every reason a friend cannot accept, or nothing (also for their own accept, retried)."""
    state = gift.state_at(now)
    if state == "accepted" and gift.friend_id != caller.user_id:
        raise Conflict("this gift has already been accepted", code="already_accepted")
    if state == "cancelled":
        raise Conflict("the giver cancelled this gift", code="gift_cancelled")
    if state == "expired":
        raise _expired("this gift", gift.gift_expires_at, code="gift_expired")
    if state == "pending" and gift.valid_until <= now:
        raise _expired("the coupon", gift.valid_until)


def _expired(what: str, ended: str, code: str = "expired") -> Conflict:
    return Conflict(f"{what} has expired", code=code, details={"expired_at": ended})


def _refuse_gifting(claim: ClaimItem, now: str) -> None:
    refuse("give", claim, now)
