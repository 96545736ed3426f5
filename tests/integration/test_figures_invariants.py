"""Figures equal the records: a coupon's history seeded as the services leave it (BatchWriteItem), its
events derived by the outbox from each record's change, every event delivered twice in a shuffled order
from many threads, clean, with conflicts and throttling, and with lost answers on the aggregator's writes.

Claimed, used, reversed, voided, gifted and expired unused are recounted here straight from the records,
per day (the merchant's zone) and channel; every figure (orders, new customers, repeat orders included) by
the reconciliation, per cell."""

from __future__ import annotations

import random
from collections import Counter
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from coupon_service import keys
from coupon_service.figures.aggregator import Aggregator
from coupon_service.figures.reading import summed
from coupon_service.figures.reconcile import reconcile
from coupon_service.merchant_items import MerchantSettingsItem
from coupon_service.store.figures import FiguresStore
from coupon_service.store.merchants import MerchantSettingsStore
from coupon_service.validity import from_iso

from tests.builders import make_coupon, seed_figures_history
from tests.support import concurrently, inject

pytestmark = [pytest.mark.usefixtures("stack"), pytest.mark.concurrency]
ZONE = "Asia/Shanghai"
FULL = {"claims": 2000, "redeemed": 700, "reversed_": 50, "gifts": 100, "orders": 300, "voided": 40}
SMALL = {"claims": 300, "redeemed": 100, "reversed_": 10, "gifts": 20, "orders": 60, "voided": 10}


def deliver(events, *, seed, threads=8, size=10):
    """Every event twice, shuffled, in batches of `size` (as the queue hands them over) from `threads`
    threads; a batch that failed is delivered again, as the queue would. Returns how many deliveries
    counted (the others found their event counted already)."""
    pending = events * 2
    random.Random(seed).shuffle(pending)
    aggregator, counted = Aggregator(), 0
    for _ in range(20):
        batches = [pending[i : i + size] for i in range(0, len(pending), size)]
        results = concurrently(partial(_outcomes, aggregator, batches), len(batches), threads)
        outcomes = [
            o
            for batch, r in zip(batches, results, strict=True)
            for o in (r if isinstance(r, list) else [r] * len(batch))
        ]
        counted += sum(1 for o in outcomes if o is True)
        pending = [e for e, o in zip(pending, outcomes, strict=True) if isinstance(o, Exception)]
        if not pending:
            return counted
    raise AssertionError(f"{len(pending)} events never counted")


def _outcomes(aggregator, batches, index):
    return aggregator.apply_all(batches[index])


def day(instant, zone=ZoneInfo(ZONE)):
    return from_iso(instant).astimezone(zone).date().isoformat()


def recounted_here(coupon_id):
    """The claim figures per (day, channel), straight from the records."""
    items = list(FiguresStore().everything())
    claims = {i["claim_id"]: i for i in items if i.get("type") == "claim" and i["coupon_id"] == coupon_id}
    out: Counter = Counter()
    standing = set()
    for r in (i for i in items if i.get("type") == "redemption"):
        channel = claims[r["claim_id"]]["channel"]
        if r.get("reversed_at"):
            out[(day(r["reversed_at"]), channel, "reversed")] += 1
        else:
            out[(day(r["redeemed_at"]), channel, "used")] += 1
            standing.add(r["claim_id"])
    for g in (i for i in items if i.get("type") == "gift" and i.get("accepted_at")):
        out[(day(g["accepted_at"]), claims[g["claim_id"]]["channel"], "gifted")] += 1
    for c in claims.values():
        out[(day(c["claimed_at"]), c["channel"], "claimed")] += 1
        if c.get("voided_at"):
            out[(day(c["voided_at"]), c["channel"], "voided")] += 1
        elif c["claim_id"] not in standing:
            out[(day(c["valid_until"]), c["channel"], "expired_unused")] += 1
    return out


def counted(coupon_id, names=("claimed", "used", "reversed", "gifted", "voided", "expired_unused")):
    out: Counter = Counter()
    cells = summed(FiguresStore().cells(coupon_id, "2000-01-01", "2100-01-01"))
    for (d, channel, _store), counts in cells.items():
        for name in names:
            if counts[name]:
                out[(d, channel, name)] += counts[name]
    return out


