"""Ownership moves with the code: after a gift is accepted or a redemption reversed, nothing anyone saw
before (the code, its QR) redeems the coupon; the old code answers exactly as a code never issued."""

from __future__ import annotations

import pytest
from coupon_service import codes, keys, qr
from coupon_service.codes import format_for_display, new_system_code
from coupon_service.store.table import Table

from tests.builders import CART, GIFTABLE, accept, give, indexed, scan, stored_claim
from tests.builders import held_giftable as gift_held
from tests.builders import run_import as run
from tests.builders import upload_codes as upload
from tests.support import call, coupon_body, customer, merchant

pytestmark = pytest.mark.usefixtures("stack", "importing")


def held_in(mode, user="giver"):
    """A giftable coupon of this code mode, claimed by `user`."""
    if mode == "imported":
        coupon = call(
            "POST",
            "/coupons",
            claims=merchant("m1"),
            body=coupon_body(options=GIFTABLE, codes={"mode": "imported"}, shard_count=1),
        ).json
        assert run(upload(coupon["coupon_id"], b"SHOP-CODE-0001\nSHOP-CODE-0002\n")) == "finished"
        reply = call("POST", f"/coupons/{coupon['coupon_id']}/claims", claims=customer(user))
        assert reply.status == 201, reply.json
        return reply.json
    return gift_held(user, codes={"mode": mode, "inventory": 10})


def qr_of(claim_id, user):
    reply = call("GET", f"/me/coupons/{claim_id}/qr", claims=customer(user))
    assert reply.status == 200
    return reply.raw


def never_issued(mode):
    """A code of the same shape that no coupon ever had: what the old code must be indistinguishable from."""
    return "SHOP-CODE-9999" if mode == "imported" else new_system_code()


@pytest.mark.parametrize("mode", ["random_on_claim", "generated", "imported"])
def test_after_a_gift_is_accepted_nothing_the_giver_saw_redeems_the_coupon(mode):
    # Given a giver who claimed a coupon and kept its code and a screenshot of its QR
    mine = held_in(mode)
    old_code, old_qr = mine["code"], qr_of(mine["claim_id"], "giver")
    # When they give it and the friend accepts
    friend = accept(give(mine["claim_id"]).json["token"])
    assert friend.status == 200, friend.json
    new_code = friend.json["code"]
    # Then the friend holds a system code nobody else has seen, and its QR shows it
    assert new_code != old_code and codes.is_system_code(new_code)
    assert qr_of(mine["claim_id"], "friend") == qr.render_png(new_code, "m") != old_qr
    # And the till gets for the old code, however typed, exactly what a code never issued gets
    unknown = scan(never_issued(mode))
    assert unknown.status == 404 and unknown.json["error"]["code"] == "unknown_code"
    typed = [old_code, format_for_display(old_code).lower()] if mode != "imported" else [old_code]
    for text in typed:
        stale = scan(text, order_id="sold-on", order=CART)
        assert (stale.status, stale.json) == (unknown.status, unknown.json)
    # And the store: the index knows only the new code; the old one is kept as retired, for the records
    stored = stored_claim(mine["claim_id"])
    assert indexed(old_code) == [] and indexed(new_code) == [mine["claim_id"]]
    assert [r["code"] for r in stored["retired_codes"]] == [old_code] and "gift_retires" not in stored
    assert stored["owner_id"] == "friend" and stored["state"] == "available"
    if mode == "imported":  # burned: the merchant's code stays registered, so it is never issued again
        assert Table().get(keys.code_registry("m1", old_code)) is not None
    # And the friend's coupon is still theirs to use, with the new code
    redeemed = scan(new_code, order_id="friend-1", order=CART)
    assert redeemed.status == 201, redeemed.json
    assert Table().get(keys.redemption(redeemed.json["redemption_id"]))["customer_id"] == "friend"


def test_after_a_reversal_the_code_seen_at_the_till_is_unknown_and_the_holder_has_a_new_one():
    # Given a coupon redeemed at a till, then the order refunded and the redemption reversed
    mine = gift_held("u1")
    first = scan(mine["code"], order_id="o-1", order=CART).json
    call("POST", f"/redemptions/{first['redemption_id']}/reversal", claims=merchant("m1"))
    # Then the holder's coupon is usable again with a new code, shown by its QR
    now = call("GET", f"/me/coupons/{mine['claim_id']}", claims=customer("u1")).json
    assert now["status"] == "available" and now["code"] != mine["code"]
    assert qr_of(mine["claim_id"], "u1") == qr.render_png(now["code"], "m")
    # And the old code is unknown to every till, the one that saw it too (even retrying its own order)
    unknown = scan(new_system_code())
    for stale in (scan(mine["code"], order_id="o-1", order=CART), scan(mine["code"], order_id="o-2")):
        assert (stale.status, stale.json) == (unknown.status, unknown.json)
    assert indexed(mine["code"]) == [] and indexed(now["code"]) == [mine["claim_id"]]
    retired = stored_claim(mine["claim_id"])["retired_codes"]
    assert retired == [{"code": mine["code"], "redemption_id": first["redemption_id"]}]
    # And the new code redeems it, once
    assert scan(now["code"], order_id="o-3", order=CART).status == 201
    assert stored_claim(mine["claim_id"])["state"] == "used"


def test_a_cancelled_gift_given_again_and_accepted_leaves_the_giver_nothing():
    # Given a gift the giver cancels: the coupon is theirs again, with the code only they have seen
    mine = gift_held()
    first = give(mine["claim_id"]).json["token"]
    assert call("DELETE", f"/me/gifts/{first}", claims=customer("giver")).status == 200
    back = stored_claim(mine["claim_id"])
    assert back["code"] == mine["code"] and "retired_codes" not in back and "gift_retires" not in back
    # When they give it again and this time a friend accepts
    friend = accept(give(mine["claim_id"]).json["token"]).json
    # Then the code the giver kept through both gifts is unknown, and the friend's code works
    unknown = scan(new_system_code())
    stale = scan(mine["code"])
    assert (stale.status, stale.json) == (unknown.status, unknown.json)
    assert indexed(mine["code"]) == [] and indexed(friend["code"]) == [mine["claim_id"]]
    assert scan(friend["code"]).status == 201


def test_a_coupon_given_on_and_reversed_keeps_a_record_of_every_retired_code():
    # Given a coupon given to a friend, who gives it on, whose redemption is then reversed
    mine = gift_held()
    second = accept(give(mine["claim_id"]).json["token"]).json
    third = accept(give(mine["claim_id"], user="friend").json["token"], user="friend2").json
    redemption = scan(third["code"]).json
    call("POST", f"/redemptions/{redemption['redemption_id']}/reversal", claims=merchant("m1"))
    # Then each code anyone saw is retired, in order, with what retired it, and only the latest is indexed
    stored = stored_claim(mine["claim_id"])
    seen = [mine["code"], second["code"], third["code"]]
    assert [r["code"] for r in stored["retired_codes"]] == seen
    causes = [r.get("gift_id") or r.get("redemption_id") for r in stored["retired_codes"]]
    assert causes[2] == redemption["redemption_id"] and all(causes)
    gifts = [Table().get(keys.gift(c)) for c in causes[:2]]
    assert [(g["giver_id"], g["friend_id"]) for g in gifts] == [("giver", "friend"), ("friend", "friend2")]
    assert len({*seen, stored["code"]}) == 4
    assert [indexed(c) for c in seen] == [[], [], []] and indexed(stored["code"]) == [mine["claim_id"]]
