"""A claimed coupon's state at a time, and the one refusal each action answers for it."""

from __future__ import annotations

import pytest
from coupon_service import lifecycle
from coupon_service.errors import Conflict

from tests.support import claim_item

NOW = "2030-01-02T12:00:00Z"
BEFORE = "2030-01-01T12:00:00Z"
AFTER = "2030-01-03T12:00:00Z"
LATER = "2030-02-01T00:00:00Z"


def claim(**overrides):
    return claim_item(
        {"state": "available", "valid_from": BEFORE, "valid_until": AFTER, "giftable": True, **overrides}
    )


@pytest.mark.parametrize(
    ("stored", "state"),
    [
        (claim(), "available"),
        (claim(valid_from=AFTER, valid_until="2030-01-04T00:00:00Z"), "not_started"),
        (claim(valid_from=NOW), "available"),  # the window includes its start
        (claim(valid_until=NOW), "expired"),  # and excludes its end
        (claim(state="gifting", gift_expires_at=AFTER), "gifting"),
        (claim(state="gifting", gift_expires_at=NOW), "available"),  # a gift lapsed unaccepted
        (claim(state="gifting", gift_expires_at=AFTER, valid_until=NOW), "expired"),  # expiry beats a gift
        (claim(state="used", valid_until=BEFORE), "used"),  # used beats expired
        (claim(state="gifting", gift_expires_at=AFTER, valid_from=AFTER, valid_until=LATER), "gifting"),
        (claim(state="void", voided_at=BEFORE), "void"),
        (claim(state="void", valid_until=BEFORE), "void"),  # void beats expired: it was voided
    ],
)
def test_state_at(stored, state):
    assert lifecycle.state_at(stored, NOW) == state


def test_the_wallet_lists_a_coupon_not_started_as_available():
    assert lifecycle.wallet_status(claim(valid_from=AFTER, valid_until=LATER), NOW) == "available"


@pytest.mark.parametrize(
    ("stored", "quote", "redeem", "give"),
    [
        (claim(), None, None, None),
        (claim(state="used"), "used", "already_used", "already_used"),
        (claim(valid_until=NOW), "expired", "expired", "expired"),
        (
            claim(state="gifting", gift_expires_at=AFTER),
            "in_pending_gift",
            "in_pending_gift",
            "already_gifting",
        ),
        # A coupon whose window has not begun may be given away, but not yet used.
        (claim(valid_from=AFTER, valid_until=LATER), "not_started", "not_started", None),
        (claim(giftable=False), None, None, "not_giftable"),
        (claim(giftable=False, state="used"), "used", "already_used", "not_giftable"),
        (claim(state="void", voided_at=BEFORE), "voided", "voided", "voided"),
    ],
)
def test_one_refusal_per_state_and_action(stored, quote, redeem, give):
    answers = {action: lifecycle.refusal(action, stored, NOW) for action in ("quote", "redeem", "give")}
    assert {a: r and r.code for a, r in answers.items()} == {"quote": quote, "redeem": redeem, "give": give}


def test_refusals_carry_the_moment_that_decides_them():
    ended = lifecycle.refusal("redeem", claim(valid_until=NOW), NOW)
    assert ended is not None and ended.details == {"expired_at": NOW}
    later = claim(valid_from=AFTER, valid_until=LATER)
    waiting = lifecycle.refusal("quote", later, NOW)
    assert waiting is not None and waiting.details == {"starts_at": AFTER}
    with pytest.raises(Conflict) as raised:
        lifecycle.refuse("give", claim(state="used"), NOW)
    assert (raised.value.status, raised.value.code, raised.value.message) == (
        409,
        "already_used",
        "this coupon has already been used",
    )
    lifecycle.refuse("give", later, NOW)  # no refusal: nothing raised


def test_conditions_refuse_to_join_placeholders_that_mean_different_things():
    with pytest.raises(ValueError, match="different"):
        lifecycle.unexpired_condition(NOW) & lifecycle.started_condition(BEFORE)
    joined = lifecycle.redeemable_condition(NOW)
    assert joined.values[":now"] == NOW and joined.names == {"#st": "state"}


@pytest.mark.parametrize(
    ("stored", "voidable", "refused"),
    [
        (claim(), True, None),
        (claim(valid_from=AFTER, valid_until=LATER), True, None),  # not started yet
        (claim(state="gifting", gift_expires_at=AFTER), True, None),  # a gift does not shield it
        (claim(state="gifting", gift_expires_at=NOW), True, None),  # nor a lapsed one
        (claim(state="used"), False, "already_used"),  # reversed, not voided
        (claim(valid_until=NOW), False, "expired"),
        (claim(state="void"), False, None),  # answered as it was voided, by the service
    ],
)
def test_what_a_merchant_may_void(stored, voidable, refused):
    assert lifecycle.voidable(stored, NOW) is voidable
    refusal = lifecycle.refusal("void", stored, NOW)
    assert (refusal and refusal.code) == refused


def test_a_void_coupon_is_listed_as_void_not_reminded_and_refused_when_accepted():
    void = claim(state="void", voided_at=BEFORE, void_reason="sold on")
    assert lifecycle.wallet_status(void, NOW) == "void"
    assert not lifecycle.remindable(void, NOW)
    refused = lifecycle.refusal("accept", void, NOW)
    # The refusal says when, never why: the reason is for the holder's wallet, not for a friend
    assert refused is not None and (refused.code, refused.details) == ("voided", {"voided_at": BEFORE})
