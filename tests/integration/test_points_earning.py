"""Earning points from the bus's events through the points worker: 1,000 orders with 10% refunded and every
event delivered twice leave balances equal to a recount; a points coupon's redemption credited once; both
sides of an accepted invitation."""

from __future__ import annotations

import random

import pytest
from coupon_service import keys
from coupon_service.point_items import PointsSettingsItem
from coupon_service.point_rules import order_points, refund_points
from coupon_service.store.point_settings import PointSettingsStore
from coupon_service.store.table import Table

from tests.integration.test_points_ledger import assert_consistent
from tests.support import bus_message, invoke

pytestmark = pytest.mark.usefixtures("stack")

RULE = {"points": 1, "per_amount": 100}


def deliver(messages, batch=100):
    """Through the worker as its queue's event source mapping hands batches over (up to 100 with a batching
    window; each batch's entries made before are read with one BatchGetItem)."""
    for start in range(0, len(messages), batch):
        answer = invoke("points_worker", {"Records": messages[start : start + batch]})
        assert answer == {"batchItemFailures": []}, answer


def message(kind, detail, n):
    return bus_message(kind, detail, message_id=f"{kind}-{n}")


@pytest.mark.slow
def test_a_thousand_orders_with_a_tenth_refunded_each_delivered_twice_equal_a_recount():
    PointSettingsStore().replace(
        PointsSettingsItem(merchant_id="m1", earning={"order": RULE}, updated_at="2030-01-01T00:00:00Z")
    )
    chance = random.Random(18)
    customers = [f"c{n:02d}" for n in range(40)]
    orders = [
        {
            "order_id": f"o{n:04d}",
            "merchant_id": "m1",
            "customer_id": chance.choice(customers),
            "amount": chance.randrange(100, 50_000),
            "currency": "CNY",
        }
        for n in range(1000)
    ]
    refunded = chance.sample(orders, 100)
    refunds = [
        {
            "order_id": o["order_id"],
            "merchant_id": "m1",
            "customer_id": o["customer_id"],
            "refund_id": f"r-{o['order_id']}",
            "amount": chance.randrange(1, o["amount"] + 1),
        }
        for o in refunded
    ]
    # Every event twice: once in order, once again shuffled among the rest (some twice in one batch)
    placed = [message("OrderPlaced", o, n) for n, o in enumerate(orders)]
    again = placed[:]
    chance.shuffle(again)
    deliver(placed + again)
    returned = [message("OrderRefunded", r, n) for n, r in enumerate(refunds)]
    deliver(returned + returned[::-1])
    # The recount, from the orders and refunds alone
    expected = dict.fromkeys(customers, 0)
    earned = {o["order_id"]: order_points(RULE, o["amount"], "CNY") for o in orders}
    for o in orders:
        expected[o["customer_id"]] += earned[o["order_id"]]
    amounts = {o["order_id"]: o["amount"] for o in orders}
    returned_total = dict.fromkeys(amounts, 0)
    for r in refunds:
        returned_total[r["order_id"]] += r["amount"]
    for o in orders:  # what all of an order's refunds take back, together
        expected[o["customer_id"]] -= refund_points(
            earned[o["order_id"]], o["amount"], returned_total[o["order_id"]]
        )
    for customer in customers:
        balance, entries = assert_consistent(customer, "m1")
        assert balance.get("balance", 0) == expected[customer], customer
        assert len([e for e in entries if e["reason"] == "order"]) == sum(
            o["customer_id"] == customer for o in orders
        )


