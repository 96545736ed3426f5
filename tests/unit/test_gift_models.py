"""Unit tests for the gift item and its views, and the reminder index's keys the run reads back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from coupon_service import keys
from coupon_service.items import GiftItem
from coupon_service.models.gifts import GiftCreated, GiftView

ENDS = "2026-03-02T10:00:00Z"


def gift(**changes: object) -> GiftItem:
    item = {
        **keys.gift("g1"),  # as read back: the keys come along
        "type": "gift",
        "gift_id": "g1",
        "state": "pending",
        "claim_id": "c1",
        "coupon_id": "k1",
        "merchant_id": "m1",
        "giver_id": "u1",
        "giver_name": "Ann",
        "created_at": "2026-03-01T10:00:00Z",
        "gift_expires_at": ENDS,
        "expires_at": 1_775_000_000,
        "title": "10 off",
        "description": "ten off a purchase of 100",
        "currency": "EUR",
        "terms": {"kind": "cash_value", "amount_off": 1000, "min_spend": 10000},
        "scope": {"type": "order"},
        "valid_from": "2026-03-01T00:00:00Z",
        "valid_until": "2026-04-01T00:00:00Z",
    }
    return GiftItem.model_validate({**item, **changes})


@pytest.mark.parametrize(
    ("state", "now", "expected"),
    [
        ("pending", "2026-03-02T09:59:59Z", "pending"),
        ("pending", ENDS, "expired"),  # its lifetime ends at the instant named
        ("accepted", "2026-03-05T00:00:00Z", "accepted"),  # a finished gift stays what it became
        ("cancelled", "2026-03-05T00:00:00Z", "cancelled"),
        ("expired", "2026-03-05T00:00:00Z", "expired"),  # settled by the reminder run
    ],
)
def test_a_gifts_state_is_derived_from_the_time(state, now, expected):
    # Given a gift stored in a state, read at a time
    # Then a pending gift past its lifetime reads as expired, anything else as stored
    assert gift(state=state).state_at(now) == expected


def test_only_a_pending_gift_past_its_lifetime_is_left_for_the_run_to_settle():
    assert gift().lapsed(ENDS) and not gift().lapsed("2026-03-02T09:59:59Z")
    assert not gift(state="cancelled").lapsed("2026-03-05T00:00:00Z")
    assert not gift(state="expired").lapsed("2026-03-05T00:00:00Z")


def test_the_friend_sees_the_coupon_and_the_givers_name_never_the_key_or_the_claim():
    # Given a pending gift read back with its keys
    item = gift(message="for you")
    # When the friend's view is made after its lifetime
    shown = GiftView.of(item, "2026-03-03T00:00:00Z")
    # Then it says expired, with the lifetime's end, the giver and the terms, and nothing of the keys
    assert shown.state == "expired" and shown.expires_at == datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert (shown.giver_name, shown.message, shown.terms.kind) == ("Ann", "for you", "cash_value")
    assert set(shown.model_dump()) & {"PK", "claim_id", "giver_id", "gift_id"} == set()


def test_the_friend_sees_the_window_with_the_coupons_time_zone_and_older_gifts_without_one():
    assert GiftView.of(gift(time_zone="Asia/Shanghai"), "2026-03-01T11:00:00Z").time_zone == "Asia/Shanghai"
    assert GiftView.of(gift(), "2026-03-01T11:00:00Z").time_zone is None  # made before the zone was kept


def test_the_giver_is_answered_the_share_link_of_the_token():
    created = GiftCreated.of(gift(), "T" * 43, "https://coupons.example.com")
    assert created.share_url == "https://coupons.example.com/c/gifts/" + "T" * 43  # the web app's page
    assert (created.claim_id, created.state) == ("c1", "pending")
    assert created.expires_at == datetime(2026, 3, 2, 10, tzinfo=UTC)


def test_a_reminder_entry_names_what_it_is_for():
    # Given the index keys of a claimed coupon's reminder and of a pending gift
    claim_entry = {**keys.claim("c9"), **keys.reminder_index("2026-03-01T10:00:00Z", "c9")}
    gift_entry = {**keys.gift("g9"), **keys.reminder_index(ENDS, "g9")}
    # Then the run tells them apart, with their ids
    assert keys.reminder_subject(claim_entry) == ("claim", "c9")
    assert keys.reminder_subject(gift_entry) == ("gift", "g9")


def test_every_entry_due_by_now_sorts_below_the_bound_and_none_later():
    now = "2026-03-01T10:00:00Z"
    bound = keys.reminder_due_bound(now)
    assert keys.reminder_index(now, "c1")["GSI3SK"] < bound
    assert keys.reminder_index("2026-03-01T09:59:59Z", "zzzz")["GSI3SK"] < bound
    assert keys.reminder_index("2026-03-01T10:00:01Z", "0000")["GSI3SK"] > bound
