"""Stream records as Lambda delivers them become events: images read with Powertools' stream data classes."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBStreamEvent
from coupon_service import events
from coupon_service.store.table import to_item

REDEMPTION = {
    "type": "redemption",
    "redemption_id": "r1",
    "claim_id": "c1",
    "coupon_id": "k1",
    "merchant_id": "m1",
    "customer_id": "u1",
    "method": "staff",
    "redeemed_by": "s1",
    "redeemed_at": "2026-01-01T00:00:00Z",
    "order_amount": 12000,
    "discount": 1000,
    "allocations": [{"sku": "tea", "discount": 1000, "share": Decimal("0.5")}],
}


def _lambda_record(name: str, new: dict[str, Any] | None, old: dict[str, Any] | None = None) -> dict:
    images = {"NewImage": to_item(new)} if new is not None else {}
    if old is not None:
        images["OldImage"] = to_item(old)
    return {
        "eventID": "1",
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {"SequenceNumber": "42", "StreamViewType": "NEW_AND_OLD_IMAGES", **images},
    }


def test_numbers_in_images_reach_the_event_as_json_numbers_not_decimal_strings():
    # Given a committed redemption whose numbers DynamoDB carries as N (Decimal once deserialized)
    record = _lambda_record("INSERT", REDEMPTION)
    # When the outbox derives its event
    (redeemed,) = events.derive(record)
    # Then whole numbers are int and fractions float, nested ones included, as the bus's JSON carries them
    detail = json.loads(json.dumps(redeemed.model_dump(mode="json")))  # what `entry` puts on the bus
    assert detail["order_amount"] == 12000 and detail["discount"] == 1000
    assert detail["allocations"] == [{"sku": "tea", "discount": 1000, "share": Decimal("0.5")}]
    assert isinstance(detail["allocations"][0]["discount"], int)


def test_binary_and_set_attributes_do_not_stop_a_record_from_being_read():
    # Given items holding bytes (a coupon's logo) and a string set, beside a claim being inserted
    logo = _lambda_record("INSERT", {"type": "coupon_logo", "coupon_id": "k1", "png": b"\x89PNG\x00"})
    tagged = {
        "type": "claim",
        "claim_id": "c1",
        "coupon_id": "k1",
        "merchant_id": "m1",
        "owner_id": "u1",
        "claimed_at": "2026-01-01T00:00:00Z",
        "valid_from": "2026-01-01T00:00:00Z",
        "valid_until": "2026-02-01T00:00:00Z",
        "tags": {"b", "a"},
    }
    # When both are derived, through Powertools' event as the publisher reads a batch
    batch = DynamoDBStreamEvent({"Records": [logo, _lambda_record("INSERT", tagged)]})
    derived = [found for record in batch.records for found in events.derive(record)]
    # Then the logo is no event and the claim is exactly one CouponClaimed, with the default channel
    assert [e.detail_type for e in derived] == ["CouponClaimed"]
    assert derived[0].channel == "other" and derived[0].customer_id == "u1"


def test_a_record_read_twice_has_the_same_event_id_so_consumers_can_drop_the_duplicate():
    record = _lambda_record("MODIFY", {**REDEMPTION, "reversed_at": "2026-01-02T00:00:00Z"}, REDEMPTION)
    first = events.derive(record)
    again = events.derive(DynamoDBStreamEvent({"Records": [record]}).records.__next__())
    assert [e.detail_type for e in first] == ["RedemptionReversed"]
    assert [e.event_id for e in first] == [e.event_id for e in again]
    assert first[0].event_id == events.event_id("RedemptionReversed", "r1")


def test_a_reversal_names_the_customer_and_the_points_its_redemption_credited():
    # A points coupon's redemption, reversed: the points worker takes back what it credited, from whom
    credited = {**REDEMPTION, "points": 50}
    record = _lambda_record("MODIFY", {**credited, "reversed_at": "2026-01-02T00:00:00Z"}, credited)
    (reversal,) = events.derive(record)
    assert (reversal.customer_id, reversal.points, reversal.redeemed_at) == ("u1", 50, "2026-01-01T00:00:00Z")
    # Another kind of coupon's reversal carries no points
    (plain,) = events.derive(_lambda_record("MODIFY", {**REDEMPTION, "reversed_at": "x"}, REDEMPTION))
    assert plain.points is None and plain.customer_id == "u1"


ORDER = {
    "type": "reported_order",
    "order_id": "o-1",
    "merchant_id": "m1",
    "customer_id": "u1",
    "amount": 16000,
    "currency": "CNY",
    "lines": [{"sku": "tea", "quantity": 2, "unit_price": 8000, "amount": 16000}],
    "placed_at": "2026-01-01T00:00:00Z",
    "received_at": "2026-01-01T00:00:05Z",
    "reported_via": "bus",
    "digest": "d",
    "refunded": 0,
    "refund_count": 0,
}


def test_an_order_and_a_refund_are_one_event_each_with_the_contracts_fields_and_a_null_store():
    # Given an order without a store inserted, then refunded (the order's total moves, a refund is inserted)
    refund = {
        "type": "order_refund",
        **{k: ORDER[k] for k in ("order_id", "merchant_id", "customer_id", "currency", "reported_via")},
        "refund_id": "rf-1",
        "amount": 500,
        "refunded_at": "2026-01-02T00:00:00Z",
        "received_at": "2026-01-02T00:00:01Z",
    }
    records = [
        _lambda_record("INSERT", ORDER),
        _lambda_record("MODIFY", {**ORDER, "refunded": 500, "refund_count": 1}, ORDER),
        _lambda_record("INSERT", refund),
    ]
    # When the outbox derives them
    derived = [e for r in records for e in events.derive(r)]
    # Then one OrderPlaced and one OrderRefunded, exactly the contract's fields, store_id null
    assert [e.detail_type for e in derived] == ["OrderPlaced", "OrderRefunded"]
    placed, refunded = (json.loads(json.dumps(e.model_dump(mode="json"))) for e in derived)
    assert set(placed) == {
        "event_id", "occurred_at", "version", "order_id", "merchant_id", "customer_id", "store_id",
        "amount", "currency", "line_count", "placed_at",
    }  # fmt: skip
    assert (placed["store_id"], placed["line_count"], placed["amount"]) == (None, 1, 16000)
    assert set(refunded) == {
        "event_id", "occurred_at", "version", "order_id", "merchant_id", "customer_id", "store_id",
        "refund_id", "amount", "refunded_at",
    }  # fmt: skip
    assert (refunded["store_id"], refunded["amount"]) == (None, 500)
    assert placed["event_id"] == events.event_id("OrderPlaced", "m1|o-1")


def test_a_claimed_coupon_whose_window_grew_is_one_extended_event_and_other_changes_are_none():
    claim = {"type": "claim", "claim_id": "c1", "coupon_id": "k1", "merchant_id": "m1", "owner_id": "u1",
             "claimed_at": "2026-01-01T00:00:00Z", "valid_from": "2026-01-01T00:00:00Z",
             "valid_until": "2026-02-01T00:00:00Z", "state": "held"}  # fmt: skip
    longer = {**claim, "valid_until": "2026-03-01T00:00:00Z", "extended_at": "2026-01-15T00:00:00Z"}
    [extended] = events.derive(_lambda_record("MODIFY", longer, claim))
    assert extended.detail_type == "CouponExtended"
    assert (extended.previous_until, extended.valid_until, extended.occurred_at) == (
        "2026-02-01T00:00:00Z",
        "2026-03-01T00:00:00Z",
        "2026-01-15T00:00:00Z",
    )
    # The same change read again is the same event; a change that does not move the end is none
    [again] = events.derive(_lambda_record("MODIFY", longer, claim))
    assert again.event_id == extended.event_id
    assert events.derive(_lambda_record("MODIFY", {**claim, "state": "gifting"}, claim)) == []
