"""POST /checkout/quote: the wallet's coupons that fit a cart, best first, and why the others do not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from coupon_service import keys
from coupon_service.store.table import Table, values

from tests.builders import held
from tests.support import call, customer

pytestmark = pytest.mark.usefixtures("stack")

ORDER = {
    "merchant_id": "m1",
    "currency": "CNY",
    "lines": [
        {"sku": "tea-1", "category": "tea", "unit_price": 6000, "quantity": 2},
        {"sku": "cup-1", "category": "cups", "unit_price": 8000, "quantity": 1},
    ],
    "shipping_fee": 1200,
}


def _held(**overrides):
    return held("buyer", **overrides)["claim_id"]


def _set(claim_id, **attributes):
    names = {f"#a{i}": k for i, k in enumerate(attributes)}
    Table().update(
        keys.claim(claim_id),
        UpdateExpression="SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(attributes))),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values(**{f"a{i}": v for i, v in enumerate(attributes.values())}),
    )


def test_the_quote_lists_what_applies_best_first_and_why_the_rest_does_not(clock):
    # Given a wallet with two coupons that fit, one below its minimum, one used, one expired, one in a gift
    ten_off = _held(terms={"kind": "cash_value", "amount_off": 1000, "min_spend": 10000})
    twenty_percent = _held(terms={"kind": "discount", "percent_off": 20})
    big_minimum = _held(terms={"kind": "cash_value", "amount_off": 5000, "min_spend": 50000})
    used = _held(terms={"kind": "cash_value", "amount_off": 3000, "min_spend": 10000})
    _set(used, state="used")
    gifting = _held(terms={"kind": "cash_value", "amount_off": 2000})
    future = clock.now() + timedelta(hours=12)
    _set(gifting, state="gifting", gift_expires_at=future.strftime("%Y-%m-%dT%H:%M:%SZ"))
    clock.advance(-timedelta(hours=3))  # claimed three hours ago
    expired = _held(terms={"kind": "cash_value", "amount_off": 4000}, validity={"type": "hours", "hours": 1})
    clock.advance(timedelta(hours=3))

    # When the customer asks which coupons fit a cart of 200.00 plus 12.00 shipping
    reply = call("POST", "/checkout/quote", claims=customer("buyer"), body={"order": ORDER})

    # Then the two that fit come best first, with their savings and line allocations
    assert reply.status == 200, reply.json
    quote = reply.json
    assert quote["stacking"]["max_stacked_coupons"] is None  # no coupon that stacks: one per order
    assert quote["best"]["claim_ids"] == [twenty_percent] and quote["best"]["discount"] == 4000
    assert [(q["claim_id"], q["discount"]) for q in quote["applicable"]] == [
        (twenty_percent, 4000),
        (ten_off, 1000),
    ]
    best = quote["applicable"][0]
    assert sum(a["amount"] for a in best["allocations"]) == 4000 and best["payable"] == 21200 - 4000
    # And every other coupon is listed with its reason
    reasons = {q["claim_id"]: q["reason"] for q in quote["not_applicable"]}
    assert reasons == {
        big_minimum: "below_min_spend",
        used: "used",
        expired: "expired",
        gifting: "in_pending_gift",
    }
    below = next(q for q in quote["not_applicable"] if q["claim_id"] == big_minimum)
    assert below["details"]["short_by"] == 50000 - 20000


def test_another_customers_wallet_is_never_quoted():
    _held(terms={"kind": "discount", "percent_off": 20})
    reply = call("POST", "/checkout/quote", claims=customer("someone-else"), body={"order": ORDER})
    assert reply.status == 200 and reply.json["applicable"] == reply.json["not_applicable"] == []


def test_a_bad_order_is_a_422_naming_the_field():
    bad = {"order": {**ORDER, "lines": [{"sku": "x", "unit_price": -1, "quantity": 1}]}}
    reply = call("POST", "/checkout/quote", claims=customer("buyer"), body=bad)
    assert reply.status == 422 and "unit_price" in reply.json["error"]["field"]


def test_a_wallet_larger_than_one_query_page_is_read_whole_in_one_request_per_page(dynamodb_requests):
    # Given a wallet of 2,000 coupons, seeded with BatchWriteItem: about 1.6 MB, more than one 1 MB page
    held = _held(terms={"kind": "cash_value", "amount_off": 1000, "min_spend": 10000})
    table = Table()
    original = table.get(keys.claim(held))
    clones = [
        {
            **original,
            **keys.claim(f"clone{i:05d}"),
            "claim_id": f"clone{i:05d}",
            "GSI1SK": f"{original['valid_until']}#clone{i:05d}",
        }
        for i in range(2000)
    ]
    table.batch_write(clones)
    # When the customer asks for a quote
    dynamodb_requests.reset()
    reply = call("POST", "/checkout/quote", claims=customer("buyer"), body={"order": ORDER})
    # Then every coupon is quoted, from one Query per 1 MB page of the wallet index and nothing else
    assert reply.status == 200, reply.json
    assert len(reply.json["applicable"]) == 2001 and reply.json["not_applicable"] == []
    assert dict(dynamodb_requests.calls) == {"Query": 2}
