"""What the integration tests build and read the same way: coupons, claims, gifts, redemptions, imports, and
what the store holds for them. Test modules import these from here, never from one another."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterable
from typing import Any

import urllib3
from coupon_service import keys
from coupon_service.aws import client
from coupon_service.claims import Claims
from coupon_service.clock import SYSTEM
from coupon_service.imports import Imports
from coupon_service.models.claims import ClaimRequest
from coupon_service.models.redemptions import StaffRedemption
from coupon_service.redemptions import Redemptions
from coupon_service.store.codec import to_item
from coupon_service.store.table import Table, from_item, values

from tests.support import call, caller_for, coupon_body, customer, merchant, outcome, platform, staff

# --- coupons and claims -------------------------------------------------------------------------------


def make_coupon(**overrides):
    reply = call("POST", "/coupons", claims=merchant("m1"), body=coupon_body(**overrides))
    assert reply.status == 201, reply.json
    return reply.json


def held(user="u1", **overrides):
    """A customer holding a freshly claimed coupon (made with `overrides`): the claim as answered."""
    coupon = make_coupon(**overrides)
    reply = claim(coupon["coupon_id"], user=user)
    assert reply.status == 201, reply.json
    return reply.json


def claim(coupon_id, user="u1", key=None, channel=None, **claim_extra):
    headers = {"Idempotency-Key": key} if key else None
    query = {"channel": channel} if channel else None
    return call(
        "POST",
        f"/coupons/{coupon_id}/claims",
        claims=customer(user, **claim_extra),
        headers=headers,
        query=query,
    )


def claim_now(coupon_id, user, key=None):
    """One claim through the layer, as the claim function's route calls it."""
    return outcome(lambda: Claims().claim(caller_for(customer(user)), coupon_id, key, None, ClaimRequest()))


def claim_items(coupon_id):
    table = Table()
    found = table._db.scan(
        TableName=table.name,
        FilterExpression="#t = :c AND coupon_id = :k",
        ExpressionAttributeNames={"#t": "type"},
        ExpressionAttributeValues={":c": {"S": "claim"}, ":k": {"S": coupon_id}},
    )
    items = [from_item(i) for i in found["Items"]]
    while "LastEvaluatedKey" in found:
        found = table._db.scan(
            TableName=table.name,
            FilterExpression="#t = :c AND coupon_id = :k",
            ExpressionAttributeNames={"#t": "type"},
            ExpressionAttributeValues={":c": {"S": "claim"}, ":k": {"S": coupon_id}},
            ExclusiveStartKey=found["LastEvaluatedKey"],
        )
        items += [from_item(i) for i in found["Items"]]
    return items


def shards(coupon):
    return [Table().get(keys.shard(coupon["coupon_id"], i)) for i in range(coupon["shard_count"])]


# --- gifts ----------------------------------------------------------------------------------------------

GIFTABLE = {
    "giftable": True,
    "notify_giver": True,
    "gift_message": "A treat from a friend",
    "self_service": {"verification_code": "246810"},
}


def held_giftable(user="giver", **overrides):
    """A customer holding a freshly claimed giftable coupon (made with `overrides`)."""
    return held(user, **{"options": GIFTABLE, **overrides})


def give(claim_id, user="giver"):
    return call("POST", f"/me/coupons/{claim_id}/gifts", claims=customer(user))


def accept(token, user="friend"):
    return call("POST", f"/gifts/{token}/accept", claims=customer(user))


# --- redemptions ----------------------------------------------------------------------------------------

CART = {
    "merchant_id": "m1",
    "currency": "CNY",
    "lines": [{"sku": "tea", "unit_price": 6000, "quantity": 2}],
    "shipping_fee": 800,
}
SELF_SERVICE = {"self_service": {"verification_code": "246810"}}


