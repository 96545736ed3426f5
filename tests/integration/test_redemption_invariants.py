"""Redemption invariants under many real threads against the serialized local store, with and without faults.

Each test checks the final state of the store, not only the answers.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from coupon_service import keys
from coupon_service.clock import SYSTEM
from coupon_service.events import VerificationUnderAttack, derive, event_id
from coupon_service.models.redemptions import SelfRedemption, StaffRedemption
from coupon_service.redemptions import Redemptions
from coupon_service.store.guards import AttemptGuard
from coupon_service.store.table import Table
from coupon_service.validity import to_iso
from coupon_service.wrong_codes import WRONG_CODES_PER_CUSTOMER

from devstack.emulator import WITH_LOST
from devstack.streams import StreamReader
from tests.builders import CART, SELF_SERVICE, claim, held, make_coupon, redemptions_of, stored_claim
from tests.support import FAULT_MODES, caller_for, concurrently, customer, inject, outcome, staff

pytestmark = [pytest.mark.usefixtures("stack"), pytest.mark.concurrency]


@pytest.fixture(params=list(FAULT_MODES))
def fault_rate(request, emulator):
    """clean; 15% of writes refused; or 15% refused and 15% applied with their answer lost."""
    inject(emulator, request.param)
    yield request.param
    emulator.faults.rate = 0.0


@pytest.fixture(params=[False, True], ids=["clean", "lost-answers"])
def lost_answers(request, emulator):
    """With a share of writes refused (conflicts, throttling) or applied with their answer lost."""
    if request.param:
        emulator.faults.set(0.15, WITH_LOST)
    yield request.param
    emulator.faults.set(0.0)


def staff_scan(code, order_id=None, order=CART):
    body = StaffRedemption(code=code, order_id=order_id, order=order)
    return outcome(lambda: Redemptions().by_staff(caller_for(staff("m1")), "m1", body))


def self_service(claim_id, code="246810", user="u1", order_id=None, order=CART, *, clock=SYSTEM):
    body = SelfRedemption(verification_code=code, order_id=order_id, order=order)
    return outcome(lambda: Redemptions(clock=clock).by_customer(caller_for(customer(user)), claim_id, body))


def guard_failures(key):
    """The attempts a guard counts (each by its attempt id)."""
    return len((Table().get(key) or {}).get("attempts") or {})


def test_fifty_concurrent_redemptions_mixed_staff_and_self_service_redeem_once(emulator, fault_rate):
    # Given one claimed coupon that staff may scan and its holder may redeem in store
    mine = held(options=SELF_SERVICE)

    # When 25 tills and 25 self-service presses, each for its own order, redeem it at once
    def redeem(i):
        if i % 2:
            return staff_scan(mine["code"], order_id=f"till-{i}")
        return self_service(mine["claim_id"], order_id=f"phone-{i}")

    answers = concurrently(redeem, 50, threads=50)
    emulator.faults.rate = 0.0

    # Then exactly one succeeds; the others are told it is used (or, past five presses at once, to wait)
    statuses = Counter(a.status for a in answers)
    assert statuses[201] == 1, statuses
    codes = Counter(a.json["error"]["code"] for a in answers if a.status != 201)
    assert set(codes) <= {"already_used", "too_many_attempts", "busy"}, codes
    # And the store holds one redemption, the one the claim points at
    won = next(a.json for a in answers if a.status == 201)
    stored = redemptions_of(mine["coupon_id"])
    assert [r["redemption_id"] for r in stored] == [won["redemption_id"]]
    assert stored_claim(mine["claim_id"])["redemption_id"] == won["redemption_id"]
    assert stored_claim(mine["claim_id"])["state"] == "used"
    if fault_rate != "clean":
        assert emulator.faults.injected > 0


def test_a_till_retrying_one_order_ten_times_at_once_gets_one_redemption(emulator, fault_rate):
    mine = held()
    answers = concurrently(lambda i: staff_scan(mine["code"], order_id="order-77"), 10, threads=10)
    emulator.faults.rate = 0.0
    assert {a.status for a in answers} == {201}, [a.json for a in answers if a.status != 201]
    assert len({a.json["redemption_id"] for a in answers}) == 1
    assert len(redemptions_of(mine["coupon_id"])) == 1


def test_forty_parallel_wrong_codes_count_five_and_lock_the_coupon(emulator, lost_answers):
    # Given a self-service coupon
    emulator.faults.rate, rate = 0.0, emulator.faults.rate
    mine = held(options=SELF_SERVICE)
    emulator.faults.rate = rate

    # When 40 wrong codes are tried at once (with some answers lost and the requests sent again)
    answers = concurrently(lambda i: self_service(mine["claim_id"], code=f"{900000 + i}"), 40, threads=40)
    if lost_answers:
        assert emulator.faults.by_kind["lost"] + emulator.faults.by_kind["timeout"] > 0
    emulator.faults.set(0.0)

    # Then no more than five were compared: four told how many tries are left, the rest locked out
    statuses = Counter(a.status for a in answers)
    assert statuses == {422: 4, 423: 36}, statuses
    assert sorted(a.json["error"]["details"]["tries_left"] for a in answers if a.status == 422) == [
        1,
        2,
        3,
        4,
    ]
    assert guard_failures(keys.redeem_guard(mine["claim_id"])) == 5
    assert guard_failures(keys.customer_guard("u1", "m1")) == 5
    # And the right code during the lock is refused, and the coupon is untouched
    right = self_service(mine["claim_id"])
    assert right.status == 423 and right.json["error"]["code"] == "too_many_attempts"
    assert stored_claim(mine["claim_id"])["state"] == "available"
    assert redemptions_of(mine["coupon_id"]) == []


def test_guesses_spread_over_ten_coupons_are_bounded_by_the_per_customer_limit(emulator, lost_answers):
    # Given one customer holding ten self-service coupons of one merchant
    emulator.faults.rate, rate = 0.0, emulator.faults.rate
    held_ids = [held(options=SELF_SERVICE)["claim_id"] for _ in range(11)]
    targets, spare = held_ids[:10], held_ids[10]
    emulator.faults.rate = rate

    # When five wrong codes are tried on each of ten coupons, all at once (with some answers lost)
    answers = concurrently(lambda i: self_service(targets[i % 10], code=f"{800000 + i}"), 50, threads=50)
    if lost_answers:
        assert emulator.faults.by_kind["lost"] + emulator.faults.by_kind["timeout"] > 0
    emulator.faults.set(0.0)

    # Then only ten guesses in all were compared and counted
    assert {a.status for a in answers} <= {422, 423}
    assert guard_failures(keys.customer_guard("u1", "m1")) == 10
    assert sum(guard_failures(keys.redeem_guard(c)) for c in targets) == 10
    assert sum(a.status == 422 for a in answers) <= 9
    # And even the right code on a coupon never tried is refused until the customer's lock ends
    blocked = self_service(spare)
    assert blocked.status == 423, blocked.json
    assert guard_failures(keys.redeem_guard(spare)) == 0
    assert all(stored_claim(c)["state"] == "available" for c in held_ids)


def test_thirty_attackers_on_one_coupon_raise_one_event_and_the_honest_customer_still_redeems(
    emulator, stack, lost_answers, clock
):
    # Given a moment one minute into a 10-minute window, so the attack falls in one window
    start = clock.now().replace(minute=clock.now().minute // 10 * 10, second=0)
    clock.set(start + timedelta(minutes=1))
    # And one self-service coupon held by 30 attacker accounts and by two honest customers
    emulator.faults.rate, rate = 0.0, emulator.faults.rate
    coupon = make_coupon(options=SELF_SERVICE)
    attackers = [f"a{i}" for i in range(30)]
    mine = {user: claim(coupon["coupon_id"], user=user).json["claim_id"] for user in [*attackers, "h1", "h2"]}
    emulator.faults.rate = rate  # the attempts below run with some answers lost, when so parametrised
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.drain()
    # And one honest customer who mistyped once, before the attack
    assert self_service(mine["h2"], code="111111", user="h2", clock=clock).status == 422

    # When each attacker tries two wrong codes, all 60 at once
    wave = concurrently(
        lambda i: self_service(
            mine[attackers[i % 30]], code=f"{700000 + i}", user=attackers[i % 30], clock=clock
        ),
        60,
        threads=30,
    )
    assert {a.status for a in wave} == {422}, Counter(a.status for a in wave)

    # Then the coupon is under attack: each attacker's next try waits, the honest customer's right code
    # (no wrong code of theirs) is compared at once and redeems, all at the same time
    def during(i):
        if i == 30:
            return self_service(mine["h1"], user="h1", order_id="honest", clock=clock)
        return self_service(mine[attackers[i]], code=f"{600000 + i}", user=attackers[i], clock=clock)

    second = concurrently(during, 31, threads=31)
    assert second[30].status == 201, second[30].json
    assert {a.status for a in second[:30]} == {429}, Counter(a.status for a in second[:30])
    assert all(a.json["error"]["code"] == "slowed_down" for a in second[:30])
    assert all(1 <= int(a.headers["retry-after"]) <= 60 for a in second[:30])
    # And the customer who mistyped before waits too, then is compared once the pace allows
    paced = self_service(mine["h2"], user="h2", clock=clock)
    assert paced.status == 429, paced.json
    clock.advance(timedelta(seconds=61))
    assert self_service(mine["h2"], user="h2", clock=clock).status == 201

    if lost_answers:
        assert emulator.faults.by_kind["lost"] + emulator.faults.by_kind["timeout"] > 0
    emulator.faults.set(0.0)
    # And the counters never passed what was tried: two per attacker's coupon and account, 50 on the coupon
    assert all(guard_failures(keys.redeem_guard(mine[a])) == 2 for a in attackers)
    assert all(guard_failures(keys.customer_guard(a, "m1")) == 2 for a in attackers)
    watch = Table().get(keys.coupon_guard(coupon["coupon_id"]))
    assert len(watch["wrong"]) == 50 and set(watch["wrong"].values()) <= {*attackers, "h2"}
    # And the outbox raised exactly one VerificationUnderAttack, naming the coupon and no code
    raised = [e for r in reader.drain() for e in derive(r) if isinstance(e, VerificationUnderAttack)]
    assert len(raised) == 1, raised
    event = raised[0]
    assert (event.coupon_id, event.merchant_id, event.wrong_codes) == (coupon["coupon_id"], "m1", 50)
    assert event.event_id == event_id(
        "VerificationUnderAttack", f"{coupon['coupon_id']}|{event.window_start}"
    )
    words = set(re.findall(r"[0-9A-Za-z]+", event.model_dump_json()))
    tried = {
        "246810",
        "111111",
        *(str(c) for c in range(600000, 600030)),
        *(str(c) for c in range(700000, 700060)),
    }
    assert not words & tried


def test_a_lost_answer_counts_an_attempt_once_and_a_give_back_applied_twice_takes_one_back():
    # Given a customer's counter with two attempts counted
    guard = AttemptGuard(Table(), keys.customer_guard("u9", "m1"), WRONG_CODES_PER_CUSTOMER, "your coupons")
    now = to_iso(SYSTEM.now())
    assert (guard.reserve("first", now), guard.reserve("second", now)) == (1, 2)
    # When a reservation is sent again after its answer was lost, Then it is recognised as already counted
    assert guard.reserve("second", now) == 2
    # When a give-back is applied twice (a retried transaction, then a release), Then one attempt goes
    guard.give_back("second")
    guard.give_back("second")
    guard.release("second")
    assert guard_failures(keys.customer_guard("u9", "m1")) == 1
    # And the next attempt is counted as the second, not the first
    assert guard.reserve("third", now) == 2


def test_an_attempt_whose_answer_is_lost_is_told_its_own_place_not_the_count_grown_since(emulator):
    # Given a coupon's counter, and a first wrong code whose counted write loses its answer for a while
    guard = AttemptGuard(Table(), keys.redeem_guard("claim-held"), 5, "this coupon")
    now = to_iso(SYSTEM.now())
    emulator.faults.set(1.0, ("timeout",), hold=1.5, operations=frozenset({"UpdateItem"}), limit=1)
    first = ThreadPoolExecutor(1).submit(guard.reserve, "first", now)
    while not emulator.faults.injected:
        time.sleep(0.01)
    # When three more are counted meanwhile, and the first is sent again
    later = [guard.reserve(f"later-{i}", now) for i in range(3)]
    # Then the first is told it was the first (four tries left), not the fourth
    assert (first.result(timeout=30), later) == (1, [2, 3, 4])
    assert emulator.faults.by_kind["timeout"] == 1
    assert guard_failures(keys.redeem_guard("claim-held")) == 4


def test_concurrent_reversals_reverse_once(emulator, fault_rate):
    mine = held()
    redemption = staff_scan(mine["code"], order_id="refund-me").json
    answers = concurrently(
        lambda i: outcome(lambda: Redemptions().reverse("m1", redemption["redemption_id"])), 12, threads=12
    )
    emulator.faults.rate = 0.0
    assert {a.status for a in answers} == {201}, [a.json for a in answers]
    assert len({a.json["reversed_at"] for a in answers}) == 1
    stored = stored_claim(mine["claim_id"])
    assert stored["state"] == "available" and stored["reversals"] == 1
    assert Table().get(keys.redemption(redemption["redemption_id"]))["usable_again"] is True
    # And it can be redeemed exactly once more, with its new code (the one seen at the till is retired)
    assert stored["code"] != mine["code"] and len(stored["retired_codes"]) == 1
    again = concurrently(lambda i: staff_scan(stored["code"], order_id=f"new-{i}"), 10, threads=10)
    assert Counter(a.status for a in again)[201] == 1
    assert len(redemptions_of(mine["coupon_id"])) == 2
