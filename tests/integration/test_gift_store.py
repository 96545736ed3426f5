"""The gift store's own reading of its refusals: what each access pattern answers when the table says no."""

from __future__ import annotations

from datetime import timedelta

import pytest
from coupon_service import keys
from coupon_service.errors import Changed, Conflict
from coupon_service.gifts import Gifts, gift_id_for
from coupon_service.store.gifts import GiftStore
from coupon_service.store.table import Table
from coupon_service.validity import to_iso

from tests.builders import held_giftable, stored_claim
from tests.support import caller_for, customer

pytestmark = pytest.mark.usefixtures("stack")
BASE = "https://coupons.example/v1"


def giver():
    return caller_for(customer("giver"))


def test_a_lapsed_gift_whose_coupon_moved_on_to_a_newer_gift_is_settled_alone(clock):
    # Given a gift that lapsed, and a newer gift of the same coupon made after it
    mine = held_giftable()
    first = gift_id_for(Gifts(clock=clock).give(giver(), mine["claim_id"], BASE).token)
    clock.advance(timedelta(hours=25))
    second = gift_id_for(Gifts(clock=clock).give(giver(), mine["claim_id"], BASE).token)
    now = to_iso(clock.now())
    store = GiftStore(Table())
    # When the lapsed one is settled
    settled = store.expire_gift(first, now)
    # Then it is recorded expired and leaves the reminder index, and the coupon stays in the newer gift
    assert settled is True
    record = Table().get(keys.gift(first))
    assert record["state"] == "expired" and "GSI3PK" not in record and "GSI3SK" not in record
    stored = stored_claim(mine["claim_id"])
    assert (stored["state"], stored["gift_id"]) == ("gifting", second)
    # And there is nothing more to settle: not the settled one again, not the pending newer one
    assert store.expire_gift(first, now) is False
    assert store.expire_gift(second, now) is False
    assert Table().get(keys.gift(second))["state"] == "pending"


def test_a_gift_is_created_once_and_the_same_gift_again_is_refused_as_changed(clock):
    # Given a gift just made
    mine = held_giftable()
    gifts = Gifts()
    token = gifts.give(giver(), mine["claim_id"], BASE).token
    gift = gifts.store.gift(gift_id_for(token))
    assert gift is not None
    # When the same gift is written again (the claimed coupon is in it now, and its id exists)
    with pytest.raises(Changed) as refused:
        gifts.store.create_gift(gift, code=mine["code"], now=to_iso(clock.now()))
    # Then the store says the coupon changed, a 409 `changed`, and the gift stays as it was
    assert (refused.value.status, refused.value.code) == (409, "changed")
    assert Table().get(keys.gift(gift.gift_id))["state"] == "pending"


def test_accepting_a_gift_whose_coupon_ran_out_is_refused_as_the_coupon_expired(clock):
    # Given a pending gift of a coupon valid for one hour
    mine = held_giftable(validity={"type": "hours", "hours": 1})
    gifts = Gifts()
    gift = gifts.store.gift(gift_id_for(gifts.give(giver(), mine["claim_id"], BASE).token))
    assert gift is not None
    # When a friend's accept reaches the store after the coupon's window ended, the gift still pending
    later = to_iso(clock.now() + timedelta(hours=2))
    with pytest.raises(Conflict) as refused:
        gifts.store.accept_gift(gift, friend_id="friend", friend_name="Bo", now=later)
    # Then the answer is the coupon's expiry, and nothing moved
    assert refused.value.code == "expired" and refused.value.details == {"expired_at": gift.valid_until}
    stored = stored_claim(mine["claim_id"])
    assert (stored["owner_id"], stored["state"]) == ("giver", "gifting")
    assert Table().get(keys.gift(gift.gift_id))["state"] == "pending"


def test_a_gift_no_longer_pending_is_neither_accepted_nor_cancelled_by_the_store(clock):
    # Given a gift its giver cancelled
    mine = held_giftable()
    gifts = Gifts()
    token = gifts.give(giver(), mine["claim_id"], BASE).token
    pending = gifts.store.gift(gift_id_for(token))
    assert pending is not None
    gifts.cancel(giver(), token)
    now = to_iso(clock.now())
    # When an accept or a second cancel made from the gift as it was reaches the store
    # Then both say no (the caller answers from what the gift became), and the coupon stays the giver's
    assert gifts.store.accept_gift(pending, friend_id="friend", friend_name="Bo", now=now) is False
    assert gifts.store.cancel_gift(pending, now) is False
    stored = stored_claim(mine["claim_id"])
    assert (stored["owner_id"], stored["state"]) == ("giver", "available") and "gift_id" not in stored