def test_a_points_coupon_credits_once_and_an_invitation_both_sides():
    PointSettingsStore().replace(
        PointsSettingsItem(
            merchant_id="m1", earning={"invitation_accepted": {"inviter": 20, "invitee": 5}}, updated_at="x"
        )
    )
    redeemed = {
        "redemption_id": "r1",
        "claim_id": "c" * 32,
        "coupon_id": "k" * 32,
        "merchant_id": "m1",
        "customer_id": "u1",
        "points": 50,
    }
    invited = {"merchant_id": "m1", "invitation_id": "i1", "inviter_id": "u1", "invitee_id": "u2"}
    deliver([message("CouponRedeemed", redeemed, 1), message("CouponRedeemed", redeemed, 2)])
    deliver([message("InvitationAccepted", invited, 3)] * 2)
    assert Table().get(keys.points_balance("u1", "m1"))["balance"] == 50 + 20
    assert Table().get(keys.points_balance("u2", "m1"))["balance"] == 5
    assert_consistent("u1", "m1")


def test_a_refund_in_the_same_batch_as_its_order_takes_its_share_back():
    PointSettingsStore().replace(
        PointsSettingsItem(merchant_id="m1", earning={"order": RULE}, updated_at="2030-01-01T00:00:00Z")
    )
    order = {"order_id": "o1", "merchant_id": "m1", "customer_id": "u1", "amount": 10_000, "currency": "CNY"}
    other = {**order, "order_id": "o2", "customer_id": "u2"}
    refund = {"order_id": "o1", "merchant_id": "m1", "customer_id": "u1", "refund_id": "r1", "amount": 2_500}
    deliver(
        [
            message("OrderRefunded", refund, 1),
            message("OrderPlaced", order, 2),
            message("OrderPlaced", other, 3),
        ]
    )
    assert Table().get(keys.points_balance("u1", "m1"))["balance"] == 100 - 25
    assert Table().get(keys.points_balance("u2", "m1"))["balance"] == 100
    assert_consistent("u1", "m1")


def test_a_refund_that_overtakes_its_order_waits_for_the_orders_credit():
    from tests.builders import order_body
    from tests.support import call, merchant

    # Given a programme earning on orders, and an order reported through the orders feed
    PointSettingsStore().replace(
        PointsSettingsItem(merchant_id="m1", earning={"order": RULE}, updated_at="2030-01-01T00:00:00Z")
    )
    assert call("POST", "/orders", claims=merchant(), body=order_body("o-9", amount=16000)).status == 201
    detail = {"order_id": "o-9", "merchant_id": "m1", "customer_id": "u1", "amount": 16000, "currency": "CNY"}
    refund = message(
        "OrderRefunded",
        {"order_id": "o-9", "merchant_id": "m1", "customer_id": "u1", "refund_id": "r-9", "amount": 16000},
        1,
    )
    # When the full refund reaches the worker before the order's credit (another batch, or a retry)
    early = invoke("points_worker", {"Records": [refund]})
    # Then it is handed back to the queue, not dropped
    assert early == {"batchItemFailures": [{"itemIdentifier": refund["messageId"]}]}
    # And once the order is credited, the refund delivered again takes all of it back
    deliver([message("OrderPlaced", detail, 1)])
    deliver([refund])
    balance, entries = assert_consistent("u1", "m1")
    assert balance["balance"] == 0
    assert sorted((e["source"], e["points"]) for e in entries) == [("order:o-9", 160), ("refund:r-9", -160)]


def test_a_refund_of_an_order_that_earns_nothing_is_not_held():
    from tests.builders import order_body
    from tests.support import call, merchant

    PointSettingsStore().replace(
        PointsSettingsItem(merchant_id="m1", earning={"order": RULE}, updated_at="2030-01-01T00:00:00Z")
    )
    # An order under the rule's amount earns nothing: its refund has nothing to wait for
    assert (
        call(
            "POST",
            "/orders",
            claims=merchant(),
            body=order_body(
                "o-small", amount=99, lines=[{"sku": "tea", "quantity": 1, "unit_price": 99, "amount": 99}]
            ),
        ).status
        == 201
    )
    refund = {
        "order_id": "o-small",
        "merchant_id": "m1",
        "customer_id": "u1",
        "refund_id": "r-s",
        "amount": 99,
    }
    deliver([message("OrderRefunded", refund, 2)])