def scan(code, merchant_id="m1", **body):
    """A till's scan, with a cart at the till's merchant that meets the default coupon's minimum spend,
    unless the test gives its own `order` (None: no order)."""
    body.setdefault("order", {**CART, "merchant_id": merchant_id})
    if body["order"] is None:
        del body["order"]
    return call("POST", "/redemptions", claims=staff(merchant_id), body={"code": code, **body})


def till(code, order_id, order=CART, user=None):
    """A till's redemption through the layer (for many threads at once); told `busy` (503: retry), it
    sends the same request again, as a till does. Each order's till is its own staff member by default."""
    body = StaffRedemption(code=code, order_id=order_id, order=order)
    caller = caller_for(staff("m1", user=user or f"till-{order_id}"))
    for _ in range(4):
        answer = outcome(lambda: Redemptions().by_staff(caller, "m1", body))
        if answer.status != 503:
            break
    return answer


def redeem_myself(claim_id, user="u1", **body):
    return call("POST", f"/me/coupons/{claim_id}/redemption", claims=customer(user), body=body)


def stored_claim(claim_id):
    return Table().get(keys.claim(claim_id))


def redemptions_of(coupon_id):
    items, _ = Table().query(
        index="GSI2",
        key_condition="GSI2PK = :p",
        ExpressionAttributeValues=values(p=keys.coupon_redemptions(coupon_id)),
    )
    return items


def indexed(code, issuer="m1"):
    """The claims the till's code index finds for a code."""
    items, _ = Table().query(
        index="GSI2",
        key_condition="GSI2PK = :p AND GSI2SK = :s",
        ExpressionAttributeValues=values(p=keys.code_lookup(issuer, code), s="CLAIM"),
    )
    return [i["claim_id"] for i in items]


# --- imports (under the `importing` fixture of tests/integration/conftest.py) ----------------------------


def upload_codes(coupon_id, data: bytes, name="codes.csv", merchant_id="m1"):
    key = f"imports/{merchant_id}/{coupon_id}/{name}"
    put = client("s3").put_object(Bucket=os.environ["IMPORT_BUCKET"], Key=key, Body=data)
    return {"bucket": os.environ["IMPORT_BUCKET"], "key": key, "version": put["VersionId"], "size": len(data)}


def run_import(obj, time_left=lambda: 900.0):
    return Imports().process(**obj, time_left=time_left)


# --- stores ---------------------------------------------------------------------------------------------


def make_store(store_id, merchant_id="m1", **overrides):
    """A store in `merchant_id`'s registry (`merchant_id` "platform": the platform's own)."""
    body = {"store_id": store_id, "name": f"Store {store_id}", "time_zone": "Asia/Shanghai", **overrides}
    who = platform() if merchant_id == "platform" else merchant(merchant_id)
    reply = call("POST", "/stores", claims=who, body=body)
    assert reply.status == 201, reply.json
    return reply.json