@pytest.mark.parametrize("mode, sizes", [("clean", FULL), ("faults", SMALL), ("lost", SMALL)])
def test_figures_equal_the_records_whatever_the_order_and_the_faults(emulator, mode, sizes):
    MerchantSettingsStore().replace(
        "m1", MerchantSettingsItem(max_stacked_coupons=2, updated_at="2026-01-01T00:00:00Z", time_zone=ZONE)
    )
    validity = {"type": "relative_days", "starts_after_days": 0, "days": 3}
    coupon = make_coupon(codes={"mode": "random_on_claim", "inventory": 5000}, validity=validity)
    coupon_id = coupon["coupon_id"]
    events = seed_figures_history(coupon_id, **sizes)
    kinds = Counter(kind for kind, _ in events)
    assert kinds == {
        "CouponClaimed": sizes["claims"], "CouponRedeemed": sizes["redeemed"],
        "RedemptionReversed": sizes["reversed_"], "GiftAccepted": sizes["gifts"],
        "CouponVoided": sizes["voided"], "OrderPlaced": sizes["orders"],
    }  # fmt: skip
    inject(emulator, mode)
    delivered = deliver(events, seed=len(events))
    faults = emulator.faults.injected
    emulator.faults.set(0.0)
    if mode != "clean":
        assert faults > 0
    # Each event counted exactly once, however often delivered or retried
    assert delivered == len(events)
    # Per day and channel, the claim figures are the records'
    here, there = recounted_here(coupon_id), counted(coupon_id)
    assert there == here
    assert sum(n for (_, _, name), n in there.items() if name == "claimed") == sizes["claims"]
    # And every figure of every cell is the reconciliation's recount
    assert reconcile() == []
    totals = Counter()
    for counts in summed(FiguresStore().cells(coupon_id, "2000-01-01", "2100-01-01")).values():
        totals.update(counts)
    assert totals["used"] == sizes["redeemed"] - sizes["reversed_"]
    assert totals["orders"] == sizes["redeemed"] - sizes["reversed_"]
    assert totals["new_customers"] > 0 and totals["repeat_orders"] > 0
    assert totals["discount"] == 1000 * totals["used"]
    # The overview's totals are the cells' sum
    merchant_totals = Counter()
    for shard in range(keys.FIGURE_SHARDS):
        for item in FiguresStore().totals("m1"):
            if item["SK"] == coupon_id and item["PK"] == keys.figures_totals_partition("m1", shard):
                merchant_totals.update({k: item.get(k, 0) for k in totals})
    assert {k: v for k, v in merchant_totals.items() if v} == {k: v for k, v in totals.items() if v}


def test_a_flash_sales_claims_spread_their_counter_writes_over_the_shards():
    from coupon_service.events import derive

    from tests.builders import claim_items, claim_now, stream_record

    # Given a flash sale: 2,000 customers claim 300 units at once from 32 threads
    coupon_id = make_coupon(codes={"mode": "random_on_claim", "inventory": 300}, shard_count=4)["coupon_id"]
    replies = concurrently(lambda i: claim_now(coupon_id, f"c{i}"), 2000, threads=32)
    assert sum(1 for r in replies if r.status == 201) == 300
    # When the outbox's events of the claims reach the aggregator, 32 threads at once, in batches of 10
    claims = claim_items(coupon_id)
    events = [(e.detail_type, e.model_dump(mode="json")) for c in claims for e in derive(stream_record(c))]
    assert deliver(events, seed=7, threads=32) == 300
    # Then the counter writes spread over the 8 shards: each holds some, none more than twice its share
    per_shard = []
    for shard in range(keys.FIGURE_SHARDS):
        partition = {":p": {"S": keys.figures_partition(coupon_id, shard)}}
        cells = FiguresStore().table.query_all(key_condition="PK = :p", ExpressionAttributeValues=partition)
        per_shard.append(sum(int(c.get("claimed") or 0) for c in cells))
    assert sum(per_shard) == 300 and min(per_shard) > 0, per_shard
    assert max(per_shard) <= 2 * 300 / keys.FIGURE_SHARDS, per_shard
    # And the figures equal the records, per day and channel
    assert counted(coupon_id, names=("claimed",)) == _claimed_per_day(claims)
    assert reconcile() == []


def _claimed_per_day(claims):
    out: Counter = Counter()
    for c in claims:
        out[(day(c["claimed_at"], ZoneInfo("UTC")), c["channel"], "claimed")] += 1
    return out
