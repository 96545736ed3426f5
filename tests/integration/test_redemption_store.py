"""The redemption store's own refusals: each write says what stopped it, and writes nothing then."""

from __future__ import annotations

import pytest
from coupon_service import keys
from coupon_service.clock import SYSTEM
from coupon_service.items import ClaimItem, RedemptionItem
from coupon_service.store.guards import AttemptGuard, Reservation
from coupon_service.store.redemptions import ClaimMoved, OrderTaken, RedemptionStore
from coupon_service.store.table import Table
from coupon_service.validity import to_iso

from tests.builders import held, redemptions_of, stored_claim

pytestmark = pytest.mark.usefixtures("stack")


def as_read(claim):
    """The claimed coupon as the store reads it."""
    return ClaimItem.model_validate(claim)


def redemption_of(claim, redemption_id, order_id=None):
    return RedemptionItem(
        redemption_id=redemption_id,
        claim_id=claim["claim_id"],
        coupon_id=claim["coupon_id"],
        merchant_id=claim["merchant_id"],
        customer_id=claim["owner_id"],
        method="staff",
        redeemed_by="s1",
        order_id=order_id,
        order_merchant="m1" if order_id else None,
        redeemed_at=to_iso(SYSTEM.now()),
    )


def test_a_redemption_uses_the_coupon_records_itself_takes_the_order_and_gives_back_the_attempt():
    # Given a held coupon and an attempt counted on its guard
    store = RedemptionStore()
    mine = stored_claim(held()["claim_id"])
    guard = AttemptGuard(Table(), keys.redeem_guard(mine["claim_id"]), 5, "this coupon")
    guard.reserve("a1", to_iso(SYSTEM.now()))
    # When it is redeemed for an order, giving the attempt back
    store.redeem(as_read(mine), redemption_of(mine, "r" * 32, "o-1"), [guard.reservation("a1")])
    # Then the coupon is used by it, the redemption is stored and indexed, the order names it
    assert stored_claim(mine["claim_id"])["redemption_id"] == "r" * 32
    assert store.redemption("r" * 32).order_merchant == "m1"
    assert [r["redemption_id"] for r in redemptions_of(mine["coupon_id"])] == ["r" * 32]
    assert Table().get(keys.order("m1", "o-1"))["redemption_id"] == "r" * 32
    assert Table().get(keys.redeem_guard(mine["claim_id"]))["attempts"] == {}


def test_an_order_held_by_another_redemption_is_named_and_nothing_is_written():
    # Given an order already carrying one coupon
    store = RedemptionStore()
    first = stored_claim(held()["claim_id"])
    store.redeem(as_read(first), redemption_of(first, "a" * 32, "o-2"), [])
    # When another coupon is redeemed for the same order
    second = stored_claim(held()["claim_id"])
    with pytest.raises(OrderTaken) as refused:
        store.redeem(
            as_read(second),
            redemption_of(second, "b" * 32, "o-2"),
            [Reservation(keys.redeem_guard("x"), "attempts", "y")],
        )
    # Then the refusal names the holder, as the API answers it
    assert (refused.value.status, refused.value.code, refused.value.field) == (
        409,
        "order_already_discounted",
        "order_id",
    )
    assert refused.value.details == {"redemption_id": "a" * 32}
    # And the second coupon is untouched, its redemption not stored
    assert stored_claim(second["claim_id"])["state"] == "available"
    assert store.redemption("b" * 32) is None


def test_a_coupon_that_moved_on_is_handed_back_as_it_is_now():
    # Given a coupon redeemed since it was read
    store = RedemptionStore()
    read = stored_claim(held()["claim_id"])
    store.redeem(as_read(read), redemption_of(read, "c" * 32), [])
    # When it is redeemed again from the same read
    with pytest.raises(ClaimMoved) as refused:
        store.redeem(as_read(read), redemption_of(read, "d" * 32), [])
    # Then the refusal carries the claim as it is now, and answers as a used coupon
    assert refused.value.current.redemption_id == "c" * 32
    assert (refused.value.status, refused.value.code) == (409, "already_used")
    assert store.redemption("d" * 32) is None


def test_a_reversal_frees_the_order_and_gives_the_coupon_a_fresh_code():
    # Given a coupon redeemed for an order
    store = RedemptionStore()
    mine = stored_claim(held()["claim_id"])
    store.redeem(as_read(mine), redemption_of(mine, "e" * 32, "o-3"), [])
    # When it is reversed inside its window
    reversed_ = store.reverse(
        store.redemption("e" * 32), as_read(stored_claim(mine["claim_id"])), "m1", to_iso(SYSTEM.now())
    )
    # Then it is usable again with a code nobody saw, and the order is free
    assert (reversed_.usable_again, reversed_.reversed_at is not None) == (True, True)
    now = stored_claim(mine["claim_id"])
    assert (now["state"], now["reversals"]) == ("available", 1)
    assert now["code"] != mine["code"] and now["retired_codes"] == [
        {"code": mine["code"], "redemption_id": "e" * 32}
    ]
    freed = Table().get(keys.order("m1", "o-3"))
    assert freed["holds"] == {} and "redemption_id" not in freed
    # And a second reversal from the same read is recognised as the first
    again = store.reverse(
        store.redemption("e" * 32).model_copy(update={"reversed_at": None}),
        as_read(now),
        "m1",
        to_iso(SYSTEM.now()),
    )
    assert again.reversed_at == reversed_.reversed_at
