"""The sample events in events/ (also used with `sam local invoke`) drive the handlers as they are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devstack.streams import published
from tests.support import invoke

pytestmark = pytest.mark.usefixtures("stack")
EVENTS = Path(__file__).resolve().parents[2] / "events"


def sample(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


def with_coupon(event: dict, coupon_id: str) -> dict:
    old = event["pathParameters"]["couponId"]
    event["pathParameters"]["couponId"] = coupon_id
    event["path"] = event["path"].replace(old, coupon_id)
    return event


def test_merchant_samples_create_list_and_show_an_offer():
    created = invoke("coupons", sample("coupons-create.json"))
    assert created["statusCode"] == 201, created["body"]
    coupon_id = json.loads(created["body"])["coupon_id"]
    listed = json.loads(invoke("coupons", sample("coupons-list.json"))["body"])
    assert [c["coupon_id"] for c in listed["items"]] == [coupon_id]
    offer = invoke("coupons", with_coupon(sample("offer-get.json"), coupon_id))
    assert offer["statusCode"] == 200


def test_customer_samples_claim_and_list_the_wallet():
    coupon_id = json.loads(invoke("coupons", sample("coupons-create.json"))["body"])["coupon_id"]
    claimed = invoke("claim", with_coupon(sample("claim-create.json"), coupon_id))
    assert claimed["statusCode"] == 201, claimed["body"]
    wallet = json.loads(invoke("claim", sample("wallet-list.json"))["body"])
    assert [c["claim_id"] for c in wallet["items"]] == [json.loads(claimed["body"])["claim_id"]]


def test_publisher_sample_puts_one_event(emulator, stack):
    assert invoke("publisher", sample("publisher-stream.json")) == {"batchItemFailures": []}
    events = published(emulator.url, stack.events_queue_url)
    assert [e["detail-type"] for e in events] == ["CouponCreated"]


def test_checkout_sample_quotes_the_claimed_coupon():
    coupon_id = json.loads(invoke("coupons", sample("coupons-create.json"))["body"])["coupon_id"]
    claimed = json.loads(invoke("claim", with_coupon(sample("claim-create.json"), coupon_id))["body"])
    quoted = invoke("redeem", sample("checkout-quote.json"))
    assert quoted["statusCode"] == 200, quoted["body"]
    applicable = json.loads(quoted["body"])["applicable"]
    # 10 off 100 on a cart of 200.00 + 12.00 shipping
    assert [(q["claim_id"], q["discount"], q["payable"]) for q in applicable] == [
        (claimed["claim_id"], 1000, 20200)
    ]


def test_till_and_gift_samples_redeem_and_give():
    body = json.loads(sample("coupons-create.json")["body"])
    giftable = sample("coupons-create.json")
    giftable["body"] = json.dumps({**body, "options": {"giftable": True}})
    coupon_id = json.loads(invoke("coupons", giftable)["body"])["coupon_id"]
    claimed = json.loads(invoke("claim", with_coupon(sample("claim-create.json"), coupon_id))["body"])
    # The gift sample, for the claimed coupon
    give = sample("gift-create.json")
    old = give["pathParameters"]["claimId"]
    give["pathParameters"]["claimId"] = claimed["claim_id"]
    give["path"] = give["path"].replace(old, claimed["claim_id"])
    created = invoke("gift", give)
    assert created["statusCode"] == 201, created["body"]
    # The till sample scanning a coupon: refused while the coupon is in a pending gift
    scan = sample("redemption-staff.json")
    scan["body"] = json.dumps({**json.loads(scan["body"]), "code": claimed["code"]})
    refused = invoke("redeem", scan)
    assert refused["statusCode"] == 409 and json.loads(refused["body"])["error"]["code"] == "in_pending_gift"
