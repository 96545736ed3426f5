"""The orders feed on the bus: merchants' `OrderPlaced` and `OrderRefunded` (source `coupons.orders`) reach
the orders worker through the rule and its queue, are checked and stored as `POST /orders` stores them, one
bad event in a batch is reported failed alone while the good ones are stored, nothing personal reaches a log,
and neither the service's own events nor another account can pass for a merchant's."""

from __future__ import annotations

import json

import pytest
from coupon_service import settings
from coupon_service.aws import client
from coupon_service.events import derive

from devstack.streams import StreamReader, published
from tests.builders import feed_items, make_store, order_body
from tests.support import call, invoke, merchant, sqs_message

pytestmark = pytest.mark.usefixtures("stack")

PHONE = "+86 138 1234 5678"
MERCHANTS_ACCOUNT = "210987654321"


@pytest.fixture
def worker(stack, monkeypatch):
    """The orders worker's own environment, as the template gives it, with one merchant's account added."""
    for name, value in stack.environment("OrdersWorkerFunction").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(
        "ORDER_FEED_SENDERS",
        f"{stack.environment('OrdersWorkerFunction')['ORDER_FEED_SENDERS']}{MERCHANTS_ACCOUNT}:m2",
    )
    settings.settings.cache_clear()
    yield
    settings.settings.cache_clear()


def envelope(detail_type, detail, *, event_id, source="coupons.orders", account="123456789012"):
    """An event as EventBridge delivers it to a rule's target."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": "2026-05-09T12:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


def batch(*events):
    return {"Records": [sqs_message(json.dumps(e), message_id=f"msg-{i}") for i, e in enumerate(events)]}


def test_a_batch_with_bad_events_stores_the_good_ones_and_reports_only_the_bad(
    worker, emulator, stack, capsys, caplog
):
    make_store("sh-001", merchant_id="m1")
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.drain()
    good = order_body("o-good", merchant_id="m1", store_id="sh-001")
    refund = {
        "merchant_id": "m1",
        "order_id": "o-good",
        "refund_id": "rf-1",
        "amount": 1000,
        "refunded_at": "2026-01-02T00:00:00Z",
    }
    events = [
        envelope("OrderPlaced", good, event_id="e0"),
        # lines that do not sum, and a phone number in a field no order has
        envelope(
            "OrderPlaced",
            order_body("o-bad", merchant_id="m1", amount=1, customer_phone=PHONE),
            event_id="e1",
        ),
        envelope("OrderRefunded", refund, event_id="e2"),
        # m1's order from an account that reports only for m2; the service's own source; no merchant
        envelope(
            "OrderPlaced", order_body("o-forged", merchant_id="m1"), event_id="e3", account=MERCHANTS_ACCOUNT
        ),
        envelope("OrderPlaced", order_body("o-inside", merchant_id="m1"), event_id="e4", source="coupons"),
        envelope("OrderPlaced", order_body("o-nobody"), event_id="e5"),
        envelope("OrderShipped", good, event_id="e6"),
    ]
    messages = batch(*events)
    messages["Records"].append(sqs_message("not json at all", message_id="msg-7"))
    # A phone number as a field's name: the refusal names where it was, never the name
    keyed = {**order_body("o-keyed", merchant_id="m1"), PHONE: 1}
    messages["Records"].append(
        sqs_message(json.dumps(envelope("OrderPlaced", keyed, event_id="e8")), "msg-8")
    )
    # When the worker takes the batch
    answer = invoke("orders_worker", messages)
    # Then exactly the bad messages are reported failed, for the queue to deliver again
    failed = sorted(f["itemIdentifier"] for f in answer["batchItemFailures"])
    assert failed == ["msg-1", "msg-3", "msg-4", "msg-5", "msg-6", "msg-7", "msg-8"]
    # And the good order and its refund are stored, once, and nothing of the bad ones
    assert [o["order_id"] for o in feed_items("reported_order")] == ["o-good"]
    assert [(r["refund_id"], r["reported_via"]) for r in feed_items("order_refund")] == [("rf-1", "bus")]
    # And the outbox raises one event for each
    found = [e.detail_type for r in reader.drain() for e in derive(r)]
    assert found == ["OrderPlaced", "OrderRefunded"]
    # And each refusal is logged with its reason, never the phone number (in a line or any field of it)
    refusals = [r for r in caplog.records if r.getMessage() == "order event refused"]
    assert {(r.event_id, r.code, r.field) for r in refusals} == {
        ("e1", "invalid", "detail.lines"),
        ("e3", "forbidden", "merchant_id"),
        ("e4", "wrong_source", "source"),
        ("e5", "invalid", "detail.merchant_id"),
        ("e6", "unknown_detail_type", "detail-type"),
        ("e8", "invalid", "detail.<unknown field>"),
    }
    logged = capsys.readouterr().out + json.dumps([vars(r) for r in caplog.records], default=str)
    for spelling in (PHONE, PHONE.replace(" ", ""), "13812345678"):
        assert spelling not in logged
    # And the same batch again stores nothing twice
    assert invoke("orders_worker", messages)["batchItemFailures"] == answer["batchItemFailures"]
    assert len(feed_items("reported_order")) == len(feed_items("order_refund")) == 1
    assert [e for r in reader.drain() for e in derive(r)] == []


def test_a_merchants_account_reports_its_own_orders_and_the_api_sees_the_same_order(worker):
    # Given m2's order reported from m2's account, then through the API with the same body
    body = order_body("o-9", merchant_id="m2")
    event = envelope("OrderPlaced", body, event_id="e9", account=MERCHANTS_ACCOUNT)
    assert invoke("orders_worker", batch(event)) == {"batchItemFailures": []}
    # Then the API reads it, and reporting it again through the API is the same order (no second one)
    assert call("GET", "/orders/o-9", claims=merchant("m2")).json["amount"] == body["amount"]
    again = call("POST", "/orders", claims=merchant("m2"), body=body)
    assert again.status == 201, again.json
    assert len(feed_items("reported_order")) == 1


def test_the_rule_takes_only_the_merchants_source_and_the_figures_never_see_a_merchants_event(
    worker, emulator, stack
):
    events = client("events")
    placed = order_body("o-bus", merchant_id="m1")
    # When a merchant's order system and a forger put OrderPlaced on the bus, with each source
    events.put_events(
        Entries=[
            {
                "Source": source,
                "DetailType": "OrderPlaced",
                "Detail": json.dumps({**placed, "order_id": order_id}),
                "EventBusName": stack.bus_name,
            }
            for source, order_id in (("coupons.orders", "o-bus"), ("coupons", "o-forged"))
        ]
    )
    # Then the worker's queue holds the merchant's event only, and the figures' queue never a merchant's
    queued = published(emulator.url, stack.refs["OrderFeedQueue"])
    assert [(e["source"], e["detail"]["order_id"]) for e in queued] == [("coupons.orders", "o-bus")]
    # (a `coupons` event is the service's own: the bus policy lets merchants' accounts put only theirs)
    figures = published(emulator.url, stack.refs["FiguresQueue"])
    assert [(e["source"], e["detail"]["order_id"]) for e in figures] == [("coupons", "o-forged")]
    # And the worker stores it from the queue as delivered
    answer = invoke("orders_worker", batch(*queued))
    assert answer == {"batchItemFailures": []}
    assert [o["order_id"] for o in feed_items("reported_order")] == ["o-bus"]
