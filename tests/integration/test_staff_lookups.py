"""Staff code lookups: a till cannot tell a used code from an unknown one, nor guess codes without limit."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest
from coupon_service import keys
from coupon_service.codes import new_system_code
from coupon_service.lookup_budget import UNKNOWN_CODES
from coupon_service.models.redemptions import StaffRedemption
from coupon_service.redemptions import Redemptions
from coupon_service.store.table import Table

from devstack.emulator import WITH_LOST
from devstack.streams import StreamReader, published
from tests.builders import CART, SELF_SERVICE, claim, held, make_coupon, redeem_myself, scan
from tests.support import call, caller_for, concurrently, invoke, outcome, staff

pytestmark = pytest.mark.usefixtures("stack")


def scan_as(user, code, merchant_id="m1", **body):
    return call("POST", "/redemptions", claims=staff(merchant_id, user=user), body={"code": code, **body})


def lookup_now(user, code, merchant_id="m1"):
    """One staff scan through the layer, as the redeem function's route calls it."""
    caller = caller_for(staff(merchant_id, user=user))
    body = StaffRedemption(code=code, order={**CART, "merchant_id": merchant_id})  # meets the minimum spend
    return outcome(lambda: Redemptions().by_staff(caller, merchant_id, body))


def budget_of(user, merchant_id="m1"):
    return Table().get(keys.lookup_budget(user, merchant_id)) or {}


def counted(user, merchant_id="m1"):
    """The unknown codes the store counts against this staff member in the current window."""
    return len(budget_of(user, merchant_id).get("lookups") or {})


def test_a_used_code_is_unknown_to_every_till_but_the_one_that_redeemed_it():
    # Given a coupon redeemed by one staff member for an order
    mine = held()
    first = scan_as("alice", mine["code"], order_id="o-1", order=CART)
    assert first.status == 201
    # Then another staff member gets for it exactly what a code never issued gets
    unknown = scan_as("bob", new_system_code())
    used = scan_as("bob", mine["code"], order_id="o-1", order=CART)
    assert unknown.status == 404 and (used.status, used.json) == (unknown.status, unknown.json)
    # And the one who redeemed it gets their redemption back for the same order, "already used" otherwise
    retry = scan_as("alice", mine["code"], order_id="o-1", order=CART)
    assert retry.status == 201 and retry.json == first.json
    again = scan_as("alice", mine["code"], order_id="o-2")
    assert again.status == 409 and again.json["error"]["code"] == "already_used"
    # And a coupon the customer redeemed themselves is unknown to the till
    pressed = held(user="u2", options=SELF_SERVICE)
    assert redeem_myself(pressed["claim_id"], user="u2", verification_code="246810", order=CART).status == 201
    assert scan_as("alice", pressed["code"]).json == unknown.json
    # And the used codes count against bob's budget as unknown codes do; alice's own scans gave theirs back
    assert counted("bob") == 2 and counted("alice") == 1


