"""Deleting a coupon while customers hold it: what they hold stays theirs, usable, giftable and reminded;
the coupon's records and figures stay readable to its merchant, and to nobody else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from coupon_service import events
from coupon_service.reminders import Reminders

from devstack.streams import StreamReader
from tests.builders import CART, GIFTABLE, accept, claim, give, make_coupon, redeem_myself, scan, stored_claim
from tests.support import call, customer, merchant, platform

pytestmark = pytest.mark.usefixtures("stack")
T0 = datetime(2030, 3, 1, 0, 0, tzinfo=UTC)
REMINDER = {"hours_before_expiry": 12, "message": "use it"}


def wallet(user):
    reply = call("GET", "/me/coupons", claims=customer(user), query={"status": "available"})
    assert reply.status == 200, reply.json
    return {c["claim_id"]: c for c in reply.json["items"]}


@pytest.fixture
def deleted_with_holders(clock):
    """A giftable, self-service coupon with a reminder, held by four customers, then deleted by its
    merchant (at T0, on a frozen clock)."""
    clock.set(T0)
    coupon = make_coupon(
        validity={"type": "hours", "hours": 20},
        claim_window={"start": "2029-01-01T00:00:00Z", "end": "2031-01-01T00:00:00Z"},
        options={**GIFTABLE, "reminder": REMINDER},
        shard_count=2,
    )
    held = {user: claim(coupon["coupon_id"], user=user).json for user in ("u1", "u2", "giver", "u4")}
    assert all("claim_id" in h for h in held.values()), held
    assert call("DELETE", f"/coupons/{coupon['coupon_id']}", claims=merchant("m1")).status == 200
    return coupon, held


def test_every_held_coupon_stays_in_its_wallet_and_redeems_by_staff_and_by_its_holder(deleted_with_holders):
    coupon, held = deleted_with_holders
    # Nobody claims it any more
    assert claim(coupon["coupon_id"], user="late").json["error"]["code"] == "coupon_deleted"
    # Every holder still has it, available, with its code and window as claimed
    for user, mine in held.items():
        listed = wallet(user)
        assert list(listed) == [mine["claim_id"]]
        assert listed[mine["claim_id"]]["status"] == "available"
        assert listed[mine["claim_id"]]["code"] == mine["code"]
    # A till redeems one, the holder of another redeems it in the store with the store's code
    by_staff = scan(held["u1"]["code"])
    assert by_staff.status == 201, by_staff.json
    by_holder = redeem_myself(held["u2"]["claim_id"], user="u2", verification_code="246810", order=CART)
    assert by_holder.status == 201, by_holder.json
    assert {stored_claim(held[u]["claim_id"])["state"] for u in ("u1", "u2")} == {"used"}
    # And the store's code is still checked: a wrong one is refused
    wrong = redeem_myself(held["u4"]["claim_id"], user="u4", verification_code="111111", order=CART)
    assert wrong.status == 422 and wrong.json["error"]["code"] == "wrong_code"


def test_a_held_coupon_of_a_deleted_coupon_is_given_accepted_and_redeemed_by_the_friend(deleted_with_holders):
    _, held = deleted_with_holders
    mine = held["giver"]
    gift = give(mine["claim_id"])
    assert gift.status == 201, gift.json
    accepted = accept(gift.json["token"])
    assert accepted.status == 200, accepted.json
    assert accepted.json["status"] == "available" and list(wallet("friend")) == [mine["claim_id"]]
    assert wallet("giver") == {}
    redeemed = scan(accepted.json["code"])
    assert redeemed.status == 201, redeemed.json
    assert stored_claim(mine["claim_id"])["state"] == "used"


def test_a_held_coupon_of_a_deleted_coupon_is_reminded(emulator, stack, deleted_with_holders):
    _, held = deleted_with_holders
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.drain()
    # When the reminder run fires after the reminders fell due (8 hours after the claims)
    run = Reminders().run(T0 + timedelta(hours=8, minutes=15))
    # Then every holder is reminded once, deleted coupon or not
    reminded = [e for r in reader.drain() for e in events.derive(r) if isinstance(e, events.CouponExpiring)]
    assert run.reminded == 4
    assert sorted(e.customer_id for e in reminded) == sorted(held)
    assert {e.message for e in reminded} == {"use it"}


def test_the_merchant_still_reads_the_deleted_coupon_and_its_figures_nobody_else_does(deleted_with_holders):
    coupon, held = deleted_with_holders
    path = f"/coupons/{coupon['coupon_id']}"
    # Its owner reads it, marked deleted, and its figures: what was claimed stays counted
    read = call("GET", path, claims=merchant("m1"))
    assert read.status == 200 and read.json["status"] == "deleted"
    stats = call("GET", f"{path}/stats", claims=merchant("m1"))
    assert stats.status == 200, stats.json
    assert stats.json["inventory"] == {"total": 100, "claimed": len(held), "remaining": 100 - len(held)}
    # But cannot change it, delete it again, or promote it; and it left the listing
    assert call("PATCH", path, claims=merchant("m1"), body={"version": read.json["version"]}).status == 404
    assert call("DELETE", path, claims=merchant("m1")).status == 404
    assert call("GET", f"{path}/promotion", claims=merchant("m1")).status == 404
    listed = call("GET", "/coupons", claims=merchant("m1")).json["items"]
    assert coupon["coupon_id"] not in [c["coupon_id"] for c in listed]
    # Another merchant and the platform get what a made-up id gets; the public offer is gone
    made_up = call("GET", f"/coupons/{'0' * 32}/stats", claims=merchant("m2"))
    for who in (merchant("m2"), platform()):
        for suffix in ("", "/stats"):
            other = call("GET", f"{path}{suffix}", claims=who)
            assert other.status == 404 and other.json == made_up.json
    assert call("GET", f"/offers/{coupon['coupon_id']}").status == 404
