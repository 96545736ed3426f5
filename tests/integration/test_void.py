"""A merchant voids one customer's coupon: out of use for good (till, self-service, gifts, reminders), one
`CouponVoided` event, another merchant's a 404; and a void racing redemptions and accepts leaves the store
consistent with exactly one outcome per coupon, clean, with faults and with lost answers."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from coupon_service import events, keys
from coupon_service.gifts import Gifts, gift_id_for
from coupon_service.models.redemptions import SelfRedemption, StaffRedemption
from coupon_service.redemptions import Redemptions
from coupon_service.reminders import Reminders
from coupon_service.store.table import Table
from coupon_service.voiding import Voiding

from devstack.streams import StreamReader
from tests.builders import (
    CART,
    GIFTABLE,
    accept,
    claim,
    give,
    make_coupon,
    redeem_myself,
    redemptions_of,
    scan,
    stored_claim,
)
from tests.support import (
    FAULT_MODES,
    call,
    caller_for,
    concurrently,
    coupon_body,
    customer,
    inject,
    merchant,
    outcome,
    platform,
    staff,
)

pytestmark = pytest.mark.usefixtures("stack")
T0 = datetime(2030, 3, 1, 0, 0, tzinfo=UTC)
OPTIONS = {**GIFTABLE, "reminder": {"hours_before_expiry": 12, "message": "use it"}}
WINDOW = {"start": "2029-01-01T00:00:00Z", "end": "2031-01-01T00:00:00Z"}


def void(coupon_id, claim_id, reason="sold on a resale site", who=None):
    return call(
        "POST",
        f"/coupons/{coupon_id}/claims/{claim_id}/void",
        claims=who or merchant("m1"),
        body={"reason": reason},
    )


def voided_events(records):
    return [e for r in records for e in events.derive(r) if isinstance(e, events.CouponVoided)]


def quote_reason(user, claim_id):
    quote = call("POST", "/checkout/quote", claims=customer(user), body={"order": CART}).json
    return next(q["reason"] for q in quote["not_applicable"] if q["claim_id"] == claim_id)


@pytest.fixture
def frozen(clock):
    clock.set(T0)
    return clock


def test_a_voided_coupon_is_out_of_use_for_good_with_one_event(emulator, stack, frozen):
    # Given a customer holding a giftable, self-service coupon with a reminder due in 8 hours
    coupon = make_coupon(validity={"type": "hours", "hours": 20}, claim_window=WINDOW, options=OPTIONS)
    mine = claim(coupon["coupon_id"]).json
    assert "GSI3PK" in stored_claim(mine["claim_id"])
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.drain()

    # When its merchant voids it, and then again (another reason: the first void stands)
    first = void(coupon["coupon_id"], mine["claim_id"])
    again = void(coupon["coupon_id"], mine["claim_id"], reason="another reason")

    # Then both answer the same void, without the code
    assert first.status == again.status == 200, first.json
    assert first.json == again.json
    assert first.json["status"] == "void" and first.json["void_reason"] == "sold on a resale site"
    assert first.json["customer_id"] == "u1" and mine["code"] not in first.raw.decode()
    # And it left the reminder index in the same write; the reminder run never reminds it
    stored = stored_claim(mine["claim_id"])
    assert stored["state"] == "void" and "GSI3PK" not in stored and "GSI3SK" not in stored
    assert Reminders().run(T0 + timedelta(hours=9)).reminded == 0
    # And it cannot be redeemed at the till or in the store, given, or quoted: the lifecycle's code
    at_till = scan(mine["code"])
    in_store = redeem_myself(mine["claim_id"], verification_code="246810", order=CART)
    given = give(mine["claim_id"], user="u1")
    for refused in (at_till, in_store, given):
        assert refused.status == 409 and refused.json["error"]["code"] == "voided", refused.json
    assert quote_reason("u1", mine["claim_id"]) == "voided"
    assert stored_claim(mine["claim_id"])["state"] == "void" and redemptions_of(coupon["coupon_id"]) == []
    # And the holder's wallet lists it under `void` with the reason, not under available
    listed = call("GET", "/me/coupons", claims=customer("u1"), query={"status": "void"}).json["items"]
    assert [(c["claim_id"], c["status"], c["void_reason"]) for c in listed] == [
        (mine["claim_id"], "void", "sold on a resale site")
    ]
    available = call("GET", "/me/coupons", claims=customer("u1"), query={"status": "available"}).json
    assert available["items"] == []
    # And exactly one CouponVoided came of it, carrying no code; a redelivery gives the same event id
    records = reader.drain()
    found = voided_events(records)
    assert len(found) == 1
    assert (found[0].claim_id, found[0].customer_id, found[0].reason) == (
        mine["claim_id"],
        "u1",
        first.json["void_reason"],
    )
    assert mine["code"] not in found[0].model_dump_json()
    assert [e.event_id for e in voided_events(records)] == [found[0].event_id]


def test_voiding_a_coupon_in_a_pending_gift_cancels_the_gift_and_the_friend_is_refused(frozen):
    coupon = make_coupon(options=GIFTABLE)
    mine = claim(coupon["coupon_id"], user="giver").json
    token = give(mine["claim_id"]).json["token"]

    assert void(coupon["coupon_id"], mine["claim_id"]).status == 200

    accepted = accept(token)
    assert accepted.status == 409 and accepted.json["error"]["code"] == "voided"
    assert "reason" not in accepted.json["error"].get("details", {})  # the reason is the holder's
    gift = Table().get(keys.gift(gift_id_for(token)))
    assert (gift["state"], gift["cancelled_by"]) == ("cancelled", "void") and "GSI3PK" not in gift
    assert call("GET", f"/gifts/{token}").json["state"] == "cancelled"
    stored = stored_claim(mine["claim_id"])
    assert (stored["owner_id"], stored["state"]) == ("giver", "void") and "gift_id" not in stored
    wallet = call("GET", "/me/coupons", claims=customer("friend")).json["items"]
    assert wallet == []


def test_what_cannot_be_voided_and_who_cannot_void(clock):
    coupon = make_coupon()
    other = make_coupon(title="another")
    mine = claim(coupon["coupon_id"]).json
    path_id = (coupon["coupon_id"], mine["claim_id"])
    # Another merchant, a claim of another coupon and a made-up claim: the same 404
    made_up = void(coupon["coupon_id"], "0" * 32)
    assert made_up.status == 404
    for reply in (void(*path_id, who=merchant("m2")), void(other["coupon_id"], mine["claim_id"])):
        assert reply.status == 404 and reply.json == made_up.json
    # Staff and customers are not merchants; the platform does not own a merchant's coupon
    assert void(*path_id, who=staff("m1")).status == 403
    assert void(*path_id, who=customer("u1")).status == 403
    assert void(*path_id, who=platform()).status == 404
    # A body without a reason, an empty one, or with an unknown field: 422 naming the field
    url = f"/coupons/{coupon['coupon_id']}/claims/{mine['claim_id']}/void"
    for body, field in (({}, "reason"), ({"reason": ""}, "reason"), ({"reason": "x", "why": 1}, "why")):
        reply = call("POST", url, claims=merchant("m1"), body=body)
        assert reply.status == 422 and field in reply.json["error"]["field"], reply.json
    assert stored_claim(mine["claim_id"])["state"] == "available"
    # A used coupon is reversed, not voided; an expired one is refused as expired
    assert scan(mine["code"]).status == 201
    used = void(*path_id)
    assert used.status == 409 and used.json["error"]["code"] == "already_used"
    late = claim(coupon["coupon_id"], user="u2").json
    clock.set(datetime.fromisoformat(late["valid_until"]) + timedelta(seconds=1))
    expired = void(coupon["coupon_id"], late["claim_id"])
    assert expired.status == 409 and expired.json["error"]["code"] == "expired"


def test_the_platform_voids_its_own_coupons_and_the_merchants_it_lists_cannot():
    body = coupon_body(merchants=["m1", "m2"])
    coupon = call("POST", "/coupons", claims=platform(), body=body).json
    mine = claim(coupon["coupon_id"]).json
    assert void(coupon["coupon_id"], mine["claim_id"], who=merchant("m1")).status == 404
    assert void(coupon["coupon_id"], mine["claim_id"], who=platform()).status == 200
    assert stored_claim(mine["claim_id"])["state"] == "void"


# --- racing ------------------------------------------------------------------------------------------


@pytest.fixture(params=list(FAULT_MODES))
def faults(request, emulator):
    """clean; 15% of writes refused; or 15% refused and 15% applied with their answer lost (the test
    switches them on once its coupons are held)."""
    yield request.param
    emulator.faults.set(0.0)


def _void_now(coupon_id, claim_id):
    """The void through the layer (`outcome` answers any success as 201)."""
    return outcome(lambda: Voiding().void("m1", coupon_id, claim_id, reason="race", by="m1-user"))


def _scan_now(code, order_id):
    body = StaffRedemption(code=code, order_id=order_id, order=CART)
    return outcome(lambda: Redemptions().by_staff(caller_for(staff("m1")), "m1", body))


def test_a_void_racing_a_till_and_self_service_leaves_exactly_one_outcome(emulator, stack, faults):
    # Given ten customers holding a coupon each
    coupon = make_coupon(options=GIFTABLE)
    held = [claim(coupon["coupon_id"], user=f"u{i}").json for i in range(10)]
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.drain()
    inject(emulator, faults)

    # When for each, its merchant voids it while a till scans it and its holder redeems it in the store,
    # all at once
    def work(i):
        mine = held[i // 3]
        if i % 3 == 0:  # later and later, so that some redemptions commit first
            time.sleep(0.1 * (i // 3))
            return _void_now(coupon["coupon_id"], mine["claim_id"])
        if i % 3 == 1:
            return _scan_now(mine["code"], order_id=f"order-{i}")
        body = SelfRedemption(verification_code="246810", order_id=f"phone-{i}", order=CART)
        holder = caller_for(customer(f"u{i // 3}"))
        return outcome(lambda: Redemptions().by_customer(holder, mine["claim_id"], body))

    answers = concurrently(work, 30, threads=30)
    injected = emulator.faults.injected
    emulator.faults.set(0.0)

    # Then each coupon is either voided (no redemption) or used by exactly one redemption, never both,
    # and every answer given agrees with the store (a 503 is an unknown outcome, decided by the store)
    redeemed = {r["claim_id"]: r for r in redemptions_of(coupon["coupon_id"])}
    assert len(redemptions_of(coupon["coupon_id"])) == len(redeemed)
    outcomes = Counter()
    for n, mine in enumerate(held):
        voiding, scans = answers[3 * n], answers[3 * n + 1 : 3 * n + 3]
        stored = stored_claim(mine["claim_id"])
        assert stored["state"] in ("void", "used")
        outcomes[stored["state"]] += 1
        wins = [s for s in scans if s.status == 201]
        if stored["state"] == "void":
            assert mine["claim_id"] not in redeemed and not wins and voiding.status in (201, 503)
            assert {s.json["error"]["code"] for s in scans} <= {"voided", "busy"}, [s.json for s in scans]
        else:
            assert redeemed[mine["claim_id"]]["redemption_id"] == stored["redemption_id"]
            assert voiding.status in (409, 503) and len(wins) <= 1
            assert voiding.status == 503 or voiding.json["error"]["code"] == "already_used"
        # A retry of the void answers what the store holds
        retry = _void_now(coupon["coupon_id"], mine["claim_id"])
        assert retry.status == (201 if stored["state"] == "void" else 409)
    # And one CouponVoided per voided coupon, whatever was retried
    assert len(voided_events(reader.drain())) == outcomes["void"]
    assert (injected > 0) == (faults != "clean")


def test_a_void_racing_a_friends_accept_never_leaves_a_usable_or_half_moved_coupon(emulator, stack, faults):
    # Given ten givers, each with a coupon in a pending gift
    coupon = make_coupon(options=GIFTABLE)
    gifts = []
    for i in range(10):
        mine = claim(coupon["coupon_id"], user=f"giver{i}").json
        gifts.append((mine, give(mine["claim_id"], user=f"giver{i}").json["token"]))
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.drain()
    inject(emulator, faults)

    # When the merchant voids each while its friend accepts it, at once
    def work(i):
        mine, token = gifts[i // 2]
        if i % 2:
            return outcome(lambda: Gifts().accept(caller_for(customer(f"friend{i // 2}")), token))
        return _void_now(coupon["coupon_id"], mine["claim_id"])

    answers = concurrently(work, 20, threads=20)
    injected = emulator.faults.injected
    emulator.faults.set(0.0)

    # Then every coupon ends void, and either the gift was cancelled by the void (the friend refused, the
    # coupon still the giver's) or the friend accepted first and holds the voided coupon; nothing between
    for n, (mine, token) in enumerate(gifts):
        voiding, accepting = answers[2 * n], answers[2 * n + 1]
        if voiding.status == 503:
            voiding = _void_now(coupon["coupon_id"], mine["claim_id"])
        assert voiding.status == 201, voiding.json
        stored = stored_claim(mine["claim_id"])
        gift = Table().get(keys.gift(gift_id_for(token)))
        assert stored["state"] == "void" and "gift_id" not in stored and "GSI3PK" not in gift
        if gift["state"] == "accepted":
            assert stored["owner_id"] == f"friend{n}" and accepting.status in (201, 503)
        else:
            assert (gift["state"], gift["cancelled_by"]) == ("cancelled", "void")
            assert stored["owner_id"] == f"giver{n}"
            assert accepting.status in (409, 503)
            assert accepting.status == 503 or accepting.json["error"]["code"] == "voided"
    assert len(voided_events(reader.drain())) == len(gifts)
    assert (injected > 0) == (faults != "clean")
