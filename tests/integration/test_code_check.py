"""Checking a code at the till without redeeming it (POST /redemptions/validation): the same decision as
the redemption, nothing written for a good code, every guess counted against the same unknown-code budget as
scans; and the redemption path reads nothing more for store lists and time frames."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from coupon_service import keys
from coupon_service.identity import caller_from_event
from coupon_service.lookup_budget import UNKNOWN_CODES
from coupon_service.models.redemptions import StaffRedemption
from coupon_service.redemptions import Redemptions
from coupon_service.store.table import Table

from tests.builders import CART, SELF_SERVICE, claim, make_coupon, make_store, redeem_myself, table_snapshot
from tests.support import call, concurrently, customer, outcome, staff

pytestmark = pytest.mark.usefixtures("stack")

MONDAY_NOON = datetime(2030, 1, 7, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
LUNCH = [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "11:00", "end": "14:00"}]
UNKNOWN = [f"NOSUCHCODE{i:04d}" for i in range(200)]  # imported-code shaped, never issued


def held_code(user="u1", **overrides):
    coupon = make_coupon(**overrides)
    reply = claim(coupon["coupon_id"], user=user)
    assert reply.status == 201, reply.json
    return reply.json


def check(code, user="till", store=None, **body):
    return call(
        "POST",
        "/redemptions/validation",
        claims=staff("m1", user=user, store=store),
        body={"code": code, **body},
    )


def scan(code, user="till", store=None, **body):
    return call(
        "POST", "/redemptions", claims=staff("m1", user=user, store=store), body={"code": code, **body}
    )


def test_a_check_answers_what_the_redemption_then_records_and_changes_nothing(clock):
    # Given a coupon valid at store A at lunch, held by a customer, and a till at A at lunch time
    clock.set(MONDAY_NOON)
    make_store("A")
    held = held_code(stores=["A"], time_frames=LUNCH)
    before = table_snapshot()
    # When the till checks the code for an order
    checked = check(held["code"], store="A", order_id="o-1", order=CART)
    # Then it answers the amounts and allocation, and the table is exactly as it was
    assert checked.status == 200, checked.json
    assert checked.json["valid"] is True
    assert checked.json["discount"] == 1000
    assert table_snapshot() == before
    # And the redemption that follows records exactly that
    done = scan(held["code"], store="A", order_id="o-1", order=CART)
    assert done.status == 201, done.json
    assert {k: v for k, v in checked.json.items() if k != "valid"} == done.json


def test_without_an_order_id_a_check_names_no_redemption_id():
    held = held_code()
    checked = check(held["code"], order=CART)
    assert checked.status == 200, checked.json
    assert checked.json["redemption_id"] is None
    assert checked.json["store_id"] is None


@pytest.mark.parametrize(
    ("setup", "body", "code"),
    [
        ("stores", {"order": CART}, "not_valid_at_store"),
        ("frames", {"order": CART}, "outside_time_frame"),
        (
            "plain",
            {"order": {**CART, "lines": [{"sku": "tea", "unit_price": 100, "quantity": 1}]}},
            "below_min_spend",
        ),
        ("plain", {}, "order_required"),
        ("budget", {"order": CART}, "budget_exhausted"),  # 500 left of the budget, 1000 off
    ],
)
def test_a_check_refuses_as_the_redemption_would_and_changes_nothing_it_should_not(setup, body, code, clock):
    clock.set(MONDAY_NOON + timedelta(hours=3))  # 15:00 in Shanghai: after lunch
    make_store("A")
    make_store("B")
    overrides = {
        "stores": {"stores": ["B"]},
        "frames": {"time_frames": LUNCH},
        "plain": {},
        "budget": {"options": {"budget": 500}},
    }[setup]
    held = held_code(**overrides)
    before = table_snapshot()
    checked = check(held["code"], store="A", **body)
    state_refusal = code in ("not_valid_at_store", "outside_time_frame")
    # A refusal for the order changes nothing; a store or hour refusal tells the code exists: its lookup
    # stays counted, as a scan's does
    if not state_refusal:
        assert table_snapshot() == before
    scanned = scan(held["code"], store="A", **body)
    # The same status and error as the redemption's
    assert checked.status == scanned.status, (checked.json, scanned.json)
    assert checked.json == scanned.json
    assert checked.json["error"]["code"] == code
    budget = Table().get(keys.lookup_budget("till", "m1"))
    assert len(budget["lookups"]) == (2 if state_refusal else 0)


def test_checks_spend_the_same_unknown_code_budget_as_scans():
    # Given a till that scanned half its budget of unknown codes
    half = UNKNOWN_CODES // 2
    for code in UNKNOWN[:half]:
        assert scan(code).status == 404
    # When it checks unknown codes
    for code in UNKNOWN[half:UNKNOWN_CODES]:
        reply = check(code)
        assert reply.status == 404, reply.json
        assert reply.json["error"]["code"] == "unknown_code"
    # Then the budget is spent for checks and scans alike, known codes too
    known = held_code()
    for reply in (check(UNKNOWN[-1]), scan(UNKNOWN[-1]), check(known["code"], order=CART)):
        assert reply.status == 429, reply.json
        assert reply.json["error"]["code"] == "too_many_unknown_codes"
    assert Table().get(keys.lookup_budget("till", "m1"))["locked_at"]
    # And another till is not affected
    assert check(known["code"], user="other-till", order=CART).status == 200


def test_parallel_guessing_checks_get_exactly_the_budgets_answers():
    caller = caller_from_event({"requestContext": {"authorizer": {"claims": staff("m1", user="guesser")}}})
    answers = concurrently(
        lambda i: outcome(lambda: Redemptions().check(caller, "m1", StaffRedemption(code=UNKNOWN[i]))), 60, 16
    )
    statuses = sorted(a.status for a in answers)
    assert statuses.count(404) == UNKNOWN_CODES
    assert statuses.count(429) == 60 - UNKNOWN_CODES
    assert len(Table().get(keys.lookup_budget("guesser", "m1"))["lookups"]) == UNKNOWN_CODES


def test_customers_cannot_check_codes():
    held = held_code()
    assert (
        call("POST", "/redemptions/validation", claims=customer("u1"), body={"code": held["code"]}).status
        == 403
    )


def test_store_lists_and_time_frames_add_no_request_to_a_redemption(dynamodb_requests, clock):
    # Given two held coupons alike but for a store list and time frames, at lunch time at store A
    clock.set(MONDAY_NOON)
    make_store("A")
    plain = held_code(user="u1", options=SELF_SERVICE)
    limited = held_code(user="u2", options=SELF_SERVICE, stores=["A"], time_frames=LUNCH)
    plain_scan = held_code(user="u3")
    limited_scan = held_code(user="u4", stores=["A"], time_frames=LUNCH)
    counts = []
    for redeem in (
        lambda: scan(plain_scan["code"], user="till-p", store="A", order=CART, order_id="p"),
        lambda: scan(limited_scan["code"], user="till-l", store="A", order=CART, order_id="l"),
        lambda: redeem_myself(plain["claim_id"], "u1", verification_code="246810", order=CART, store_id="A"),
        lambda: redeem_myself(
            limited["claim_id"], "u2", verification_code="246810", order=CART, store_id="A"
        ),
    ):
        dynamodb_requests.reset()
        assert redeem().status == 201
        counts.append(dict(dynamodb_requests.calls))
    # Then each redemption makes the same requests with or without them
    assert counts[0] == counts[1] == {"UpdateItem": 1, "Query": 1, "TransactWriteItems": 1}
    assert counts[2] == counts[3]
    # And a good code's check is one read of the budget and one of the code index
    dynamodb_requests.reset()
    other = held_code(user="u5", stores=["A"], time_frames=LUNCH)
    dynamodb_requests.reset()
    assert check(other["code"], store="A", order=CART).status == 200
    assert dict(dynamodb_requests.calls) == {"GetItem": 1, "Query": 1}
