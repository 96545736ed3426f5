"""Claiming: which shard, which code, the claimed coupon as claimed, idempotency; the wallet.

A claim is one or two DynamoDB write requests (`store.claims`, `store.pool`):
- `random_on_claim`: one transaction — take a unit from a shard (its condition checks status, window and
  stock), count the customer's holding (its condition checks the per-customer limit), put the claim (its
  condition makes the claim id, derived from the Idempotency-Key, unique).
- `generated` / `imported`: one conditional update of a shard takes the next position of its code pool
  and marks it with the claim's id, then the transaction above, with the shard's part releasing that
  mark. The code at the position is computed for a seeded generated pool (no read) and read from its
  chunk, cached per execution environment, otherwise (docs/decisions.md, "Claims").
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
import uuid
from typing import Any

from coupon_service import access, claim_watch, keys, qr
from coupon_service.clock import SYSTEM, Clock
from coupon_service.codes import new_system_code
from coupon_service.errors import (
    ClaimsClosed,
    Conflict,
    DuplicateClaim,
    Forbidden,
    Invalid,
    NotFound,
    SoldOut,
)
from coupon_service.identity import Caller
from coupon_service.items import ClaimItem, CouponItem
from coupon_service.models.claims import ClaimedCouponOut, ClaimRequest, WalletPage, WalletStatus
from coupon_service.privacy import PHONE_PURPOSE, keyed_hash, mask_phone, normalise_phone
from coupon_service.secret import hmac_key
from coupon_service.store import pool as pool_store
from coupon_service.store.claims import ClaimStore
from coupon_service.store.segments import SegmentBook
from coupon_service.store.shards import check_open
from coupon_service.store.table import Table
from coupon_service.validity import (
    FixedValidity,
    HoursValidity,
    RelativeDaysValidity,
    from_iso,
    reminder_time,
    to_iso,
    window_for_claim,
)

TERMS_TTL = 5.0  # seconds a claim may use cached coupon terms; the shard's condition is the authority
EMPTY_TTL = 2.0  # seconds a shard seen empty is skipped before it is tried again
PHONE = PHONE_PURPOSE
_VALIDITY: dict[str, type[FixedValidity] | type[RelativeDaysValidity] | type[HoursValidity]] = {
    "fixed": FixedValidity,
    "relative_days": RelativeDaysValidity,
    "hours": HoursValidity,
}


class _Cache:
    """Per execution environment: coupon terms and shards seen empty, each for a few seconds (pool chunks
    are cached by the pool's store)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.terms: dict[str, tuple[float, CouponItem]] = {}
        self.empty: dict[tuple[str, int], float] = {}

    def clear(self) -> None:
        with self.lock:
            self.terms.clear()
            self.empty.clear()
        pool_store.chunks.clear()

    def forget_terms(self, coupon_id: str) -> None:
        with self.lock:
            self.terms.pop(coupon_id, None)


cache = _Cache()


def claim_id_for(customer_id: str, coupon_id: str, key: str | None) -> str:
    if key is None:
        return uuid.uuid4().hex
    # The key's scope is (customer, coupon, key): the same key can never name another customer's claim.
    return hashlib.sha256(f"{customer_id}\x00{coupon_id}\x00{key}".encode()).hexdigest()[:32]


def request_hash(coupon_id: str, channel: str, body: ClaimRequest) -> str:
    # Never the passphrase: the stored hash of the request must not be a cheap test of it.
    payload = json.dumps(
        [coupon_id, channel, body.model_dump(mode="json", exclude={"passphrase"})], sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()


class Claims:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.store = ClaimStore(table)
        self.clock = clock

    # --- terms and checks ------------------------------------------------------------------------

    def terms(self, coupon_id: str, *, drafts: bool = False) -> CouponItem:
        """The coupon's terms (cached a few seconds); a draft only with `drafts` (its test release)."""
        now = time.monotonic()
        with cache.lock:
            cached = cache.terms.get(coupon_id)
        coupon = cached[1] if cached and cached[0] > now else self.store.coupon_terms(coupon_id)
        if not coupon or (coupon.status == "draft" and not drafts):
            raise NotFound("no such coupon", field="couponId")
        if not (cached and cached[0] > now):
            with cache.lock:
                cache.terms[coupon_id] = (now + TERMS_TTL, coupon)
        return coupon

    def _check_coupon(self, coupon: CouponItem, caller: Caller, now: str, *, test: bool = False) -> None:
        start, end = coupon.claim_window.start, coupon.claim_window.end
        check_open(coupon.status, start, end, now, "draft" if test else "active")
        if test:  # the merchant's staff and testers try the coupon whoever it is for
            return
        audience = coupon.audience_type
        if audience == "tags" and not set(coupon.audience_tags or []) & caller.tags:
            raise Forbidden("this coupon is for other customers", code="not_in_audience")
        if audience == "customers" and not self.store.in_audience(coupon.coupon_id, caller.user_id):
            raise Forbidden("this coupon is for other customers", code="not_in_audience")
        if audience == "segment" and not SegmentBook(self.store.table).holds(
            coupon.merchant_id, coupon.audience_segment or "", caller.user_id
        ):
            raise Forbidden("this coupon is for other customers", code="not_in_audience")
        access.check_newcomer(self.store.table, coupon.options, coupon.merchant_id, caller.user_id)

    # --- the claim -------------------------------------------------------------------------------

    def claim(
        self,
        caller: Caller,
        coupon_id: str,
        key: str | None,
        channel: str | None,
        body: ClaimRequest,
        *,
        device_id: str | None = None,
        source_ip: str | None = None,
    ) -> ClaimedCouponOut:
        coupon = self.terms(coupon_id, drafts=True)
        test = access.test_release(coupon, caller)
        now = to_iso(self.clock.now())
        # The request as sent, so the same key with another channel or body is told apart.
        digest = request_hash(coupon_id, channel or "", body)
        channels = coupon.options.get("channels") or []
        recorded = channel if channel in channels and channel is not None else "other"
        claim_id = claim_id_for(caller.user_id, coupon_id, key)
        if key is not None:
            existing = self.store.claim(claim_id)
            if existing:
                return self._replay(existing, caller, digest, now)
        self._check_coupon(coupon, caller, now, test=test)
        access.check_passphrase(self.store.table, coupon, caller, body.passphrase, now)
        item = self._claim_item(
            coupon, caller, claim_id=claim_id, channel=recorded, digest=digest, body=body, now=now
        )
        item.update(claim_watch.marks(coupon, device_id, source_ip, now))  # keyed hashes only
        if test:
            item["test_release"] = True
        if rules := access.newcomer_rules(coupon.options):  # checked again at the redemption, as claimed
            item["newcomer_rules"] = rules
        try:
            if coupon.mode == "random_on_claim":
                claimed = self._claim_random(coupon, item, now)
            else:
                claimed = self._claim_from_pool(coupon, item, now)
        except DuplicateClaim as duplicate:
            return self._replay(ClaimItem.model_validate(duplicate.existing), caller, digest, now)
        except ClaimsClosed:
            cache.forget_terms(coupon_id)  # the cached terms said open: read them again next time
            raise
        return ClaimedCouponOut.from_item(claimed, now)

    def _replay(self, existing: ClaimItem, caller: Caller, digest: str, now: str) -> ClaimedCouponOut:
        if existing.claimer_id != caller.user_id:
            raise NotFound("no such claim")  # unreachable by construction of the id; never leak another's
        if existing.request_hash != digest:
            raise Invalid("this Idempotency-Key was used with a different request", field="Idempotency-Key")
        if existing.owner_id != caller.user_id:
            raise Conflict("the coupon claimed with this key was given away", code="key_used")
        return ClaimedCouponOut.from_item(existing, now)

    def _claim_item(
        self,
        coupon: CouponItem,
        caller: Caller,
        *,
        claim_id: str,
        channel: str,
        digest: str,
        body: ClaimRequest,
        now: str,
    ) -> dict[str, Any]:
        """The claimed coupon as claimed, without its shard and code (chosen by the take)."""
        validity = _VALIDITY[coupon.validity["type"]].model_validate(coupon.validity)
        start, end = window_for_claim(validity, from_iso(now), coupon.time_zone)
        options = coupon.options
        item: dict[str, Any] = {
            **keys.claim(claim_id),
            "type": "claim",
            "claim_id": claim_id,
            "coupon_id": coupon.coupon_id,
            "merchant_id": coupon.merchant_id,
            "merchants": coupon.merchants,
            "claimer_id": caller.user_id,
            "owner_id": caller.user_id,
            "state": "available",
            "claimed_at": now,
            "valid_from": to_iso(start),
            "valid_until": to_iso(end),
            "channel": channel,
            "note": body.note,
            "request_hash": digest,
            # Face value and terms as claimed: later edits never change what a customer holds.
            "title": coupon.title,
            "description": coupon.description,
            "currency": coupon.currency,
            "time_zone": coupon.time_zone,
            "terms": coupon.terms,
            "scope": coupon.scope,
            "giftable": bool(options.get("giftable")),
            "notify_giver": bool(options.get("notify_giver")),
            "gift_message": options.get("gift_message"),
            "staff_confirms_terms": bool(options.get("staff_confirms_terms")),
            # Where and when it may be used, as claimed: the redemption reads nothing more to check them.
            "stores": coupon.stores,
            "time_frames": coupon.time_frames,
            # Whether the holder may redeem in store, as claimed; the store's code stays on the coupon only,
            # where the merchant can change it.
            "self_service": coupon.self_service_mode,
            # Money rules as claimed: the budget's shards (the budget itself stays the coupon's), stacking.
            "budget_shards": coupon.budget_shards,
            "stacking": options.get("stacking") if (options.get("stacking") or {}).get("stackable") else None,
            "nickname": caller.nickname,
            "name": caller.name,
            **keys.wallet_index(caller.user_id, to_iso(end), claim_id),
        }
        phone = normalise_phone(caller.phone) if caller.phone else None
        if phone:
            item["phone_hash"] = keyed_hash(hmac_key(), PHONE, phone)
            item["phone_masked"] = mask_phone(phone)
        if options.get("points_price"):  # paid with points, in the claim's own transaction
            item["points_price"] = options["points_price"]
            item["points_programme"] = coupon.merchant_id
        reminder = options.get("reminder")
        if reminder:
            remind_at = to_iso(reminder_time(reminder, end, coupon.time_zone))
            item["reminder_message"] = reminder["message"]
            item["reminder"] = reminder  # the rule as claimed: an extended window's reminder follows it
            if remind_at > now:  # a reminder time already past at claim is never reminded
                item["remind_at"] = remind_at
                item.update(keys.reminder_index(remind_at, claim_id))
        return item

    def _shard_order(self, coupon: CouponItem) -> list[int]:
        count = coupon.shard_count
        order = random.sample(range(count), count)
        moment = time.monotonic()
        with cache.lock:
            return [i for i in order if cache.empty.get((coupon.coupon_id, i), 0) <= moment]

    def _mark_empty(self, coupon_id: str, index: int) -> None:
        with cache.lock:
            cache.empty[(coupon_id, index)] = time.monotonic() + EMPTY_TTL

    @staticmethod
    def _placed(coupon: CouponItem, item: dict[str, Any], shard: int, code: str, now: str) -> ClaimItem:
        """The claim on a shard with its code: in the code index and the shard's claim records."""
        return ClaimItem.model_validate(
            {
                **item,
                "shard": shard,
                "code": code,
                **keys.claim_code_index(coupon.merchant_id, code),
                **keys.claim_record_index(coupon.coupon_id, shard, now, item["claim_id"]),
            }
        )

    def _claim_random(self, coupon: CouponItem, item: dict[str, Any], now: str) -> ClaimItem:
        limited = coupon.codes.get("inventory") is not None
        limit = coupon.options.get("per_customer_limit", 1)
        for index in self._shard_order(coupon):
            claim = self._placed(coupon, {**item, "code_system": True}, index, new_system_code(), now)
            status = "draft" if item.get("test_release") else "active"
            if self.store.take_unit(claim, limited=limited, limit=limit, now=now, expected=status):
                return claim
            self._mark_empty(coupon.coupon_id, index)
        raise SoldOut(coupon.coupon_id)

    def _claim_from_pool(self, coupon: CouponItem, item: dict[str, Any], now: str) -> ClaimItem:
        coupon_id = coupon.coupon_id
        pool = self.store.pool
        for index in self._shard_order(coupon):
            status = "draft" if item.get("test_release") else "active"
            position = pool.take_position(coupon_id, index, item["claim_id"], now, status)
            if position is None:
                self._mark_empty(coupon_id, index)
                continue
            code = pool.position_code(coupon, index, position)
            if code is None:  # the take's condition keeps positions below the pool's size: never happens
                raise AssertionError(f"pool position {position} of shard {index} holds no code")
            system = coupon.mode == "generated"
            claim = self._placed(
                coupon, {**item, "position": position, "code_system": system}, index, code, now
            )
            self.store.claim_position(claim, limit=coupon.options.get("per_customer_limit", 1))
            return claim
        raise SoldOut(coupon_id)

    def issue(
        self, coupon: CouponItem, holder: Caller, claim_id: str, extra: dict[str, Any], now: str
    ) -> ClaimItem:
        """A claimed coupon the service makes for `holder` (coupon_service.issuing): the claim's own item
        and take (shards, per-customer limit, code pools), with `extra` (channel, why), no customer checks."""
        digest, channel = extra["request_hash"], extra["channel"]
        item = self._claim_item(
            coupon, holder, claim_id=claim_id, channel=channel, digest=digest, body=ClaimRequest(), now=now
        )
        item.update(extra)
        for unpaid in ("points_price", "points_programme"):  # issued by the service: never charged
            item.pop(unpaid, None)
        if coupon.mode == "random_on_claim":
            return self._claim_random(coupon, item, now)
        return self._claim_from_pool(coupon, item, now)

    # --- the wallet ------------------------------------------------------------------------------

    def wallet(
        self, caller: Caller, status: WalletStatus | None, limit: int, token: str | None
    ) -> WalletPage:
        now = to_iso(self.clock.now())
        items, next_token = self.store.wallet_page(caller.user_id, status, now, limit, token)
        return WalletPage(items=[ClaimedCouponOut.from_item(i, now) for i in items], next_token=next_token)

    def owned(self, caller: Caller, claim_id: str) -> ClaimItem:
        return self.store.owned_claim(caller.user_id, claim_id)

    def code_qr(self, caller: Caller, claim_id: str, size: str) -> bytes:
        """The PNG of the QR code a till scans to redeem the caller's claimed coupon."""
        return qr.render_png(self.owned(caller, claim_id).code, size)

    def detail(self, caller: Caller, claim_id: str) -> ClaimedCouponOut:
        return ClaimedCouponOut.from_item(self.owned(caller, claim_id), to_iso(self.clock.now()))
