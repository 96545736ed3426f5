"""Points whose instant has passed are never spent, even before the hourly run expires them: the balance
carries the soonest lot's instant (`expires_next`), a debit is refused once it has passed, and the refused
debit expires that ledger at once (exactly once, as the run does) and tries again. Under many real threads,
with the run overlapping the claims, faults and lost answers: every due point expires once, the balance is
the sum of the entries and never below zero."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from coupon_service import keys
from coupon_service.errors import NotEnoughPoints
from coupon_service.points.expiry import PointsExpiry
from coupon_service.points.ledger import Ledger
from coupon_service.store.points import entry_id
from coupon_service.store.table import Table
from coupon_service.validity import to_iso

from tests.builders import claim, claim_items, claim_now, make_coupon, shards
from tests.integration.test_points_ledger import assert_consistent, ledger_items
from tests.support import call, concurrently, customer, inject

pytestmark = pytest.mark.usefixtures("stack")

PRICED = {"points_price": 30, "per_customer_limit": 10}


def instants():
    """A lot's instant a minute ago (due) and one a month ahead."""
    now = datetime.now(UTC)
    return to_iso(now - timedelta(minutes=1)), to_iso(now + timedelta(days=30))


def ledger(customer_id, lots, consumed=0):
    """A ledger as credits and debits leave it: a lot and a credit entry per instant, `consumed` spent."""
    balance = sum(lots.values()) - consumed
    yield {
        **keys.points_balance(customer_id, "m1"),
        "type": "points_balance",
        "customer_id": customer_id,
        "programme": "m1",
        "balance": balance,
        "consumed": consumed,
        "version": len(lots) + 1,
        "expires_next": min(lots),
    }
    changes = [(f"earn:{at}", points, at) for at, points in lots.items()]
    changes += [("spend", -consumed, None)] if consumed else []
    for source, points, at in changes:
        yield {
            **keys.points_entry(customer_id, "m1", entry_id(source)),
            "type": "points_entry",
            "entry_id": entry_id(source),
            "customer_id": customer_id,
            "programme": "m1",
            "source": source,
            "reason": "order" if points > 0 else "coupon_claim",
            "points": points,
            "at": "2026-01-01T00:00:00Z",
            **({"expires_at": at} if at else {}),
        }
    for at, points in lots.items():
        yield {
            **keys.points_lot(customer_id, "m1", at),
            **keys.points_due_index(customer_id, "m1", at),
            "type": "points_lot",
            "customer_id": customer_id,
            "programme": "m1",
            "expires_at": at,
            "points": points,
        }


def expired(customer_id):
    return [e["points"] for e in ledger_items(customer_id, "m1")[1] if e["reason"] == "expiry"]


def test_points_due_a_minute_ago_are_not_spent_but_expired_once_and_the_run_expires_nothing_more(
    emulator, stack
):
    from coupon_service.events import derive

    from devstack.streams import StreamReader

    due, later = instants()
    # Given u1 with 40 points due a minute ago (the hourly run has not come) and 10 due next month, and u2
    # with 40 due, 35 of them spent already, and 40 next month
    Table().batch_write([*ledger("u1", {due: 40, later: 10}), *ledger("u2", {due: 40, later: 40}, 35)])
    coupon = make_coupon(options=PRICED, shard_count=2)
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.drain()
    # Then u1 is shown 10 points, not 50, and only what is still to expire
    shown = call("GET", "/me/points?programme=m1", claims=customer("u1")).json
    assert shown["balance"] == 10 and shown["expiring"] == [{"expires_at": later, "points": 10}]
    # And a credit meanwhile is taken as ever (a credit is never refused)
    Ledger().credit("u1", "m1", "gift", "adjustment", 5)
    # When u1 claims the coupon priced at 30: 15 left once the due 40 expire
    refused = claim(coupon["coupon_id"], user="u1")
    # Then it is refused naming the points, takes no unit, writes no claim and no debit
    assert refused.status == 409, refused.json
    assert refused.json["error"]["code"] == "insufficient_points"
    assert refused.json["error"]["field"] == "points"
    assert claim_items(coupon["coupon_id"]) == [] and sum(s["claimed"] for s in shards(coupon)) == 0
    # And the due lot expired at once, once; the balance now names the next lot's instant
    balance, entries = assert_consistent("u1", "m1")
    assert expired("u1") == [-40] and balance["balance"] == 15 and balance["expires_next"] == later
    assert not any(e["reason"] == "coupon_claim" for e in entries)
    # When u2 claims it: the debit is refused for the due lot, which expires (5 left of it), then taken
    taken = claim(coupon["coupon_id"], user="u2")
    assert taken.status == 201, taken.json
    balance, entries = assert_consistent("u2", "m1")
    assert expired("u2") == [-5] and balance["balance"] == 80 - 35 - 5 - 30
    assert [e["points"] for e in entries if e["source"].startswith("claim:")] == [-30]
    # And a merchant's debit is treated the same: u3's due 10 expire first, then 5 of 5 can be taken
    Table().batch_write(ledger("u3", {due: 10, later: 5}))
    with pytest.raises(NotEnoughPoints):
        Ledger().debit("u3", "m1", "adjustment:too-much", "adjustment", 6)
    assert Ledger().debit("u3", "m1", "adjustment:all", "adjustment", 5).points == -5
    assert expired("u3") == [-10] and assert_consistent("u3", "m1")[0]["balance"] == 0
    # Then the scheduled run finds nothing more to expire, and each expiry was one PointsExpired
    assert PointsExpiry().run().points_expired == 0
    assert (expired("u1"), expired("u2"), expired("u3")) == ([-40], [-5], [-10])
    events = [e for record in reader.drain() for e in derive(record)]
    assert Counter((e.customer_id, e.points) for e in events if e.detail_type == "PointsExpired") == {
        ("u1", -40): 1,
        ("u2", -5): 1,
        ("u3", -10): 1,
    }


