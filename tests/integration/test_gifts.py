"""Gifts through the API: give, see, accept, cancel; lifetimes; the rules; the event."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from coupon_service import keys, settings
from coupon_service.aws import client
from coupon_service.gifts import Gifts, gift_id_for
from coupon_service.store.table import Table

from devstack.emulator import WITH_LOST
from devstack.streams import StreamReader, published
from tests.builders import CART, GIFTABLE, accept, claim, give, make_coupon, redeem_myself, scan, stored_claim
from tests.builders import held_giftable as held
from tests.support import call, caller_for, concurrently, customer, invoke, outcome

pytestmark = pytest.mark.usefixtures("stack")

BASE = "https://coupons.example/v1"


def status_of(claim_id, user="giver"):
    return call("GET", f"/me/coupons/{claim_id}", claims=customer(user)).json["status"]


def wallet_ids(user):
    return [c["claim_id"] for c in call("GET", "/me/coupons", claims=customer(user)).json["items"]]


def test_a_friend_accepts_and_the_coupon_moves_wallets_with_its_window_and_a_fresh_code():
    # Given a giver's coupon, given away
    mine = held()
    reply = give(mine["claim_id"])
    assert reply.status == 201, reply.json
    gift = reply.json
    assert len(gift["token"]) == 43 and gift["share_url"] == f"http://localhost/c/gifts/{gift['token']}"
    # Then while pending it shows as gifting and cannot be redeemed
    assert (
        call("GET", f"/me/coupons/{mine['claim_id']}", claims=customer("giver")).json["status"] == "gifting"
    )
    assert scan(mine["code"]).json["error"]["code"] == "in_pending_gift"
    # And the friend sees the coupon and who gives it, without signing in, never the code
    seen = call("GET", f"/gifts/{gift['token']}")
    assert seen.status == 200 and seen.json["state"] == "pending"
    assert (seen.json["giver_name"], seen.json["message"]) == ("nick-giver", "A treat from a friend")
    assert mine["code"] not in seen.raw.decode() and "code" not in seen.json
    # When the friend accepts (twice: a retry)
    first, retry = accept(gift["token"]), accept(gift["token"])
    # Then the friend holds it, usable, same window, a code the giver never saw; the giver does not
    assert first.status == retry.status == 200 and first.json == retry.json
    assert first.json["status"] == "available" and first.json["code"] != mine["code"]
    assert first.json["valid_until"] == mine["valid_until"]
    assert wallet_ids("friend") == [mine["claim_id"]] and wallet_ids("giver") == []
    stored = stored_claim(mine["claim_id"])
    assert stored["owner_id"] == "friend" and "gift_id" not in stored
    # And only the friend can redeem it now
    assert redeem_myself(mine["claim_id"], user="giver", verification_code="246810", order=CART).status == 404
    assert (
        redeem_myself(mine["claim_id"], user="friend", verification_code="246810", order=CART).status == 201
    )
    # And nobody else can accept it, nor the giver their own gift
    late = accept(gift["token"], user="someone")
    assert late.status == 409 and late.json["error"]["code"] == "already_accepted"
    assert call("GET", f"/gifts/{gift['token']}").json["state"] == "accepted"


def give_with_key(claim_id, key, user="giver"):
    headers = {"Idempotency-Key": key}
    return call("POST", f"/me/coupons/{claim_id}/gifts", claims=customer(user), headers=headers)


def everything_stored_items(*tables):
    """Every item of these tables (the coupons table by default), as DynamoDB holds them."""
    db = client("dynamodb")
    return [
        item
        for table in tables or (Table().name,)
        for page in db.get_paginator("scan").paginate(TableName=table)
        for item in page["Items"]
    ]


def everything_stored(stack):
    """Every item of the coupons table and of the idempotency table, as text."""
    items = everything_stored_items(stack.tables["CouponsTable"], stack.tables["IdempotencyTable"])
    return "\n".join(json.dumps(item) for item in items)


def test_a_retried_gift_gets_the_same_link_and_the_link_is_stored_nowhere(stack):
    # Given a gift made with an Idempotency-Key
    mine = held()
    first = give_with_key(mine["claim_id"], "gift-retry-0001")
    # When the giver retries (the answer was lost)
    retry = give_with_key(mine["claim_id"], "gift-retry-0001")
    # Then they get the same token and link, for the one gift made
    assert first.status == retry.status == 201 and first.json == retry.json
    token = first.json["token"]
    # And the token is nowhere in the store: not in the table, not in the idempotency table
    stored = everything_stored(stack)
    assert token not in stored and first.json["share_url"] not in stored
    assert Table().get(keys.gift(gift_id_for(token)))["state"] == "pending"
    # And without the key, the coupon is already in that gift
    assert give(mine["claim_id"]).json["error"]["code"] == "already_gifting"
    # And once the gift is cancelled, the same key does not make another: it says what became of it
    assert call("DELETE", f"/me/gifts/{token}", claims=customer("giver")).status == 200
    late = give_with_key(mine["claim_id"], "gift-retry-0001")
    assert late.status == 409 and late.json["error"]["code"] == "key_used"
    assert late.json["error"]["details"] == {"state": "cancelled"}
    assert late.json["error"]["field"] == "Idempotency-Key" and token not in late.raw.decode()
    assert stored_claim(mine["claim_id"])["state"] == "available"
    # And a new key gives it again, with a new link
    again = give_with_key(mine["claim_id"], "gift-retry-0002")
    assert again.status == 201 and again.json["token"] != token


def test_retries_with_one_key_at_once_and_with_answers_lost_make_one_gift(emulator):
    # Given a giver whose app sends the same gift request eight times at once, some writes refused
    # (conflicts, throttling) and some applied with their answer lost
    mine = held()
    giver = caller_for(customer("giver"))

    def retry(_):
        return outcome(lambda: Gifts().give(giver, mine["claim_id"], BASE, "gift-burst-0001"))

    emulator.faults.set(0.3, WITH_LOST)
    answers = concurrently(retry, 8, threads=8)
    emulator.faults.set(0.0)
    # Then every request gets the one gift's link, and the store holds that one gift, pending
    assert {a.status for a in answers} == {201}, [a.json for a in answers if a.status != 201]
    assert len({a.json["token"] for a in answers}) == 1
    gift_id = stored_claim(mine["claim_id"])["gift_id"]
    assert gift_id == gift_id_for(answers[0].json["token"])
    gifts = [i for i in everything_stored_items() if i.get("type", {}).get("S") == "gift"]
    assert len(gifts) == 1 and gifts[0]["state"]["S"] == "pending"


def test_a_gift_whose_answer_was_lost_is_found_again_by_its_key():
    # Given a store whose answer to the gift's write is lost: the write is applied, and the retry of it
    # is refused by that very write (what the store sees when DynamoDB answers 500 after committing)
    mine = held()
    gifts = Gifts()
    applied = gifts.table.transact

    def answer_lost(operations):
        applied(operations)
        applied(operations)

    gifts.table.transact = answer_lost
    giver = caller_for(customer("giver"))
    # When the giver gives with a key, then retries
    created = outcome(lambda: gifts.give(giver, mine["claim_id"], BASE, "lost-answer-01"))
    retried = outcome(lambda: Gifts().give(giver, mine["claim_id"], BASE, "lost-answer-01"))
    # Then both get the link of the one gift made
    assert created.status == retried.status == 201 and created.json == retried.json
    assert stored_claim(mine["claim_id"])["gift_id"] == gift_id_for(created.json["token"])


def test_the_giver_cannot_accept_their_own_gift():
    token = give(held()["claim_id"]).json["token"]
    own = accept(token, user="giver")
    assert own.status == 409 and own.json["error"]["code"] == "own_gift"


def test_a_received_coupon_does_not_count_against_the_friends_claim_limit():
    # Given a coupon limited to one per customer, which the friend already claimed
    coupon = make_coupon(options={**GIFTABLE, "per_customer_limit": 1})
    assert claim(coupon["coupon_id"], user="friend").status == 201
    given = claim(coupon["coupon_id"], user="giver").json
    # When the giver gives theirs to the friend, the friend can accept it and holds two
    assert accept(give(given["claim_id"]).json["token"]).status == 200
    assert len(wallet_ids("friend")) == 2
    assert Table().get(keys.holder("friend", coupon["coupon_id"]))["count"] == 1
    # And the giver's own claim still counts for the giver
    again = claim(coupon["coupon_id"], user="giver")
    assert again.status == 409


def test_the_giver_cancels_and_the_coupon_is_theirs_again():
    mine = held()
    token = give(mine["claim_id"]).json["token"]
    # Someone else cannot cancel it
    assert call("DELETE", f"/me/gifts/{token}", claims=customer("friend")).status == 404
    cancelled = call("DELETE", f"/me/gifts/{token}", claims=customer("giver"))
    again = call("DELETE", f"/me/gifts/{token}", claims=customer("giver"))
    assert (
        cancelled.status == again.status == 200
        and cancelled.json["state"] == again.json["state"] == "cancelled"
    )
    assert (
        call("GET", f"/me/coupons/{mine['claim_id']}", claims=customer("giver")).json["status"] == "available"
    )
    refused = accept(token)
    assert refused.status == 409 and refused.json["error"]["code"] == "gift_cancelled"
    assert stored_claim(mine["claim_id"])["owner_id"] == "giver"
    # And it can be given again
    assert give(mine["claim_id"]).status == 201


def test_a_gift_past_its_lifetime_is_cancelled_on_every_read_and_write(monkeypatch, clock):
    # Given gifts that last two hours
    monkeypatch.setenv("GIFT_LIFETIME_HOURS", "2")
    settings.settings.cache_clear()
    mine = held()
    gift = give(mine["claim_id"]).json
    assert gift["expires_at"].startswith((clock.now() + timedelta(hours=2)).strftime("%Y-%m-%dT%H"))
    # When three hours pass with no job run
    clock.advance(timedelta(hours=3))
    try:
        # Then the gift reads as expired, cannot be accepted, and the coupon is the giver's again
        assert call("GET", f"/gifts/{gift['token']}").json["state"] == "expired"
        late = accept(gift["token"])
        assert late.status == 409 and late.json["error"]["code"] == "gift_expired"
        assert status_of(mine["claim_id"]) == "available"
        assert scan(mine["code"]).status == 201
    finally:
        settings.settings.cache_clear()


def test_a_coupon_whose_window_ends_during_the_gift_expires_for_its_holder(clock):
    mine = held(validity={"type": "hours", "hours": 1})
    token = give(mine["claim_id"]).json["token"]
    clock.advance(timedelta(hours=2))
    late = accept(token)
    assert late.status == 409 and late.json["error"]["code"] == "expired"
    assert status_of(mine["claim_id"]) == "expired" and stored_claim(mine["claim_id"])["owner_id"] == "giver"


def test_what_cannot_be_given_each_with_its_own_error(clock):
    plain = held(options={})
    assert give(plain["claim_id"]).json["error"]["code"] == "not_giftable"
    used = held(user="u2")
    assert scan(used["code"]).status == 201
    assert give(used["claim_id"], user="u2").json["error"]["code"] == "already_used"
    giving = held(user="u3")
    assert give(giving["claim_id"], user="u3").status == 201
    assert give(giving["claim_id"], user="u3").json["error"]["code"] == "already_gifting"
    short = held(user="u4", validity={"type": "hours", "hours": 1})
    clock.advance(timedelta(hours=2))
    assert give(short["claim_id"], user="u4").json["error"]["code"] == "expired"
    clock.advance(-timedelta(hours=2))
    # Not the caller's coupon: not found
    assert give(giving["claim_id"], user="u9").status == 404


@pytest.mark.parametrize("token", ["abc", "x" * 43, "A" * 200, "%20"])
def test_a_guessed_or_malformed_token_is_a_404(token):
    assert call("GET", f"/gifts/{token}").status == 404
    assert accept(token).status == 404
    assert call("DELETE", f"/me/gifts/{token}", claims=customer("giver")).status == 404


def test_gift_accepted_reaches_the_bus_with_what_the_notification_needs_and_no_secret(emulator, stack):
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.poll()
    mine, other = held(), held(user="giver2")
    token = give(mine["claim_id"]).json["token"]
    received = accept(token, user="friend").json
    cancelled = give(other["claim_id"], user="giver2").json["token"]
    assert call("DELETE", f"/me/gifts/{cancelled}", claims=customer("giver2")).status == 200
    assert invoke("publisher", {"Records": reader.poll()}) == {"batchItemFailures": []}
    events = published(emulator.url, stack.events_queue_url)
    # No event carries a gift token, nor any code the coupons had or have
    secrets = [token, cancelled, mine["code"], received["code"], other["code"]]
    assert [s for s in secrets if s in json.dumps(events)] == []
    delivered = {e["detail-type"]: e["detail"] for e in events}
    event = delivered["GiftAccepted"]
    assert (event["giver_id"], event["friend_id"], event["friend_name"]) == ("giver", "friend", "nick-friend")
    assert (event["notify_giver"], event["message"], event["title"]) == (
        True,
        "A treat from a friend",
        "10 off 100",
    )
    assert event["claim_id"] == mine["claim_id"]
