"""The orders feed over HTTPS (/orders): a merchant reports its orders and refunds, reading back only its
own; a report sent again is the same order, another under the same id a 409; bad input is a 4xx naming the
field that writes nothing; the outbox publishes one event per order and per refund, carrying nothing
personal."""

from __future__ import annotations

import json

import pytest
from coupon_service import keys
from coupon_service.events import derive, event_id
from coupon_service.store.table import Table

from devstack.streams import StreamReader
from tests.builders import feed_items, make_store, order_body, table_snapshot
from tests.support import call, customer, merchant, platform, staff

pytestmark = pytest.mark.usefixtures("stack")

REFUND = {"refund_id": "rf-1", "amount": 4000, "refunded_at": "2026-01-02T00:00:00Z"}


def test_a_merchant_reports_an_order_and_a_refund_and_reads_them_back(emulator, stack):
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.drain()
    make_store("sh-001")
    # Given an order at one of the merchant's stores, placed at 08:00 in Shanghai
    placed = call("POST", "/orders", claims=merchant(), body=order_body(store_id="sh-001"))
    assert placed.status == 201, placed.json
    assert placed.json["placed_at"] == "2026-01-01T00:00:00Z" and placed.json["merchant_id"] == "m1"
    # When it is reported again (a retry), then refunded in part, and that refund reported again
    again = call("POST", "/orders", claims=merchant(), body=order_body(store_id="sh-001"))
    refunded = call("POST", "/orders/o-1/refunds", claims=merchant(), body=REFUND)
    refunded_again = call("POST", "/orders/o-1/refunds", claims=merchant(), body=REFUND)
    # Then the retries answer as the first time
    assert (again.status, again.json) == (201, placed.json)
    assert refunded.status == 201, refunded.json
    assert (refunded_again.status, refunded_again.json) == (201, refunded.json)
    # And the order reads with what is left to refund
    read = call("GET", "/orders/o-1", claims=merchant())
    assert read.status == 200
    assert read.json == {**placed.json, "refunded": 4000, "refundable": 12000, "refund_count": 1}
    # And the outbox has exactly one event of each, with the contract's fields
    found = [e for r in reader.drain() for e in derive(r)]
    assert [e.detail_type for e in found] == ["OrderPlaced", "OrderRefunded"]
    order_event, refund_event = (e.model_dump(mode="json") for e in found)
    assert order_event == {
        "event_id": event_id("OrderPlaced", "m1|o-1"),
        "occurred_at": order_event["occurred_at"],
        "version": "1",
        "order_id": "o-1",
        "merchant_id": "m1",
        "customer_id": "u1",
        "store_id": "sh-001",
        "amount": 16000,
        "currency": "CNY",
        "line_count": 2,
        "placed_at": "2026-01-01T00:00:00Z",
    }
    assert refund_event == {
        "event_id": event_id("OrderRefunded", "m1|rf-1"),
        "occurred_at": refund_event["occurred_at"],
        "version": "1",
        "order_id": "o-1",
        "merchant_id": "m1",
        "customer_id": "u1",
        "store_id": "sh-001",
        "refund_id": "rf-1",
        "amount": 4000,
        "refunded_at": "2026-01-02T00:00:00Z",
    }


def test_another_report_under_a_taken_order_or_refund_id_is_a_409_naming_it():
    assert call("POST", "/orders", claims=merchant(), body=order_body()).status == 201
    assert call("POST", "/orders", claims=merchant(), body=order_body("o-2")).status == 201
    assert call("POST", "/orders/o-1/refunds", claims=merchant(), body=REFUND).status == 201
    before = table_snapshot()
    # When the same ids come with another body: another customer, another amount, another order
    changed = order_body(customer_id="u2")
    other_order = call("POST", "/orders", claims=merchant(), body=changed)
    other_refund = call("POST", "/orders/o-1/refunds", claims=merchant(), body={**REFUND, "amount": 10})
    moved_refund = call("POST", "/orders/o-2/refunds", claims=merchant(), body=REFUND)
    # Then each is a 409 naming the id, and nothing changed
    assert (other_order.status, other_order.json["error"]["field"]) == (409, "order_id")
    assert (other_refund.status, other_refund.json["error"]["field"]) == (409, "refund_id")
    assert (moved_refund.status, moved_refund.json["error"]["field"]) == (409, "refund_id")
    assert table_snapshot() == before


def test_another_merchant_can_neither_read_nor_refund_nor_overwrite_the_order():
    assert call("POST", "/orders", claims=merchant("m1"), body=order_body()).status == 201
    before = table_snapshot()
    # When m2 reads and refunds m1's order, and names m1 in its own report
    read = call("GET", "/orders/o-1", claims=merchant("m2"))
    refund = call("POST", "/orders/o-1/refunds", claims=merchant("m2"), body=REFUND)
    forged = call(
        "POST", "/orders", claims=merchant("m2"), body=order_body(merchant_id="m1", customer_id="u6")
    )
    # Then m1's order is a 404 to m2 (as one that does not exist), and naming m1 is refused
    assert read.status == refund.status == 404
    assert read.json == call("GET", "/orders/nothing", claims=merchant("m1")).json
    assert (forged.status, forged.json["error"]["field"]) == (403, "merchant_id")
    assert table_snapshot() == before
    # And m2's own order under the same id is m2's, apart from m1's
    assert call("POST", "/orders", claims=merchant("m2"), body=order_body(customer_id="u9")).status == 201
    assert call("GET", "/orders/o-1", claims=merchant("m1")).json["customer_id"] == "u1"
    assert call("GET", "/orders/o-1", claims=merchant("m2")).json["customer_id"] == "u9"


