"""Claiming: inventory shards, codes by position, the per-customer limit and idempotency; the wallet.

A claim is one or two DynamoDB write requests:
- `random_on_claim`: one transaction — take a unit from a shard (its condition checks status, window and
  stock), count the customer's holding (its condition checks the per-customer limit), put the claim (its
  condition makes the claim id, derived from the Idempotency-Key, unique).
- `generated` / `imported`: one conditional update of a shard takes the next position of its code pool
  (the counter names the code: no search) and marks it with the claim's id (`taker_<claimId>`), then the
  transaction above, with the shard's part removing that mark (condition: still this claim's). The mark
  makes both steps safe to retry after a lost answer: a retried take that is refused finds its own mark
  and its position; a committed claim has removed it. A claim refused for a business reason (limit
  reached, duplicate key) gives its position back (`returned`) with the mark as the condition, so a
  position whose claim committed can never be given back; one whose outcome stayed unknown keeps its
  mark (never handed out twice; at worst unsold, and visible).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import threading
import time
import uuid
from collections import OrderedDict
from datetime import timedelta
from typing import Any

from coupon_service import clock, keys
from coupon_service.codes import new_system_code
from coupon_service.errors import Conflict, Forbidden, Invalid, NotFound
from coupon_service.identity import Caller
from coupon_service.lifecycle import wallet_status, wallet_view
from coupon_service.models.claims import ClaimedCouponOut, ClaimRequest, WalletPage, WalletStatus
from coupon_service.privacy import keyed_hash, mask_phone, normalise_phone
from coupon_service.secret import hmac_key
from coupon_service.self_service import self_service_of
from coupon_service.store.table import (
    Cancelled,
    StoreBusy,
    Table,
    cleanup,
    decode_token,
    encode_token,
    to_item,
    values,
)
from coupon_service.validity import (
    FixedValidity,
    HoursValidity,
    RelativeDaysValidity,
    from_iso,
    to_iso,
    window_for_claim,
)

TERMS_TTL = 5.0  # seconds a claim may use cached coupon terms; the shard's condition is the authority
EMPTY_TTL = 2.0  # seconds a shard seen empty is skipped before it is tried again
PHONE = "customer-phone"
_VALIDITY = {"fixed": FixedValidity, "relative_days": RelativeDaysValidity, "hours": HoursValidity}


class _Cache:
    """Per execution environment: coupon terms and shards seen empty, each for a few seconds; pool chunks
    (a code once written at a position never changes, so a chunk is re-read only when it does not reach
    a position yet: an import may still be filling it)."""

    CHUNKS = 2_000  # about 4 MB of 14-byte codes

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.terms: dict[str, tuple[float, dict[str, Any]]] = {}
        self.empty: dict[tuple[str, int], float] = {}
        self.chunks: OrderedDict[tuple[str, int, int], list[str]] = OrderedDict()

    def clear(self) -> None:
        with self.lock:
            self.terms.clear()
            self.empty.clear()
            self.chunks.clear()

    def chunk(self, key: tuple[str, int, int]) -> list[str] | None:
        with self.lock:
            codes = self.chunks.get(key)
            if codes is not None:
                self.chunks.move_to_end(key)
            return codes

    def keep_chunk(self, key: tuple[str, int, int], codes: list[str]) -> None:
        with self.lock:
            self.chunks[key] = codes
            self.chunks.move_to_end(key)
            while len(self.chunks) > self.CHUNKS:
                self.chunks.popitem(last=False)


cache = _Cache()


def claim_id_for(customer_id: str, coupon_id: str, key: str | None) -> str:
    if key is None:
        return uuid.uuid4().hex
    # The key's scope is (customer, coupon, key): the same key can never name another customer's claim.
    return hashlib.sha256(f"{customer_id}\x00{coupon_id}\x00{key}".encode()).hexdigest()[:32]


def request_hash(coupon_id: str, channel: str, body: ClaimRequest) -> str:
    payload = json.dumps([coupon_id, channel, body.model_dump(mode="json")], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def claimed_out(claim: dict[str, Any], now: str) -> ClaimedCouponOut:
    mode = self_service_of(claim)
    return ClaimedCouponOut.model_validate(
        {
            **claim,
            "status": wallet_status(claim, now),
            "self_service": mode is not None,
            "self_service_verification": mode,
        }
    )


class Claims:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    # --- terms and checks ------------------------------------------------------------------------

    def terms(self, coupon_id: str) -> dict[str, Any]:
        now = time.monotonic()
        with cache.lock:
            cached = cache.terms.get(coupon_id)
        if cached and cached[0] > now:
            return cached[1]
        coupon = self.table.get(keys.coupon(coupon_id), consistent=False)
        if not coupon or coupon["status"] == "draft":
            raise NotFound("no such coupon", field="couponId")
        with cache.lock:
            cache.terms[coupon_id] = (now + TERMS_TTL, coupon)
        return coupon

    def _check_coupon(self, coupon: dict[str, Any], caller: Caller, now: str) -> None:
        _check_open(coupon["status"], coupon["claim_window"]["start"], coupon["claim_window"]["end"], now)
        audience = coupon["audience_type"]
        if audience == "tags" and not set(coupon.get("audience_tags") or []) & caller.tags:
            raise Forbidden("this coupon is for other customers", code="not_in_audience")
        if audience == "customers" and not self.table.get(
            keys.audience_member(coupon["coupon_id"], caller.user_id), consistent=False
        ):
            raise Forbidden("this coupon is for other customers", code="not_in_audience")

    # --- the claim -------------------------------------------------------------------------------

    def claim(
        self, caller: Caller, coupon_id: str, key: str | None, channel: str | None, body: ClaimRequest
    ) -> ClaimedCouponOut:
        coupon = self.terms(coupon_id)
        now = to_iso(clock.now())
        # The request as sent, so the same key with another channel or body is told apart.
        digest = request_hash(coupon_id, channel or "", body)
        channels = coupon["options"].get("channels") or []
        channel = channel if channel in channels else "other"
        claim_id = claim_id_for(caller.user_id, coupon_id, key)
        if key is not None:
            existing = self.table.get(keys.claim(claim_id))
            if existing:
                return self._replay(existing, caller, digest, now)
        self._check_coupon(coupon, caller, now)
        item = self._claim_item(coupon, caller, claim_id, channel, digest, body, now)
        pooled = coupon["codes"]["mode"] != "random_on_claim"
        try:
            if pooled:
                self._claim_from_pool(coupon, item, now)
            else:
                self._claim_random(coupon, item, now)
        except _Duplicate as duplicate:
            return self._replay(duplicate.existing, caller, digest, now)
        return claimed_out(item, now)

    def _replay(self, existing: dict[str, Any], caller: Caller, digest: str, now: str) -> ClaimedCouponOut:
        if existing["claimer_id"] != caller.user_id:
            raise NotFound("no such claim")  # unreachable by construction of the id; never leak another's
        if existing["request_hash"] != digest:
            raise Invalid("this Idempotency-Key was used with a different request", field="Idempotency-Key")
        if existing["owner_id"] != caller.user_id:
            raise Conflict("the coupon claimed with this key was given away", code="key_used")
        return claimed_out(existing, now)

    def _claim_item(
        self,
        coupon: dict[str, Any],
        caller: Caller,
        claim_id: str,
        channel: str,
        digest: str,
        body: ClaimRequest,
        now: str,
    ) -> dict[str, Any]:
        validity = _VALIDITY[coupon["validity"]["type"]].model_validate(coupon["validity"])
        start, end = window_for_claim(validity, from_iso(now), coupon["time_zone"])
        options = coupon["options"]
        item: dict[str, Any] = {
            **keys.claim(claim_id),
            "type": "claim",
            "claim_id": claim_id,
            "coupon_id": coupon["coupon_id"],
            "merchant_id": coupon["merchant_id"],
            "merchants": coupon.get("merchants"),
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
            "title": coupon["title"],
            "description": coupon["description"],
            "currency": coupon["currency"],
            "time_zone": coupon["time_zone"],
            "terms": coupon["terms"],
            "scope": coupon["scope"],
            "giftable": bool(options.get("giftable")),
            "notify_giver": bool(options.get("notify_giver")),
            "gift_message": options.get("gift_message"),
            "staff_confirms_terms": bool(options.get("staff_confirms_terms")),
            # Whether the holder may redeem in store, as claimed; the store's code stays on the coupon only,
            # where the merchant can change it.
            "self_service": self_service_of(coupon),
            "nickname": caller.nickname,
            "name": caller.name,
            "GSI1PK": keys.wallet(caller.user_id),
            "GSI1SK": keys.wallet_sort(to_iso(end), claim_id),
        }
        phone = normalise_phone(caller.phone) if caller.phone else None
        if phone:
            item["phone_hash"] = keyed_hash(hmac_key(), PHONE, phone)
            item["phone_masked"] = mask_phone(phone)
        reminder = options.get("reminder")
        if reminder:
            remind_at = to_iso(
                from_iso(item["valid_until"]) - timedelta(hours=reminder["hours_before_expiry"])
            )
            item["reminder_message"] = reminder["message"]
            if remind_at > now:  # a reminder time already past at claim is never reminded
                item["remind_at"] = remind_at
                item.update(keys.reminder_index(remind_at, claim_id))
        return item

    def _shard_order(self, coupon: dict[str, Any]) -> list[int]:
        count = coupon["shard_count"]
        order = random.sample(range(count), count)
        moment = time.monotonic()
        with cache.lock:
            fresh = [i for i in order if cache.empty.get((coupon["coupon_id"], i), 0) <= moment]
        return fresh

    def _mark_empty(self, coupon_id: str, index: int) -> None:
        with cache.lock:
            cache.empty[(coupon_id, index)] = time.monotonic() + EMPTY_TTL

    def _sold_out(self, coupon_id: str) -> Conflict:
        return Conflict("sold out", code="sold_out", details={"coupon_id": coupon_id})

    def _claim_random(self, coupon: dict[str, Any], item: dict[str, Any], now: str) -> None:
        coupon_id = coupon["coupon_id"]
        for index in self._shard_order(coupon):
            item.update(
                shard=index,
                code=new_system_code(),
                code_system=True,
                GSI4PK=keys.claim_records(coupon_id, index),
                GSI4SK=f"{now}#{item['claim_id']}",
            )
            item.update(GSI2PK=keys.code_lookup(coupon["merchant_id"], item["code"]), GSI2SK="CLAIM")
            limited = _shard_limited(coupon)
            take = _take_unit(coupon_id, index, now, limited=limited)
            try:
                self.table.transact([take, *self._holding_and_claim(coupon, item)])
                return
            except Cancelled as cancelled:
                self._raise_for_claim(cancelled, offset=1, coupon=coupon)
                old = cancelled.old(0)
                self._raise_for_shard(old, now, coupon)
                self._mark_empty(coupon_id, index)
        raise self._sold_out(coupon_id)

    def _holding_and_claim(self, coupon: dict[str, Any], item: dict[str, Any]) -> list[dict[str, Any]]:
        limit = coupon["options"].get("per_customer_limit", 1)
        return [
            {
                "Update": {
                    "Key": to_item(keys.holder(item["owner_id"], coupon["coupon_id"])),
                    "UpdateExpression": "SET #t = :type ADD #c :one",
                    "ConditionExpression": "attribute_not_exists(#c) OR #c < :limit",
                    "ExpressionAttributeNames": {"#t": "type", "#c": "count"},
                    "ExpressionAttributeValues": values(type="holder", one=1, limit=limit),
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
            {
                "Put": {
                    "Item": to_item(item),
                    "ConditionExpression": "attribute_not_exists(PK)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
        ]

    def _raise_for_claim(self, cancelled: Cancelled, *, offset: int, coupon: dict[str, Any]) -> None:
        """Duplicate key beats the limit: a retry of a claim that succeeded returns that claim."""
        if cancelled.code_at(offset + 1) == "ConditionalCheckFailed":
            raise _Duplicate(cancelled.old(offset + 1) or {})
        if cancelled.code_at(offset) == "ConditionalCheckFailed":
            limit = coupon["options"].get("per_customer_limit", 1)
            raise Conflict(
                f"you already hold the most of this coupon one customer may claim ({limit})",
                code="limit_reached",
                details={"per_customer_limit": limit},
            )

    def _raise_for_shard(self, old: dict[str, Any] | None, now: str, coupon: dict[str, Any]) -> None:
        """A refused shard is empty unless its status or window changed since the cached terms."""
        if not old:
            return
        if old.get("status") != "active" or not (old["claim_start"] <= now < old["claim_end"]):
            with cache.lock:
                cache.terms.pop(coupon["coupon_id"], None)
            _check_open(old.get("status", ""), old["claim_start"], old["claim_end"], now)

    def _claim_from_pool(self, coupon: dict[str, Any], item: dict[str, Any], now: str) -> None:
        coupon_id = coupon["coupon_id"]
        for index in self._shard_order(coupon):
            position = self._take_position(coupon, item, index, now)
            if position is None:
                self._mark_empty(coupon_id, index)
                continue
            code = self._code_at(coupon_id, index, position)
            if code is None:  # the take's condition keeps positions below the pool's size: never happens
                raise AssertionError(f"pool position {position} of shard {index} holds no code")
            item.update(
                shard=index,
                position=position,
                code=code,
                code_system=coupon["codes"]["mode"] == "generated",
                GSI2PK=keys.code_lookup(coupon["merchant_id"], code),
                GSI2SK="CLAIM",
                GSI4PK=keys.claim_records(coupon_id, index),
                GSI4SK=f"{now}#{item['claim_id']}",
            )
            release = {
                "Update": {
                    "Key": to_item(keys.shard(coupon_id, index)),
                    "UpdateExpression": "REMOVE #t",
                    "ConditionExpression": "#t = :p",
                    "ExpressionAttributeNames": {"#t": _taker(item)},
                    "ExpressionAttributeValues": values(p=position),
                }
            }
            try:
                self.table.transact([release, *self._holding_and_claim(coupon, item)])
                return
            except Cancelled as cancelled:
                # Refused for sure (a repeat of a committed transaction succeeds by its request token).
                self._give_back(coupon_id, index, position, item)
                self._raise_for_claim(cancelled, offset=1, coupon=coupon)
                raise
            except StoreBusy as busy:
                if not busy.unknown_outcome:  # never applied: the position goes back before we answer
                    self._give_back(coupon_id, index, position, item)
                raise  # else it may have committed: the mark stays, the position is never handed out twice
        raise self._sold_out(coupon_id)

    def _take_position(
        self, coupon: dict[str, Any], item: dict[str, Any], index: int, now: str
    ) -> int | None:
        """The shard's next position, marked as this claim's; None if the shard has none left."""
        key = keys.shard(coupon["coupon_id"], index)
        taker = _taker(item)
        try:
            taken = self.table.update(
                key,
                # SET reads the item as it was: the mark holds the position before the counter moved.
                UpdateExpression="SET remaining = remaining - :one, claimed = claimed + :one, "
                "#n = #n + :one, #t = #n",
                ConditionExpression=_OPEN + " AND remaining > :zero AND #n < pool_size "
                "AND attribute_not_exists(#t)",
                ExpressionAttributeNames={"#n": "next_position", "#s": "status", "#t": taker},
                ExpressionAttributeValues=values(one=1, zero=0, active="active", now=now),
                ReturnValues="UPDATED_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return int((taken or {})[taker])
        except Cancelled as cancelled:
            old = cancelled.old(0)
            if old and taker in old:
                # This claim's mark: our own take whose answer was lost, or a request with the same
                # Idempotency-Key that took it (its transaction and ours put the same claim: one commits).
                return int(old[taker])
            self._raise_for_shard(old, now, coupon)
            if not old or not (old.get("returned") or old.get("given_back")) or old.get("remaining", 0) <= 0:
                return None
        return self._take_returned(coupon, item, index, now)

    def _take_returned(
        self, coupon: dict[str, Any], item: dict[str, Any], index: int, now: str
    ) -> int | None:
        """Positions given back by refused claims (`returned`), once the counter is exhausted: the first is
        taken (and marked) with the list's head as the condition.

        `given_back` lists were written before claims marked their positions and may hold a position whose
        claim committed (its lost answer was retried, refused as a duplicate and given back): each is
        checked against the shard's claim records (not the code index: a held coupon's code may have been
        reissued), and one already held is dropped with the counters set right."""
        coupon_id = coupon["coupon_id"]
        key = keys.shard(coupon_id, index)
        taker = _taker(item)
        for _ in range(8):
            shard = self.table.get(key)
            if shard and taker in shard:
                return int(shard[taker])  # taken for this claim already (see _take_position)
            self._raise_for_shard(shard, now, coupon)
            if not shard or shard.get("remaining", 0) <= 0:
                return None
            listed = "returned" if shard.get("returned") else "given_back"
            if not shard.get(listed):
                return None
            position = int(shard[listed][0])
            held = listed == "given_back" and self._position_held(coupon_id, index, position)
            try:
                self.table.update(
                    key,
                    UpdateExpression="SET remaining = remaining - :one, claimed = claimed + :one"
                    + ("" if held else ", #t = :p")
                    + f" REMOVE {listed}[0]",
                    ConditionExpression=_OPEN + f" AND remaining > :zero AND {listed}[0] = :p "
                    "AND attribute_not_exists(#t)",
                    ExpressionAttributeNames={"#s": "status", "#t": taker},
                    ExpressionAttributeValues=values(one=1, zero=0, active="active", now=now, p=position),
                )
            except Cancelled:
                continue
            if not held:
                return position
        return None

    def _position_held(self, coupon_id: str, index: int, position: int) -> bool:
        records = self.table.query_all(
            index="GSI4",
            key_condition="GSI4PK = :records",
            FilterExpression="#p = :p",
            ExpressionAttributeNames={"#p": "position"},
            ExpressionAttributeValues=values(records=keys.claim_records(coupon_id, index), p=position),
        )
        return next(records, None) is not None

    def _give_back(self, coupon_id: str, index: int, position: int, item: dict[str, Any]) -> None:
        """Return a position whose claim was refused, only while it still carries this claim's mark."""
        taker = _taker(item)
        with cleanup(), contextlib.suppress(Cancelled):  # the mark is gone: nothing of ours to give back
            self.table.update(
                keys.shard(coupon_id, index),
                UpdateExpression="SET returned = list_append(if_not_exists(returned, :empty), :ps), "
                "remaining = remaining + :one, claimed = claimed - :one REMOVE #t",
                ConditionExpression="#t = :p",
                ExpressionAttributeNames={"#t": taker},
                ExpressionAttributeValues=values(empty=[], ps=[position], p=position, one=1),
                mine=lambda old: bool(old) and taker not in old,  # only this claim removes its mark
            )

    def _code_at(self, coupon_id: str, index: int, position: int) -> str | None:
        number, offset = divmod(position, keys.CHUNK)
        cache_key = (coupon_id, index, number)
        codes = cache.chunk(cache_key)
        if codes is None or offset >= len(codes):  # a chunk an import is still filling: read it again
            chunk = self.table.get(keys.pool_chunk(coupon_id, index, number))
            codes = (chunk or {}).get("codes") or []
            cache.keep_chunk(cache_key, codes)
        return codes[offset] if offset < len(codes) else None

    # --- the wallet ------------------------------------------------------------------------------

    def wallet(
        self, caller: Caller, status: WalletStatus | None, limit: int, token: str | None
    ) -> WalletPage:
        now = to_iso(clock.now())
        partition = keys.wallet(caller.user_id)
        listing = f"wallet:{status or 'all'}"  # a token of one status filter is no start for another
        start = decode_token(token, partition=("GSI1PK", partition), listing=listing)
        condition = "GSI1PK = :p"
        named: dict[str, Any] = {"p": partition}
        request: dict[str, Any] = {}
        if status is not None:
            view = wallet_view(status, now)
            if view.side is not None:
                condition += " AND GSI1SK " + (">" if view.side == "unexpired" else "<") + " :bound"
                named["bound"] = keys.wallet_expiry_bound(now)
            named.update({k.removeprefix(":"): v for k, v in view.filter.values.items()})
            request["FilterExpression"] = view.filter.expression
            request["ExpressionAttributeNames"] = dict(view.filter.names)
        request["ExpressionAttributeValues"] = values(**named)
        items, last = self.table.query(
            index="GSI1", key_condition=condition, limit=limit, start_key=start, **request
        )
        page = [claimed_out(i, now) for i in items]
        return WalletPage(items=page, next_token=encode_token(last, listing=listing))

    def owned(self, caller: Caller, claim_id: str) -> dict[str, Any]:
        claim = self.table.get(keys.claim(claim_id))
        if not claim or claim["owner_id"] != caller.user_id:
            raise NotFound("no such coupon in your wallet", field="claimId")
        return claim

    def detail(self, caller: Caller, claim_id: str) -> ClaimedCouponOut:
        return claimed_out(self.owned(caller, claim_id), to_iso(clock.now()))


