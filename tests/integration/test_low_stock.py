"""Low stock and sold out: one `CouponLowStock` and one `CouponSoldOut` per crossing of a coupon's inventory
summed over its shards, decided by the stock watch on the table's stream (never on the claim path), exactly
once under redelivery, concurrent watches, faults and lost answers; a raise above the threshold re-arms."""

from __future__ import annotations

from collections import Counter

import pytest
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBStreamEvent
from coupon_service import claims, events, keys
from coupon_service.models.claims import ClaimRequest
from coupon_service.stock import StockWatch
from coupon_service.store.table import Table

from devstack.emulator import WITH_LOST
from devstack.streams import StreamReader, published
from tests.builders import claim, claim_now, make_coupon, shards
from tests.support import call, caller_for, concurrently, coupon_body, customer, inject, invoke, merchant

pytestmark = pytest.mark.usefixtures("stack")
BATCH = 100  # the template's BatchSize


def deliver(function, records, retries=10):
    """What the event source mapping does: batches in order, a reported failure retried from there (at
    most `retries` times in a row, the template's MaximumRetryAttempts). `function` is a function of the
    template, or a callable taking the batch (a watch run through the layer, as concurrency tests do)."""
    run = function if callable(function) else lambda batch: invoke(function, {"Records": batch})
    start, failed = 0, 0
    while start < len(records):
        batch = records[start : start + BATCH]
        failures = (run(batch) or {}).get("batchItemFailures") or []
        if not failures:
            start, failed = start + len(batch), 0
            continue
        failed += 1
        assert failed <= retries, f"{function} keeps failing on a batch"
        first = failures[0]["itemIdentifier"]
        start += next(i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] == first)


def watch(batch):
    """One stock watch over a batch, through the layer, answered as the function answers."""
    watched = StockWatch().watch(list(DynamoDBStreamEvent({"Records": batch}).records))
    resume = watched.resume_from
    return {"batchItemFailures": [{"itemIdentifier": resume}] if resume else []}


def stock_events(delivered):
    return Counter(
        e["detail-type"] for e in delivered if e["detail-type"] in ("CouponLowStock", "CouponSoldOut")
    )


def remaining(coupon):
    return sum(s["remaining"] for s in shards(coupon))


def raise_inventory(coupon, total):
    path = f"/coupons/{coupon['coupon_id']}"
    return call("PATCH", path, claims=merchant("m1"), body={"version": 1, "inventory": total})


def marker(coupon):
    return Table().get(keys.stock_watch(coupon["coupon_id"]))


def test_a_thousand_claims_across_the_threshold_raise_one_low_stock_and_one_sold_out(emulator, stack):
    # Given a coupon of 300 units over 4 shards that warns at 100 left
    coupon = make_coupon(
        codes={"mode": "random_on_claim", "inventory": 300},
        shard_count=4,
        options={"low_stock_threshold": 100},
    )
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])

    # When 1,000 customers claim it at once, 30% of writes refused or applied with their answer lost
    inject(emulator, "lost")
    answers = concurrently(lambda i: claim_now(coupon["coupon_id"], f"u{i}"), 1000, threads=32)
    injected = emulator.faults.injected
    emulator.faults.set(0.0)
    assert injected > 0
    statuses = Counter(a.status for a in answers)
    assert statuses[201] <= 300 and set(statuses) <= {201, 409, 503}, statuses
    for n in range(1000, 1100):  # a claim whose outcome stayed unknown (503) may not have committed
        if remaining(coupon) == 0:
            break
        claim_now(coupon["coupon_id"], f"late{n}")
    assert remaining(coupon) == 0

    # And the stream reaches two stock watches at once, each batch also delivered twice, with faults: the
    # watches write the marker only a few times (once it says so they write nothing), too few for a share
    # of writes to be sure to hit one, so their first four writes are refused, throttled, applied with the
    # answer lost and applied with the connection dropped, one of each
    records = reader.drain()
    shard_changes = [r for r in records if r["dynamodb"]["NewImage"].get("type", {}).get("S") == "shard"]
    assert len(shard_changes) >= 300
    emulator.faults.set(1.0, WITH_LOST, limit=len(WITH_LOST))
    done = concurrently(lambda i: deliver(watch, records + records), 2, threads=2)
    injected = Counter(emulator.faults.by_kind)
    emulator.faults.set(0.0)
    assert done == [None, None] and injected == Counter(WITH_LOST), injected

    # Then the marker counts one crossing of each, and the publisher puts one event of each on the bus
    stored = marker(coupon)
    assert (stored["low_crossings"], stored["sold_out_crossings"]) == (1, 1)
    assert stored["low"] is True and stored["sold_out"] is True and stored["remaining"] == 0
    after = reader.drain()
    assert {r["dynamodb"]["Keys"]["SK"]["S"] for r in after} == {"STOCK"}
    # (the claims' own records are published as CouponClaimed only: derived here, not sent, to keep the
    # test fast; the shards' and the marker's records go through the publisher onto the bus)
    claimed = [r for r in records if r["dynamodb"]["NewImage"].get("type", {}).get("S") == "claim"]
    assert {type(e).__name__ for r in claimed for e in events.derive(r)} == {"CouponClaimed"}
    deliver("publisher", [r for r in records if r not in claimed] + after)
    delivered = published(emulator.url, stack.events_queue_url)
    assert stock_events(delivered) == {"CouponLowStock": 1, "CouponSoldOut": 1}
    low = next(e["detail"] for e in delivered if e["detail-type"] == "CouponLowStock")
    assert (low["coupon_id"], low["merchant_id"], low["threshold"], low["crossing"]) == (
        coupon["coupon_id"],
        "m1",
        100,
        1,
    )
    assert 0 <= low["remaining"] <= 100

    # And redelivering every shard change to the watch changes nothing: no new marker write, no event
    deliver("stock", records)
    assert reader.drain() == []
    assert stock_events(published(emulator.url, stack.events_queue_url)) == {}
    # And a redelivery of the marker's changes to the publisher carries the same event ids (consumers
    # drop them by event_id)
    deliver("publisher", after)
    again = [e for e in published(emulator.url, stack.events_queue_url) if "Coupon" in e["detail-type"]]
    first_ids = {e["detail"]["event_id"] for e in delivered if e["detail-type"] in stock_events(delivered)}
    assert {e["detail"]["event_id"] for e in again} == first_ids and len(first_ids) == 2