def table_snapshot():
    """Every item of this test's table, in key order: what a request that changes nothing leaves as it was."""
    table, items, start = Table(), [], None
    while True:
        page = table._db.scan(
            TableName=table.name, ConsistentRead=True, **({"ExclusiveStartKey": start} if start else {})
        )
        items += [from_item(i) for i in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            return sorted(items, key=lambda i: (i["PK"], i["SK"]))


# --- held coupons in bulk ---------------------------------------------------------------------------------


def seed_held(coupon_id, count, *, prefix="s", claimed_at=None, channel=None, write=True, **changes):
    """`count` claimed coupons of the coupon, claimed at `claimed_at` (or `claimed_at(i)`; default now),
    each held by its own customer (`{prefix}{i}`), built by the
    claim path's own builders (the claimed coupon as claimed, placed on a shard with a system code, in the
    wallet, code, reminder and claim-record indexes) and written with BatchWriteItem, not claimed one by
    one through the API; `changes` are set on every item (e.g. `state="used"`). Returns the items."""
    from coupon_service.codes import new_system_code
    from coupon_service.items import CouponItem
    from coupon_service.validity import to_iso

    terms = CouponItem.model_validate(Table().get(keys.coupon(coupon_id)))
    moment = to_iso(SYSTEM.now())
    claims = Claims()
    items = []
    for i in range(count):
        now = claimed_at(i) if callable(claimed_at) else claimed_at or moment
        user = f"{prefix}{i}"
        item = claims._claim_item(
            terms,
            caller_for(customer(user)),
            claim_id=f"{prefix}-{coupon_id[:8]}-{i:06d}",
            channel=channel(i) if channel else "other",
            digest="seeded",
            body=ClaimRequest(),
            now=now,
        )
        placed = claims._placed(terms, item, i % terms.shard_count, new_system_code(), now)
        items.append({**item, **placed.record(), **changes})
    if write:
        seed(items)
    return items


# --- bulk seeding ----------------------------------------------------------------------------------------

_seeding = urllib3.PoolManager(retries=False, timeout=60)


def _bytes_as_base64(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(f"cannot send {type(value).__name__}")


def seed(items: Iterable[dict[str, Any]]) -> int:
    """Test data written into this test's table with BatchWriteItem, 25 items a request, each encoded by the
    store's own `to_item`: what `Table.batch_write` sends, posted to the emulator as JSON without botocore
    validating, serializing and signing every attribute of every item (more CPU than the emulator spends
    storing them). Unprocessed or refused batches are sent again. Returns the requests made. For a test's
    setup only: the code under test writes through the store."""
    name = Table().name
    requests = 0
    batch: list[dict[str, Any]] = []
    for data in items:
        batch.append({"PutRequest": {"Item": to_item(data)}})
        if len(batch) == 25:
            requests += _seed_batch(name, batch)
            batch = []
    if batch:
        requests += _seed_batch(name, batch)
    return requests


_REFUSALS = ("ProvisionedThroughputExceededException", "TransactionConflictException")


def _seed_batch(name: str, batch: list[dict[str, Any]]) -> int:
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.BatchWriteItem",
        "Authorization": f"AWS4-HMAC-SHA256 Credential=local/20200101/{os.environ['AWS_REGION']}/dynamodb/"
        "aws4_request, SignedHeaders=host;x-amz-target, Signature=0",
    }
    pending: dict[str, Any] = {name: batch}
    for attempt in range(1, 51):
        body = json.dumps({"RequestItems": pending}, default=_bytes_as_base64).encode()
        reply = _seeding.request("POST", os.environ["AWS_ENDPOINT_URL"] + "/", body=body, headers=headers)
        answer = json.loads(reply.data or b"{}")
        if reply.status == 200:
            pending = answer.get("UnprocessedItems") or {}
        elif not answer.get("__type", "").endswith(_REFUSALS):
            raise AssertionError(f"seeding refused: {reply.status} {answer}")
        if not pending:
            return attempt
        time.sleep(0.01 * attempt)
    raise AssertionError("seeding: the emulator kept refusing a batch")


# --- the orders feed ------------------------------------------------------------------------------------


def order_body(order_id="o-1", **overrides):
    """An order as a merchant's order system reports it: two lines summing to the amount."""
    body = {
        "order_id": order_id,
        "customer_id": "u1",
        "amount": 16000,
        "currency": "CNY",
        "lines": [
            {"sku": "tea", "quantity": 2, "unit_price": 6000, "amount": 12000},
            {"sku": "cake", "quantity": 1, "unit_price": 4000, "amount": 4000},
        ],
        "placed_at": "2026-01-01T08:00:00+08:00",
    }
    body.update(overrides)
    return body


def feed_items(kind):
    """Every item of the orders feed of one `type` (`reported_order`, `order_refund`) in this test's table."""
    return [item for item in table_snapshot() if item.get("type") == kind]


# --- a coupon's history, for the figures ------------------------------------------------------------------


def _image(item):
    from coupon_service.store.table import to_item

    return to_item({k: v for k, v in item.items() if v is not None})


def stream_record(new, old=None):
    """A change of the table as the stream delivers it (what the outbox derives events from)."""
    change = {"NewImage": _image(new), "SequenceNumber": "1", "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if old is not None:
        change["OldImage"] = _image(old)
    return {"eventName": "MODIFY" if old is not None else "INSERT", "dynamodb": change}


def seed_figures_history(coupon_id, *, claims, redeemed, reversed_, gifts, orders, voided, days=10):
    """A coupon's history written with BatchWriteItem as the services leave it, and the events it made.

    `claims` claimed coupons over the last `days` days and four channels; `gifts` of them given and accepted
    (the first ones); `redeemed` of them redeemed (from claim `gifts // 2` on, so some by the friend they
    were given to) at three stores with an order each, the first `reversed_` of those reversed; `voided`
    others voided; `orders` orders reported by the merchant's order system: each redemption's order while
    they last, then other orders of the same customers. Returns the events the outbox derives from each
    record's change (`events.derive`), the orders feed's included."""
    from datetime import timedelta

    from coupon_service.events import derive
    from coupon_service.validity import from_iso, to_iso

    now = SYSTEM.now().replace(microsecond=0)
    start = now - timedelta(days=days)
    step = (days * 86400 - 7200) // claims

    def at(seconds):
        return to_iso(start + timedelta(seconds=seconds))

    channels = ["wechat", "poster", "sms", "other"]
    held = seed_held(coupon_id, claims, prefix="fig", claimed_at=lambda i: at(i * step),
                     channel=lambda i: channels[i % 4], write=False)  # fmt: skip
    final = {c["claim_id"]: dict(c) for c in held}
    changes = [stream_record(c) for c in held]
    gift_items = []
    for n, c in enumerate(held[:gifts]):
        gift = {**keys.gift(f"g{n:040d}"), "type": "gift", "gift_id": f"gift-{n}", "claim_id": c["claim_id"],
                "coupon_id": coupon_id, "merchant_id": c["merchant_id"], "giver_id": c["owner_id"],
                "giver_name": "Giver", "state": "pending", "title": c["title"]}  # fmt: skip
        accepted = {**gift, "state": "accepted", "friend_id": f"friend{n}", "friend_name": "Friend",
                    "accepted_at": to_iso(from_iso(c["claimed_at"]) + timedelta(seconds=30))}  # fmt: skip
        changes.append(stream_record(accepted, gift))
        gift_items.append(accepted)
        final[c["claim_id"]]["owner_id"] = f"friend{n}"
    redemptions = []
    for n, c in enumerate(held[gifts // 2 : gifts // 2 + redeemed]):
        when = to_iso(from_iso(c["claimed_at"]) + timedelta(seconds=60))
        owner = final[c["claim_id"]]["owner_id"]
        rid = f"red-{n:05d}"
        red = {**keys.redemption(rid), "type": "redemption", "redemption_id": rid, "claim_id": c["claim_id"],
               "coupon_id": coupon_id, "merchant_id": c["merchant_id"], "customer_id": owner,
               "method": "staff", "redeemed_by": "till-1", "store_id": f"sh-00{n % 3 + 1}",
               "order_id": f"ord-{n:05d}", "order_amount": 10000 + 10 * n, "currency": "CNY",
               "discount": 1000, "redeemed_at": when}  # fmt: skip
        changes.append(stream_record(red))
        final[c["claim_id"]].update(state="used", redemption_id=rid, used_at=when)
        if n < reversed_:
            undone = to_iso(from_iso(when) + timedelta(seconds=600))
            back = {**red, "reversed_at": undone, "usable_again": True}
            changes.append(stream_record(back, red))
            final[c["claim_id"]].update(state="available", redemption_id=None, used_at=None)
            red = back
        redemptions.append(red)
    for c in held[gifts // 2 + redeemed : gifts // 2 + redeemed + voided]:
        when = to_iso(from_iso(c["claimed_at"]) + timedelta(seconds=90))
        void = {**final[c["claim_id"]], "state": "void", "voided_at": when, "voided_by": "owner-m1",
                "void_reason": "mistake"}  # fmt: skip
        changes.append(stream_record(void, final[c["claim_id"]]))
        final[c["claim_id"]] = void
    order_items = []
    carried = min(orders * 2 // 3, len(redemptions))
    for n in range(orders):
        red = redemptions[n if n < carried else (n - carried) * 7 % len(redemptions)]
        later = n >= carried
        # a redemption's own order a few seconds before it; then other orders of its customer, some days
        # after it (repeat orders), some before it (the customer was not new)
        shift = timedelta(seconds=-5)
        if later:
            shift = timedelta(days=-2) if n % 3 == 0 else timedelta(days=n % 9 + 1, seconds=n)
        placed = min(from_iso(red["redeemed_at"]) + shift, now - timedelta(minutes=1))
        order_id = f"later-{n:05d}" if later else red["order_id"]
        order = {**keys.reported_order(red["merchant_id"], order_id), "type": "reported_order",
                 "merchant_id": red["merchant_id"], "customer_id": red["customer_id"],
                 "order_id": order_id, "received_at": to_iso(placed),
                 "store_id": red["store_id"], "amount": red["order_amount"] + 500, "currency": "CNY",
                 "placed_at": to_iso(placed), "refunded": 0, "refund_count": 0,
                 "lines": [{"sku": "tea", "quantity": 1, "unit_price": 1, "amount": 1}]}  # fmt: skip
        order_items.append(order)
        changes.append(stream_record(order))
    seed([*final.values(), *redemptions, *gift_items, *order_items])
    return [(e.detail_type, e.model_dump(mode="json")) for r in changes for e in derive(r)]


def report_order(order_id, customer_id, placed_at, merchant_id="m1"):
    """An order reported to the orders feed and counted by the figures (as the bus would bring its event to
    the aggregator): what the new-customer rules read."""
    from coupon_service.events import derive
    from coupon_service.figures.aggregator import Aggregator

    body = order_body(order_id, customer_id=customer_id, placed_at=placed_at)
    assert call("POST", "/orders", claims=merchant(merchant_id), body=body).status == 201
    for item in feed_items("reported_order"):
        if item["order_id"] == order_id:
            for event in derive(stream_record(item)):
                Aggregator().apply(event.detail_type, event.model_dump(mode="json"))


# --- orders in bulk, for segments ------------------------------------------------------------------------


def seed_orders(orders, merchant_id="m1"):
    """Reported orders written with BatchWriteItem as the orders feed stores them (the item, its merchant's
    time index), not reported one by one: each `(order_id, customer_id, amount, placed_at, refunded)` with
    optional `currency` and `lines` (dicts: sku, category). Returns the items."""
    items = []
    for order in orders:
        order_id, customer_id, amount, placed_at, refunded = order[:5]
        extra = order[5] if len(order) > 5 else {}
        lines = extra.get("lines") or [{"sku": "tea"}]
        items.append(
            {
                **keys.reported_order(merchant_id, order_id),
                "type": "reported_order",
                "order_id": order_id,
                "merchant_id": merchant_id,
                "customer_id": customer_id,
                "amount": amount,
                "currency": extra.get("currency", "CNY"),
                "lines": [{"quantity": 1, "unit_price": 0, "amount": 0, **line} for line in lines],
                "placed_at": placed_at,
                "received_at": placed_at,
                "reported_via": "api",
                "digest": "seeded",
                "refunded": refunded,
                "refund_count": 1 if refunded else 0,
                **keys.merchant_order_index(merchant_id, placed_at, order_id),
            }
        )
    seed(items)
    return items