@pytest.mark.concurrency
@pytest.mark.parametrize("mode", ["clean", "lost"])  # lost: 30% refused, throttled or applied, answer lost
def test_concurrent_claims_and_expiry_runs_expire_every_due_point_once_and_never_spend_one(emulator, mode):
    # Given 10 customers with 20 points due a minute ago and 50 next month: 70 held, 50 spendable
    due, later = instants()
    customers = [f"c{n:02d}" for n in range(10)]
    Table().batch_write(item for c in customers for item in ledger(c, {due: 20, later: 50}))
    coupon = make_coupon(options=PRICED, codes={"mode": "random_on_claim", "inventory": 100}, shard_count=2)
    # When each claims the coupon priced at 30 three times while three expiry runs overlap them
    inject(emulator, mode)

    def work(i):
        if i < 3 * len(customers):
            return claim_now(coupon["coupon_id"], customers[i % len(customers)])
        return PointsExpiry().run()

    results = concurrently(work, 3 * len(customers) + 3, threads=12)
    injected = emulator.faults.injected
    emulator.faults.set(0.0)
    claims, runs = results[: 3 * len(customers)], results[3 * len(customers) :]
    assert [r for r in runs if isinstance(r, BaseException)] == []
    # Then each customer got exactly one coupon (the due 20 were never spent: 50 pay for one, not two)
    assert Counter(r.status for r in claims) == {201: len(customers), 409: 2 * len(customers)}, [
        r.json for r in claims if r.status != 201
    ]
    assert {r.json["error"]["code"] for r in claims if r.status == 409} == {"insufficient_points"}
    stored = claim_items(coupon["coupon_id"])
    assert Counter(c["claimer_id"] for c in stored) == dict.fromkeys(customers, 1)
    assert sum(s["claimed"] for s in shards(coupon)) == len(customers)
    # And every due point expired once, the balance is the sum of the entries, never below zero
    for c in customers:
        balance, _ = assert_consistent(c, "m1")
        assert expired(c) == [-20], c
        assert balance["balance"] == 20 and balance["expires_next"] == later
        assert [lot["expires_at"] for lot in ledger_items(c, "m1")[2]] == [later]
    assert (injected > 0) == (mode != "clean")


def test_a_refund_after_points_fell_due_expires_them_first_and_takes_back_only_what_is_left():
    from coupon_service.point_items import PointsSettingsItem
    from coupon_service.store.point_settings import PointSettingsStore

    from tests.support import bus_message, invoke

    # Given u1 with 20 points due a minute ago, 5 next month, and an order that earned 10 (never expiring)
    due, later = instants()
    Table().batch_write(ledger("u1", {due: 20, later: 5}))
    rule = {"order": {"points": 1, "per_amount": 100}}
    PointSettingsStore().replace(PointsSettingsItem(merchant_id="m1", earning=rule, updated_at=due))
    order = {"order_id": "o1", "merchant_id": "m1", "customer_id": "u1", "amount": 1_000, "currency": "CNY"}
    refund = {"order_id": "o1", "merchant_id": "m1", "customer_id": "u1", "refund_id": "r1", "amount": 1_000}

    def deliver(kind, detail):
        answer = invoke("points_worker", {"Records": [bus_message(kind, detail, message_id=kind)]})
        assert answer == {"batchItemFailures": []}, answer

    deliver("OrderPlaced", order)
    # When the whole order is refunded: its 10 points are wanted back of 35 held, 15 spendable
    deliver("OrderRefunded", refund)
    # Then the due 20 expired once, first, and the refund took its 10 of what was left
    balance, entries = assert_consistent("u1", "m1")
    assert expired("u1") == [-20]
    (taken,) = [e for e in entries if e["reason"] == "refund"]
    assert taken["points"] == -10 and taken.get("shortfall", 0) == 0
    assert balance["balance"] == 5 and balance["expires_next"] == later