def test_the_platform_reports_for_a_merchant_it_names_and_others_may_not_report():
    # The platform runs order systems for merchants: it names the merchant, in the body or the query
    make_store("sh-001", merchant_id="m3")
    body = order_body(merchant_id="m3", store_id="sh-001")
    assert call("POST", "/orders", claims=platform(), body=body).status == 201
    assert call("GET", "/orders/o-1", claims=merchant("m3")).json["merchant_id"] == "m3"
    assert call("GET", "/orders/o-1", claims=platform(), query={"merchant_id": "m3"}).status == 200
    refund = {**REFUND, "merchant_id": "m3"}
    assert call("POST", "/orders/o-1/refunds", claims=platform(), body=refund).status == 201
    # Without naming one it is a 422 naming merchant_id; staff and customers are a 403
    unnamed = call("POST", "/orders", claims=platform(), body=order_body("o-2"))
    assert (unnamed.status, unnamed.json["error"]["field"]) == (422, "merchant_id")
    for who in (staff("m3"), customer("u1")):
        assert call("POST", "/orders", claims=who, body=order_body("o-3")).status == 403
        assert call("GET", "/orders/o-1", claims=who).status == 403
    assert call("POST", "/orders", body=order_body("o-4")).status == 401
    assert call("GET", "/orders/o-2", claims=merchant("m3")).status == 404


def _line(sku="tea", quantity=1, unit_price=100, amount=100):
    return {"sku": sku, "quantity": quantity, "unit_price": unit_price, "amount": amount}


BAD_ORDERS = [
    ({"amount": -1, "lines": [_line(amount=-1, unit_price=-1)]}, "amount"),
    ({"amount": 300, "lines": [_line(), _line("cake")]}, "lines"),
    ({"amount": 100, "lines": [_line(quantity=2, unit_price=100, amount=100)]}, "lines.0.amount"),
    ({"amount": 0, "lines": [_line(quantity=0, unit_price=0, amount=0)]}, "lines.0.quantity"),
    ({"lines": []}, "lines"),
    ({"customer_phone": "+8613812345678"}, "customer_phone"),
    ({"lines": [{**_line(), "note": "x"}], "amount": 100}, "lines.0.note"),
    ({"store_id": "nowhere"}, "store_id"),
    ({"store_id": "m2-store"}, "store_id"),
    ({"placed_at": "2099-01-01T00:00:00Z"}, "placed_at"),
    ({"placed_at": "2026-01-01T00:00:00"}, "placed_at"),
    ({"currency": "cny"}, "currency"),
    ({"amount": "16000"}, "amount"),
    ({"order_id": "o 1/../x"}, "order_id"),
    ({"customer_id": ""}, "customer_id"),
]


def test_a_bad_order_is_a_4xx_naming_the_field_and_writes_nothing():
    make_store("m2-store", merchant_id="m2")
    before = table_snapshot()
    for change, field in BAD_ORDERS:
        reply = call("POST", "/orders", claims=merchant(), body=order_body(**change))
        assert reply.status == 422, (change, reply.json)
        assert reply.json["error"]["field"] in (field, f"body.{field}"), (change, reply.json)
        assert "+8613812345678" not in json.dumps(reply.json)
    assert table_snapshot() == before


BAD_REFUNDS = [
    ({"amount": 12001}, "amount"),  # 4000 refunded already: 12000 left
    ({"amount": 16001}, "amount"),
    ({"amount": 0}, "amount"),
    ({"amount": -5}, "amount"),
    ({"refunded_at": "2099-01-01T00:00:00Z"}, "refunded_at"),
    ({"refunded_at": "2025-12-31T00:00:00Z"}, "refunded_at"),  # before the order was placed
    ({"reason": "x"}, "reason"),
]


def test_a_bad_refund_is_a_4xx_naming_the_field_and_writes_nothing():
    assert call("POST", "/orders", claims=merchant(), body=order_body()).status == 201
    assert call("POST", "/orders/o-1/refunds", claims=merchant(), body=REFUND).status == 201
    before = table_snapshot()
    for change, field in BAD_REFUNDS:
        body = {**REFUND, "refund_id": "rf-2", **change}
        reply = call("POST", "/orders/o-1/refunds", claims=merchant(), body=body)
        assert reply.status == 422, (change, reply.json)
        assert reply.json["error"]["field"] in (field, f"body.{field}"), (change, reply.json)
    assert table_snapshot() == before
    assert Table().get(keys.order_refund("m1", "rf-2")) is None
    assert len(feed_items("order_refund")) == 1