class _Duplicate(Exception):
    def __init__(self, existing: dict[str, Any]) -> None:
        super().__init__("duplicate claim")
        self.existing = existing


def _check_open(status: str, start: str, end: str, now: str) -> None:
    """What a shard's condition checks, as errors a customer can read."""
    if status == "deleted":
        raise Conflict("this coupon was withdrawn", code="coupon_deleted")
    if status != "active":
        raise Conflict("this coupon is paused", code="coupon_paused")
    if now < start:
        raise Conflict("claiming has not started", code="claim_not_started", details={"starts_at": start})
    if now >= end:
        raise Conflict("claiming has ended", code="claim_ended", details={"ended_at": end})


_OPEN = "#s = :active AND claim_start <= :now AND claim_end > :now"


def _shard_limited(coupon: dict[str, Any]) -> bool:
    return coupon["codes"].get("inventory") is not None


def _take_unit(coupon_id: str, index: int, now: str, *, limited: bool) -> dict[str, Any]:
    condition = _OPEN + (" AND remaining > :zero" if limited else "")
    update = "ADD claimed :one" + (", remaining :minus" if limited else "")
    named: dict[str, Any] = {"one": 1, "active": "active", "now": now}
    if limited:
        named.update(zero=0, minus=-1)
    return {
        "Update": {
            "Key": to_item(keys.shard(coupon_id, index)),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": values(**named),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def _taker(item: dict[str, Any]) -> str:
    """The shard attribute marking the pool position a claim took until its claim commits or gives it back."""
    return f"taker_{item['claim_id']}"
