"""The orders feed under many real threads against the serialized local store, clean, with conflicts and
throttling, and with lost answers: each order and each refund is stored once and raises one event, and an
order's refunds never add up to more than its amount. Each test checks the store and the outbox, not only
the answers."""

from __future__ import annotations

from collections import Counter

import pytest
from coupon_service.events import derive
from coupon_service.models.orders import OrderReport, RefundReport
from coupon_service.order_feed import OrderFeed

from devstack.streams import StreamReader
from tests.builders import feed_items, make_store, order_body
from tests.support import FAULT_MODES, concurrently, inject, outcome

pytestmark = [pytest.mark.usefixtures("stack"), pytest.mark.concurrency]

ORDERS = 8
COPIES = 4  # each order reported this many times at once
# Per order, refunds of 7,000 + 5,000 + 3,000 + 2,000 against 16,000: not all of them fit.
REFUNDS = (7000, 5000, 3000, 2000)


def test_orders_and_refunds_reported_many_times_at_once_are_stored_once(emulator, stack, fault_mode):
    make_store("sh-001")
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.drain()
    inject(emulator, fault_mode)
    feed = OrderFeed()

    # When every order is reported by four threads at once
    def place(i):
        body = OrderReport.model_validate(order_body(f"o-{i % ORDERS}", store_id="sh-001"))
        return outcome(lambda: feed.place("m1", body))

    placed = concurrently(place, ORDERS * COPIES)
    # And then every refund of every order twice, all at once
    refunds = [(o, r) for o in range(ORDERS) for r in range(len(REFUNDS))] * 2

    def refund(i):
        order, which = refunds[i]
        body = RefundReport.model_validate(
            {
                "refund_id": f"rf-{order}-{which}",
                "amount": REFUNDS[which],
                "refunded_at": "2026-01-02T00:00:00Z",
            }
        )
        return outcome(lambda: feed.refund("m1", f"o-{order}", body))

    refunded = concurrently(refund, len(refunds))
    injected = emulator.faults.injected
    emulator.faults.set(0.0)

    # Then every report answered the one order, and faults were really injected
    assert all(getattr(o, "status", None) == 201 for o in placed), placed
    assert len({str(o.json) for o in placed}) == ORDERS
    assert (injected > 0) == (fault_mode != "clean")
    # And each refund answered either stored (both copies alike) or over-refund, never anything else
    answers: dict[str, set[tuple[int, str]]] = {}
    for (order, which), answer in zip(refunds, refunded, strict=True):
        assert getattr(answer, "status", None) in (201, 422), answer
        if answer.status == 422:
            assert answer.json["error"]["field"] == "amount"
        answers.setdefault(f"rf-{order}-{which}", set()).add((answer.status, str(answer.json)))
    # And the store holds one order per id, and per order refunds within its amount, agreeing with answers
    orders = feed_items("reported_order")
    stored_refunds = feed_items("order_refund")
    assert sorted(o["order_id"] for o in orders) == [f"o-{i}" for i in range(ORDERS)]
    assert len({r["refund_id"] for r in stored_refunds}) == len(stored_refunds)
    for order in orders:
        mine = [r for r in stored_refunds if r["order_id"] == order["order_id"]]
        assert order["refunded"] == sum(r["amount"] for r in mine) <= order["amount"]
        assert order["refund_count"] == len(mine)
        # a refund refused was one that did not fit (what is left only ever shrinks)
        left = order["amount"] - order["refunded"]
        refused = [
            REFUNDS[which]
            for which in range(len(REFUNDS))
            if f"rf-{order['order_id'][2:]}-{which}" not in {r["refund_id"] for r in mine}
        ]
        assert all(amount > left for amount in refused), (order, refused)
    for refund_id, seen in answers.items():
        stored = any(r["refund_id"] == refund_id for r in stored_refunds)
        assert any(status == 201 for status, _ in seen) == stored, (refund_id, seen)
        assert len({text for status, text in seen if status == 201}) <= 1
    # And the outbox raised exactly one event per order and per stored refund
    found = Counter((e.detail_type, e.event_id) for record in reader.drain() for e in derive(record))
    assert set(found.values()) == {1}
    kinds = Counter(kind for kind, _ in found)
    assert kinds == {"OrderPlaced": ORDERS, "OrderRefunded": len(stored_refunds)}


@pytest.fixture(params=list(FAULT_MODES))
def fault_mode(request, emulator):
    """clean; 15% of writes refused; or 15% refused and 15% applied with their answer lost."""
    yield request.param
    emulator.faults.set(0.0)