def test_raising_the_inventory_above_the_threshold_re_arms_the_warning(emulator, stack):
    # Given a coupon of 20 units warning at 5, claimed out, its crossings seen
    coupon = make_coupon(
        codes={"mode": "random_on_claim", "inventory": 20}, shard_count=2, options={"low_stock_threshold": 5}
    )
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    for i in range(20):
        assert claim(coupon["coupon_id"], user=f"u{i}").status == 201
    deliver("stock", reader.drain())
    assert (marker(coupon)["low_crossings"], marker(coupon)["sold_out_crossings"]) == (1, 1)

    # When the merchant adds 10 units (above the threshold again), and customers claim them all
    patched = call(
        "PATCH",
        f"/coupons/{coupon['coupon_id']}",
        claims=merchant("m1"),
        body={"version": 1, "inventory": 30},
    )
    assert patched.status == 200, patched.json
    deliver("stock", reader.drain())
    assert (marker(coupon)["low"], marker(coupon)["sold_out"]) == (False, False)  # re-armed, no event
    # (an execution environment that saw the shards empty skips them for claims.EMPTY_TTL seconds: the
    # customers below come after that, or to another environment)
    claims.cache.clear()
    for i in range(20, 30):
        assert claim(coupon["coupon_id"], user=f"u{i}").status == 201
    deliver("stock", reader.drain())

    # Then each crossing was one event: two of each, numbered
    deliver("publisher", reader.drain())
    stored = marker(coupon)
    assert (stored["low_crossings"], stored["sold_out_crossings"]) == (2, 2)


def test_the_events_of_each_crossing_reach_the_bus_once(emulator, stack):
    coupon = make_coupon(
        codes={"mode": "random_on_claim", "inventory": 4}, shard_count=2, options={"low_stock_threshold": 2}
    )
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    for i in range(4):
        claim(coupon["coupon_id"], user=f"u{i}")
    deliver("stock", reader.drain())
    call(
        "PATCH", f"/coupons/{coupon['coupon_id']}", claims=merchant("m1"), body={"version": 1, "inventory": 8}
    )
    deliver("stock", reader.drain())
    claims.cache.clear()  # the shards seen empty are tried again (claims.EMPTY_TTL later)
    for i in range(4, 8):
        claim(coupon["coupon_id"], user=f"u{i}")
    deliver("stock", reader.drain())
    reader_all = StreamReader(emulator.url, stack.tables["CouponsTable"])
    deliver("publisher", reader_all.drain())
    delivered = published(emulator.url, stack.events_queue_url)
    crossings = sorted(
        (e["detail-type"], e["detail"]["crossing"])
        for e in delivered
        if e["detail-type"] in ("CouponLowStock", "CouponSoldOut")
    )
    assert crossings == [
        ("CouponLowStock", 1),
        ("CouponLowStock", 2),
        ("CouponSoldOut", 1),
        ("CouponSoldOut", 2),
    ]


def test_a_coupon_without_a_threshold_still_says_when_it_sold_out_and_unlimited_ones_never(emulator, stack):
    plain = make_coupon(codes={"mode": "random_on_claim", "inventory": 3}, shard_count=1)
    unlimited = make_coupon(codes={"mode": "random_on_claim"}, title="unlimited")
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    for i in range(3):
        claim(plain["coupon_id"], user=f"u{i}")
        claim(unlimited["coupon_id"], user=f"u{i}")
    deliver("stock", reader.drain())
    stored = marker(plain)
    assert (stored["low_crossings"], stored["sold_out_crossings"], stored["low"]) == (0, 1, False)
    assert marker(unlimited) is None


def test_the_claim_path_pays_no_request_for_the_stock_watch(dynamodb_requests):
    # Given two coupons alike but for a low-stock threshold, their terms read once in this environment
    watched = make_coupon(options={"low_stock_threshold": 50}, shard_count=2)
    plain = make_coupon(shard_count=2, title="plain")
    counts = {}
    for coupon in (watched, plain):
        claims.Claims().terms(coupon["coupon_id"])
        dynamodb_requests.reset()
        # When 20 customers claim each
        for i in range(20):
            caller = caller_for(customer(f"{coupon['title']}-{i}"))
            claims.Claims().claim(caller, coupon["coupon_id"], None, None, ClaimRequest())
        counts[coupon["title"]] = dict(dynamodb_requests.calls)
    # Then claiming the watched coupon costs exactly what the plain one does: one transaction a claim
    assert counts["10 off 100"] == counts["plain"] == {"TransactWriteItems": 20}


@pytest.mark.parametrize(
    ("codes", "threshold"),
    [({"mode": "random_on_claim"}, 10), ({"mode": "random_on_claim", "inventory": 100}, 0)],
)
def test_a_threshold_an_unlimited_coupon_never_reaches_or_below_one_is_refused(codes, threshold):
    body = coupon_body(codes=codes, options={"low_stock_threshold": threshold})
    reply = call("POST", "/coupons", claims=merchant("m1"), body=body)
    assert reply.status == 422 and "low_stock_threshold" in reply.json["error"]["field"], reply.json
