"""Giving a claimed coupon to a friend: ownership moves exactly once, by one transaction.

A gift is pending, accepted or cancelled; a pending gift past its lifetime is expired, derived from the
time on every read and write, never by a job. The token is the capability the giver shares, and it is
never stored: it is derived (an HMAC with the stack's key of a seed made from the request), and the gift
is stored under the token's SHA-256. A retry with the same `Idempotency-Key` derives the same token.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import re
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from coupon_service import clock, keys
from coupon_service.claims import claimed_out
from coupon_service.errors import Conflict, NotFound
from coupon_service.identity import Caller
from coupon_service.lifecycle import refuse
from coupon_service.models.claims import ClaimedCouponOut
from coupon_service.models.coupons import Scope, Terms
from coupon_service.reissue import fresh_code, retiring
from coupon_service.secret import hmac_key
from coupon_service.settings import settings
from coupon_service.store.table import Cancelled, Table, to_item, values
from coupon_service.validity import from_iso, to_iso

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # an HMAC-SHA256 in unpadded base64url
_PURPOSE = "gift"  # the keyed-hash purpose (see privacy.keyed_hash) of gift links
_NAMESPACE = uuid.UUID("0d6c1f5e-8a4b-4f7e-b0a2-3c5d9e1f7a64")
RECORD_KEPT = timedelta(days=30)  # how long a finished gift record stays before TTL clean-up

GiftState = Literal["pending", "accepted", "cancelled", "expired"]


class GiftCreated(BaseModel):
    token: str = Field(description="Share it with one friend; it is shown only once")
    share_url: str
    claim_id: str
    state: GiftState
    expires_at: datetime


class GiftView(BaseModel):
    """What a friend sees before accepting: the coupon and who gives it, never its code."""

    state: GiftState
    expires_at: datetime
    giver_name: str
    message: str | None = None
    title: str
    description: str
    merchant_id: str
    merchants: list[str] | None = None
    currency: str
    terms: Terms
    scope: Scope
    valid_from: datetime
    valid_until: datetime


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


def gift_state(gift: dict[str, Any], now: str) -> GiftState:
    if gift["state"] == "pending" and gift["gift_expires_at"] <= now:
        return "expired"
    return gift["state"]


def view(gift: dict[str, Any], now: str) -> GiftView:
    return GiftView.model_validate(
        {**gift, "state": gift_state(gift, now), "expires_at": gift["gift_expires_at"]}
    )


_HELD = "(#st = :available OR (#st = :gifting AND gift_expires_at <= :now))"  # nobody else's pending gift


class Gifts:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    # --- giving ----------------------------------------------------------------------------------

    def give(self, caller: Caller, claim_id: str, base_url: str, key: str | None = None) -> GiftCreated:
        token = token_for(gift_seed(claim_id, caller.user_id, key))
        try:
            return self._give(caller, claim_id, token, base_url)
        except (NotFound, Conflict):
            # With a key, a refusal may be this request's own gift: made by a concurrent retry, or by this
            # very request whose answer was lost. It comes back, or what became of it.
            made = self._made_with(token, base_url) if key is not None else None
            if made is None:
                raise
            return made

    def _give(self, caller: Caller, claim_id: str, token: str, base_url: str) -> GiftCreated:
        gift_id = gift_id_for(token)
        claim = self.table.get(keys.claim(claim_id))
        if not claim or claim["owner_id"] != caller.user_id:
            raise NotFound("no such coupon in your wallet", field="claimId")
        now = to_iso(clock.now())
        _refuse_gifting(claim, now)
        ends = to_iso(clock.now() + timedelta(hours=settings().gift_lifetime_hours))
        gift = {
            **keys.gift(gift_id),
            "type": "gift",
            "gift_id": gift_id,
            "state": "pending",
            "claim_id": claim_id,
            "coupon_id": claim["coupon_id"],
            "merchant_id": claim["merchant_id"],
            "merchants": claim.get("merchants"),
            "giver_id": caller.user_id,
            "giver_name": caller.display_name,
            "created_at": now,
            "gift_expires_at": ends,
            "expires_at": int((from_iso(ends) + RECORD_KEPT).timestamp()),
            **keys.reminder_index(ends, gift_id),  # the scheduled run settles it once it lapses
            "notify_giver": bool(claim.get("notify_giver")),
            "message": claim.get("gift_message"),
            **{k: claim[k] for k in ("title", "description", "currency", "terms", "scope")},
            **{k: claim[k] for k in ("valid_from", "valid_until")},
        }
        try:
            self.table.transact(
                [
                    {
                        "Update": {
                            "Key": to_item(keys.claim(claim_id)),
                            # What accepting retires: the code the giver holds now (and keeps seeing).
                            "UpdateExpression": "SET #st = :gifting, gift_id = :gid, "
                            "gift_expires_at = :ends, gift_retires = :retires",
                            "ConditionExpression": "owner_id = :me AND code = :code AND giftable = :yes "
                            f"AND valid_until > :now AND {_HELD}",
                            "ExpressionAttributeNames": {"#st": "state"},
                            "ExpressionAttributeValues": values(
                                gifting="gifting",
                                available="available",
                                gid=gift_id,
                                ends=ends,
                                retires=retiring(claim["code"], gift_id=gift_id),
                                code=claim["code"],
                                me=caller.user_id,
                                yes=True,
                                now=now,
                            ),
                        }
                    },
                    {"Put": {"Item": to_item(gift), "ConditionExpression": "attribute_not_exists(PK)"}},
                ]
            )
        except Cancelled:
            current = self.table.get(keys.claim(claim_id))
            if not current or current["owner_id"] != caller.user_id:
                raise NotFound("no such coupon in your wallet", field="claimId") from None
            _refuse_gifting(current, to_iso(clock.now()))
            raise Conflict("this coupon changed while you gave it; try again", code="changed") from None
        return _created(gift, token, base_url)

    def _made_with(self, token: str, base_url: str) -> GiftCreated | None:
        """The gift a request with this key already made, while it is pending; None if there is none."""
        gift = self.table.get(keys.gift(gift_id_for(token)))
        if gift is None:
            return None
        state = gift_state(gift, to_iso(clock.now()))
        if state != "pending":
            # Only the giver ever held this link; a key is for one gift, so giving again needs a new one.
            raise Conflict(
                f"the gift made with this Idempotency-Key is {state}; give again with a new key",
                code="key_used",
                field="Idempotency-Key",
                details={"state": state},
            )
        return _created(gift, token, base_url)

    # --- what the friend sees, accepting, cancelling ---------------------------------------------

    def _gift(self, token: str) -> dict[str, Any]:
        gift = self.table.get(keys.gift(gift_id_for(token))) if TOKEN_RE.fullmatch(token) else None
        if not gift:
            raise NotFound("no such gift", field="token")
        return gift

    def show(self, token: str) -> GiftView:
        return view(self._gift(token), to_iso(clock.now()))

    def accept(self, caller: Caller, token: str) -> ClaimedCouponOut:
        gift = self._gift(token)
        now = to_iso(clock.now())
        if gift["giver_id"] == caller.user_id:
            raise Conflict("you cannot accept your own gift", code="own_gift")
        self._refuse_accepting(gift, caller, now)
        if gift["state"] != "accepted":
            try:
                self.table.transact(self._accept_operations(gift, caller, now))
            except Cancelled:
                gift = self._gift(token)
                self._refuse_accepting(gift, caller, to_iso(clock.now()))
                if gift["state"] != "accepted":  # still pending: the coupon itself ran out meanwhile
                    raise _expired("the coupon", gift["valid_until"]) from None
        claim = self.table.get(keys.claim(gift["claim_id"]))
        return claimed_out(claim, to_iso(clock.now()))

    @staticmethod
    def _refuse_accepting(gift: dict[str, Any], caller: Caller, now: str) -> None:
        """Every reason a friend cannot accept, or nothing (also for their own accept, retried)."""
        state = gift_state(gift, now)
        if state == "accepted" and gift.get("friend_id") != caller.user_id:
            raise Conflict("this gift has already been accepted", code="already_accepted")
        if state == "cancelled":
            raise Conflict("the giver cancelled this gift", code="gift_cancelled")
        if state == "expired":
            raise Conflict(
                "this gift has expired", code="gift_expired", details={"expired_at": gift["gift_expires_at"]}
            )
        if state == "pending" and gift["valid_until"] <= now:
            raise Conflict(
                "the coupon has expired", code="expired", details={"expired_at": gift["valid_until"]}
            )

    @staticmethod
    def _accept_operations(gift: dict[str, Any], caller: Caller, now: str) -> list[dict[str, Any]]:
        # The giver has seen the code: the friend gets one nobody else has, and the old one stops working.
        # The record of the code retired was written when the gift was given, so no read is needed here.
        code_sets, code_values = fresh_code(gift["merchant_id"], "gift_retires")
        return [
            {
                "Update": {
                    "Key": to_item(keys.gift(gift["gift_id"])),
                    "UpdateExpression": "SET #st = :accepted, friend_id = :friend, friend_name = :name, "
                    "accepted_at = :now REMOVE GSI3PK, GSI3SK",
                    "ConditionExpression": "#st = :pending AND gift_expires_at > :now",
                    "ExpressionAttributeNames": {"#st": "state"},
                    "ExpressionAttributeValues": values(
                        accepted="accepted",
                        pending="pending",
                        friend=caller.user_id,
                        name=caller.display_name,
                        now=now,
                    ),
                }
            },
            {
                # The coupon moves wallets (GSI1PK) with a fresh code; its window and reminder time stay. The
                # per-customer claim counters are not touched: a coupon received does not count as claimed.
                "Update": {
                    "Key": to_item(keys.claim(gift["claim_id"])),
                    "UpdateExpression": "SET owner_id = :friend, #st = :available, GSI1PK = :wallet, "
                    f"received_at = :now, received_from = :giver, {code_sets} "
                    "REMOVE gift_id, gift_expires_at, gift_retires",
                    "ConditionExpression": "gift_id = :gid AND #st = :gifting AND owner_id = :giver "
                    "AND valid_until > :now",
                    "ExpressionAttributeNames": {"#st": "state"},
                    "ExpressionAttributeValues": values(
                        friend=caller.user_id,
                        available="available",
                        gifting="gifting",
                        wallet=keys.wallet(caller.user_id),
                        now=now,
                        giver=gift["giver_id"],
                        gid=gift["gift_id"],
                        **code_values,
                    ),
                }
            },
        ]

    def cancel(self, caller: Caller, token: str) -> GiftView:
        gift = self._gift(token)
        if gift["giver_id"] != caller.user_id:
            raise NotFound("no such gift", field="token")
        if gift_state(gift, to_iso(clock.now())) == "pending":
            # Accepted or lapsed meanwhile: answered below from what the gift is now.
            with contextlib.suppress(Cancelled):
                self.table.transact(self._cancel_operations(gift, to_iso(clock.now())))
            gift = self._gift(token)
        if gift["state"] == "accepted":
            raise Conflict("your friend has already accepted this gift", code="already_accepted")
        return view(gift, to_iso(clock.now()))

    @staticmethod
    def _cancel_operations(gift: dict[str, Any], now: str) -> list[dict[str, Any]]:
        return [
            {
                "Update": {
                    "Key": to_item(keys.gift(gift["gift_id"])),
                    "UpdateExpression": "SET #st = :cancelled, cancelled_at = :now REMOVE GSI3PK, GSI3SK",
                    "ConditionExpression": "#st = :pending AND gift_expires_at > :now",
                    "ExpressionAttributeNames": {"#st": "state"},
                    "ExpressionAttributeValues": values(cancelled="cancelled", pending="pending", now=now),
                }
            },
            back_to_giver(gift),
        ]


def _created(gift: dict[str, Any], token: str, base_url: str) -> GiftCreated:
    return GiftCreated(
        token=token,
        share_url=f"{base_url}/gifts/{token}",
        claim_id=gift["claim_id"],
        state="pending",
        expires_at=from_iso(gift["gift_expires_at"]),
    )


def back_to_giver(gift: dict[str, Any]) -> dict[str, Any]:
    """The operation that takes a claimed coupon out of this gift, usable by its giver again."""
    return {
        "Update": {
            "Key": to_item(keys.claim(gift["claim_id"])),
            "UpdateExpression": "SET #st = :available REMOVE gift_id, gift_expires_at, gift_retires",
            "ConditionExpression": "gift_id = :gid AND #st = :gifting",
            "ExpressionAttributeNames": {"#st": "state"},
            "ExpressionAttributeValues": values(
                available="available", gifting="gifting", gid=gift["gift_id"]
            ),
        }
    }


def _expired(what: str, ended: str, code: str = "expired") -> Conflict:
    return Conflict(f"{what} has expired", code=code, details={"expired_at": ended})


def _refuse_gifting(claim: dict[str, Any], now: str) -> None:
    refuse("give", claim, now)
