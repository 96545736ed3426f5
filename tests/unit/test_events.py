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
