"""The stacking rules, pure: which coupons share an order, how their discounts combine, and the best allowed
combination for a cart."""

from __future__ import annotations

import itertools

from coupon_service.items import ClaimItem
from coupon_service.pricing import Order
from coupon_service.stacking import (
    Hold,
    allowed,
    best_combination,
    price_together,
    refusal,
)
from hypothesis import given, settings
from hypothesis import strategies as st

ORDER = Order(
    merchant_id="m1",
    currency="CNY",
    lines=[
        {"sku": "tea", "category": "tea", "unit_price": 6000, "quantity": 2},
        {"sku": "cup", "category": "cups", "unit_price": 8000, "quantity": 1},
    ],
    shipping_fee=1200,
)  # 200.00 of goods and 12.00 shipping


def coupon(name, terms, stackable=False, with_kinds=None, scope=None):
    stacking = None
    if stackable:
        stacking = {"stackable": True, **({"with_kinds": with_kinds} if with_kinds is not None else {})}
    # Only what the stacking rules and pricing read (the rest of a stored claim is not theirs).
    return ClaimItem.model_construct(
        claim_id=f"claim-{name}",
        coupon_id=f"coupon-{name}",
        merchant_id="m1",
        currency="CNY",
        terms=terms,
        scope=scope or {"type": "order"},
        stacking=stacking,
    )


PERCENT_20 = {"kind": "discount", "percent_off": 20}
TEN_OFF = {"kind": "cash_value", "amount_off": 1000}
THIRTY_OFF = {"kind": "cash_value", "amount_off": 3000}
FREE_SHIPPING = {"kind": "free_shipping"}


def ids(combination):
    return [c.claim_id for c in combination.claims] if combination else None


# --- who shares an order ------------------------------------------------------------------------


def test_two_coupons_that_do_not_stack_never_share_an_order():
    a, b = Hold.of(coupon("a", TEN_OFF), "r1"), Hold.of(coupon("b", PERCENT_20), "r2")
    found = refusal([a], b, max_stacked=5)
    assert found is not None and (found.reason, found.holders) == ("order_already_discounted", ("r1",))


def test_a_stackable_coupon_joins_only_beside_the_kinds_it_lists_and_only_where_it_is_listed():
    main = Hold.of(coupon("main", PERCENT_20), "r1")
    ships = Hold.of(coupon("ship", FREE_SHIPPING, stackable=True, with_kinds=["discount"]), "r2")
    assert refusal([main], ships, 5) is None
    cash = Hold.of(coupon("cash", TEN_OFF), "r3")
    assert refusal([ships], cash, 5).reason == "not_combinable"
    # a stackable coupon that does not list free shipping cannot join an order that holds one
    picky = Hold.of(coupon("picky", TEN_OFF, stackable=True, with_kinds=["discount"]), "r4")
    assert refusal([main, ships], picky, 5) == refusal([ships], picky, 5)
    assert refusal([ships], picky, 5).holders == ("r2",)


def test_at_most_n_stackable_coupons_and_one_of_each_coupon():
    stackable = [Hold.of(coupon(f"s{i}", TEN_OFF, stackable=True), f"r{i}") for i in range(3)]
    assert allowed(stackable[:2], 2) and not allowed(stackable, 2)
    assert refusal(stackable[:2], stackable[2], 2).reason == "stacking_limit"
    again = Hold.of(coupon("s0", TEN_OFF, stackable=True), "other")
    assert refusal(stackable[:1], again, 5).reason == "coupon_already_on_order"


def test_a_coupon_that_does_not_stack_joins_stackable_ones_that_accept_it():
    stackable = Hold.of(coupon("s", TEN_OFF, stackable=True), "r1")
    assert refusal([stackable], Hold.of(coupon("m", PERCENT_20), "r2"), 1) is None


# --- how discounts combine -----------------------------------------------------------------------


def test_percent_off_first_then_amounts_off_each_on_what_is_left():
    together = price_together([coupon("ten", TEN_OFF, True), coupon("pct", PERCENT_20, True)], ORDER)
    # 20% of 200.00 = 40.00, then 10.00 off the 160.00 left
    assert ids(together) == ["claim-pct", "claim-ten"]
    assert [p.discount for p in together.priced] == [4000, 1000]
    assert together.priced[-1].payable == 21200 - 5000