@pytest.mark.concurrency
@pytest.mark.parametrize("faults", [False, True], ids=["clean", "lost-answers"])
def test_a_hundred_parallel_guesses_make_thirty_lookups_and_name_the_guesser_once(
    emulator, stack, faults, dynamodb_requests
):
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.poll()
    guesses = [new_system_code() for _ in range(100)]
    dynamodb_requests.reset()
    # When one staff member sends 100 unknown codes at once (with a share of writes refused, or applied
    # with their answer lost)
    emulator.faults.set(0.15 if faults else 0.0, WITH_LOST)
    answers = concurrently(lambda i: lookup_now("mallory", guesses[i]), 100, threads=32)
    lost = emulator.faults.by_kind["lost"] + emulator.faults.by_kind["timeout"]
    emulator.faults.set(0.0)
    assert lost > 0 or not faults
    # Then exactly 30 are looked up (two index queries each: the merchant's codes, the platform's), and
    # every other is refused before any lookup, with when to come back. Under faults a request may also
    # be a 503 `busy` once its retries are out of time: counted or not, never a lookup past the budget.
    statuses = Counter(a.status for a in answers)
    if faults:
        assert set(statuses) <= {404, 429, 503} and statuses[404] + statuses[503] >= UNKNOWN_CODES, statuses
        assert statuses[404] > 0 and statuses[429] > 0
    else:
        assert statuses == {404: UNKNOWN_CODES, 429: 100 - UNKNOWN_CODES}, statuses
    assert dynamodb_requests.calls["Query"] == 2 * statuses[404] <= 2 * UNKNOWN_CODES
    refused = [a for a in answers if a.status == 429]
    assert {a.json["error"]["code"] for a in refused} == {"too_many_unknown_codes"}
    assert all(0 < int(a.headers["retry-after"]) <= 300 for a in refused)
    # And the store counts exactly the budget, with the moment it was spent
    budget = budget_of("mallory")
    assert len(budget["lookups"]) == UNKNOWN_CODES and budget["locked_at"]
    # And another staff member of the same merchant is not affected
    mine = held()
    assert lookup_now("bob", new_system_code()).status == 404
    assert lookup_now("bob", mine["code"]).status == 201
    # And while locked the staff member gets 429 for a known code too: a refusal must not mean "unknown"
    other = claim(make_coupon()["coupon_id"], user="u7").json
    assert lookup_now("mallory", other["code"]).status == 429
    # And the outbox publishes one event naming the staff member and merchant, no code
    assert invoke("publisher", {"Records": reader.poll()}) == {"batchItemFailures": []}
    events = [e for e in published(emulator.url, stack.events_queue_url)]
    suspected = [e["detail"] for e in events if e["detail-type"] == "CodeGuessingSuspected"]
    assert len(suspected) == 1, suspected
    assert (suspected[0]["staff_id"], suspected[0]["merchant_id"]) == ("mallory", "m1")
    assert suspected[0]["unknown_codes"] == UNKNOWN_CODES
    text = json.dumps(events)
    assert not [code for code in [*guesses, other["code"], mine["code"]] if code in text]


def test_honest_work_passes_and_the_lock_ends_with_its_window(clock):
    # Given a busy till: 40 coupons scanned, some refused for their own reasons, 29 codes mistyped
    coupon = make_coupon(codes={"mode": "random_on_claim", "inventory": 100})
    known = [claim(coupon["coupon_id"], user=f"c{i}").json["code"] for i in range(40)]
    short = {**CART, "lines": [{"sku": "tea", "unit_price": 100, "quantity": 1}]}
    assert scan(known[0], order=short).status == 422  # the order misses the terms
    for code in known:
        assert scan(code).status == 201
    assert scan(known[1], order_id="again").status == 409  # used, by this very till
    for _ in range(UNKNOWN_CODES - 1):
        assert scan(new_system_code()).status == 404
    # Then nothing was refused: known codes cost nothing, and the unknown ones are within the budget
    assert counted("staff-m1") == UNKNOWN_CODES - 1
    # When one more unknown code spends the budget
    assert scan(new_system_code()).status == 404
    locked = scan(new_system_code())
    assert locked.status == 429 and 0 < int(locked.headers["retry-after"]) <= 300
    assert locked.json["error"]["field"] == "code" and locked.json["error"]["details"]["retry_at"]
    # Then after the window the till works again, with a fresh budget
    clock.set(clock.now() + timedelta(minutes=5, seconds=1))
    assert scan(new_system_code()).status == 404
    assert counted("staff-m1") == 1 and "locked_at" not in budget_of("staff-m1")


def test_a_code_that_exists_but_cannot_be_used_now_costs_the_lookup_as_an_unknown_one():
    # Given a coupon that only starts tomorrow, and one refused for the order's terms
    later = held(validity={"type": "relative_days", "starts_after_days": 1, "days": 3})
    now_usable = held(user="u2")
    short = {**CART, "lines": [{"sku": "tea", "unit_price": 100, "quantity": 1}]}
    # When a till scans both
    not_yet = scan_as("eve", later["code"], order=CART)
    unmet = scan_as("eve", now_usable["code"], order=short)
    # Then the existing-but-unusable code is counted against the budget as a guess would be (a guesser
    # learns it exists), while a refusal for the order's terms is honest work and costs nothing
    assert not_yet.status == 409 and not_yet.json["error"]["code"] == "not_started"
    assert unmet.status == 422
    assert counted("eve") == 1