def test_a_balance_naming_an_instant_past_with_no_lot_due_is_mended_not_stuck():
    # Given a balance whose expires_next has passed though no lot is due (a lot expired by another path)
    due, later = instants()
    items = list(ledger("u5", {later: 50}))
    items[0]["expires_next"] = due
    Table().batch_write(items)
    # When a debit comes: it is refused for it, the expiry finds nothing to expire and moves the instant on
    assert Ledger().debit("u5", "m1", "adjustment:x", "adjustment", 10).points == -10
    # Then the debit is taken, nothing expired, and the balance names the lot still to expire
    balance, _ = assert_consistent("u5", "m1")
    assert balance["balance"] == 40 and balance["expires_next"] == later and expired("u5") == []


def test_a_lot_recreated_at_an_instant_already_expired_expires_again_and_never_jams_the_ledger():
    from coupon_service.errors import Busy
    from coupon_service.point_items import PointsEntryItem
    from coupon_service.store.points import PointsStore

    # Given u6 with 10 points due a minute ago, which a debit expires (too few left to take it)
    due, _ = instants()
    Table().batch_write(ledger("u6", {due: 10}))
    with pytest.raises(NotEnoughPoints):
        Ledger().debit("u6", "m1", "adjustment:first", "adjustment", 1)
    assert expired("u6") == [-10]
    # When a late credit names that same instant (end_of_year: earned in the year's last seconds, credited
    # after midnight) and recreates its lot
    late = PointsEntryItem(
        entry_id=entry_id("late"),
        customer_id="u6",
        programme="m1",
        source="late",
        reason="order",
        points=5,
        at=due,
        expires_at=due,
    )
    PointsStore().change(late)
    # Then the next debit expires the recreated lot (not a 503 forever) and is refused for too few points
    try:
        Ledger().debit("u6", "m1", "adjustment:second", "adjustment", 1)
    except Busy as busy:
        pytest.fail(f"the ledger is jammed: {busy}")
    except NotEnoughPoints:
        pass
    balance, _ = assert_consistent("u6", "m1")
    assert sorted(expired("u6")) == [-10, -5] and balance["balance"] == 0
    assert "expires_next" not in balance
    # And a credit recreating it once more is expired by the run, which leaves nothing deferred
    PointsStore().change(late.model_copy(update={"source": "later", "entry_id": entry_id("later")}))
    summary = PointsExpiry().run()
    assert summary.deferred == 0 and summary.points_expired >= 5
    assert sorted(expired("u6")) == [-10, -5, -5] and PointsExpiry().run().deferred == 0
    assert_consistent("u6", "m1")


def test_a_claim_whose_expiry_loses_its_answer_gives_its_pool_position_back_and_answers_busy(
    emulator, monkeypatch
):
    from coupon_service.store.point_expiry import PointsExpiryStore

    # Given u7 with 20 points due a minute ago and 50 next month, and the one code of a pooled coupon
    due, later = instants()
    Table().batch_write(ledger("u7", {due: 20, later: 50}))
    coupon = make_coupon(options=PRICED, codes={"mode": "generated", "inventory": 1}, shard_count=1)
    real = PointsExpiryStore.expire

    def answer_lost(self, *args, **kwargs):
        # every attempt of the expiry's transaction is applied and its answer lost, until the deadline
        emulator.faults.set(1.0, ("lost",), operations=frozenset({"TransactWriteItems"}))
        try:
            return real(self, *args, **kwargs)
        finally:
            emulator.faults.set(0.0)

    monkeypatch.setattr(PointsExpiryStore, "expire", answer_lost)
    # When u7 claims it without an Idempotency-Key: the claim's transaction is refused for the due points
    # and the expiry it runs stays unanswered
    path = f"/coupons/{coupon['coupon_id']}/claims"
    busy = call("POST", path, claims=customer("u7"), remaining_ms=2_000)
    monkeypatch.setattr(PointsExpiryStore, "expire", real)
    # Then the answer is a 503 to retry, no claim is written and the code's position is back in the pool
    assert busy.status == 503 and busy.json["error"]["code"] == "busy", busy.json
    assert claim_items(coupon["coupon_id"]) == []
    (shard,) = shards(coupon)
    assert shard["claimed"] == 0 and shard["remaining"] == 1
    assert not [name for name in shard if name.startswith("taker_")]
    # And the expiry was applied once; a new claim takes the one code and 30 of the 50 left
    assert expired("u7") == [-20]
    again = claim(coupon["coupon_id"], user="u7")
    assert again.status == 201, again.json
    balance, _ = assert_consistent("u7", "m1")
    assert balance["balance"] == 20 and expired("u7") == [-20]