def test_stacked_amounts_never_take_a_line_below_zero():
    small = Order(merchant_id="m1", currency="CNY", lines=[{"sku": "x", "unit_price": 2500, "quantity": 1}])
    together = price_together(
        [coupon("a", THIRTY_OFF, True), coupon("b", THIRTY_OFF | {"amount_off": 2000}, True)], small
    )
    # 30 off takes all 25.00; 20 off, after it, finds nothing left
    assert [p.discount for p in together.priced] == [2500, 0]
    assert together.priced[-1].payable == 0


# --- the best allowed combination ------------------------------------------------------------------


def test_two_stacking_coupons_beat_the_best_single_coupon():
    # 30 off alone is the best single coupon (30.00); 20% and free shipping stack: 40.00 + 12.00
    wallet = [
        coupon("thirty", THIRTY_OFF),
        coupon("pct", PERCENT_20, stackable=True),
        coupon("ship", FREE_SHIPPING, stackable=True),
    ]
    wallet.sort(key=lambda c: c.claim_id)
    best = best_combination(wallet, ORDER, max_stacked=2)
    assert ids(best) == ["claim-pct", "claim-thirty", "claim-ship"]
    assert best.discount == 4000 + 3000 + 1200


def test_two_stacking_coupons_that_refuse_each_other_lose_to_the_best_single_one():
    # 20% stacks only beside free shipping, 10 off only beside percentages: neither lists the other's kind,
    # and neither lists cash_value, the kind of the 45 off that does not stack
    wallet = [
        coupon("fortyfive", {"kind": "cash_value", "amount_off": 4500}),
        coupon("pct", PERCENT_20, stackable=True, with_kinds=["free_shipping"]),
        coupon("ten", TEN_OFF, stackable=True, with_kinds=["discount"]),
    ]
    best = best_combination(wallet, ORDER, max_stacked=2)
    assert ids(best) == ["claim-fortyfive"] and best.discount == 4500


def test_two_stacking_coupons_that_save_less_together_than_one_coupon_alone_are_not_chosen():
    # 5% and 10 off stack (10.00 + 10.00) but take less than 45 off alone, which stacks only beside free
    # shipping
    wallet = [
        coupon("fortyfive", {"kind": "cash_value", "amount_off": 4500}, True, ["free_shipping"]),
        coupon("five", {"kind": "discount", "percent_off": 5}, stackable=True, with_kinds=["cash_value"]),
        coupon("ten", TEN_OFF, stackable=True, with_kinds=["discount"]),
    ]
    best = best_combination(wallet, ORDER, max_stacked=2)
    assert ids(best) == ["claim-fortyfive"] and best.discount == 4500
    # Without the 45 off, the two stacked are the best
    assert ids(best_combination(wallet[1:], ORDER, 2)) == ["claim-five", "claim-ten"]


def test_the_limit_of_stacked_coupons_is_respected():
    wallet = [coupon(f"s{i}", TEN_OFF, stackable=True) for i in range(4)]
    assert len(best_combination(wallet, ORDER, max_stacked=2).claims) == 2
    assert len(best_combination(wallet, ORDER, max_stacked=3).claims) == 3


def test_no_coupon_applies_no_combination():
    assert best_combination([], ORDER, 2) is None


KIND_TERMS = [PERCENT_20, TEN_OFF, THIRTY_OFF, FREE_SHIPPING, {"kind": "discount", "percent_off": 5}]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(range(len(KIND_TERMS))),
            st.booleans(),
            st.sets(st.sampled_from(["discount", "cash_value", "free_shipping"])),
        ),
        min_size=1,
        max_size=5,
    ),
    st.integers(min_value=1, max_value=3),
)
def test_the_best_combination_is_allowed_and_no_allowed_subset_saves_more(specs, max_stacked):
    wallet = [
        coupon(f"c{i}", KIND_TERMS[k], stackable=s, with_kinds=sorted(w) if s else None)
        for i, (k, s, w) in enumerate(specs)
    ]
    best = best_combination(wallet, ORDER, max_stacked)
    assert best is not None
    assert allowed([Hold.of(c, c.claim_id) for c in best.claims], max_stacked)
    assert best.discount <= 21200 and best.priced[-1].payable >= 0
    for size in range(1, len(wallet) + 1):
        for subset in itertools.combinations(wallet, size):
            if allowed([Hold.of(c, c.claim_id) for c in subset], max_stacked):
                assert price_together(subset, ORDER).discount <= best.discount
