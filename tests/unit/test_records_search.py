"""The records search's pure rules: which texts are a whole phone number (and which E.164 number), and
which time range a search covers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from coupon_service.errors import Invalid
from coupon_service.models.records import RecordSearch
from coupon_service.privacy import phone_from_search
from coupon_service.records import window

NOW = datetime(2026, 11, 26, 6, 30, 15, 500_000, tzinfo=UTC)


@pytest.mark.parametrize(
    "typed",
    [
        "+86 138 0013 8000",
        "+8613800138000",
        "13800138000",
        "138-0013-8000",
        "+86-138-0013-8000",
        "138 0013 8000",
        "0086 138 0013 8000",
        "(+86) 138.0013.8000",
        " 13800138000 ",
        "013800138000",  # a trunk 0 before a national number
    ],
)
def test_every_common_spelling_is_one_e164_number(typed):
    assert phone_from_search(typed, "86") == "+8613800138000"


def test_a_national_number_is_read_in_the_configured_country():
    assert phone_from_search("020 7946 0958", "44") == "+442079460958"
    assert phone_from_search("+44 20 7946 0958", "86") == "+442079460958"  # a written code wins


FULL_WIDTH = "".join(chr(0xFF10 + int(d)) for d in "13800138000")  # digits a keyboard may send, not ASCII


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "+",
        "8000",
        "+86 138",
        "138x0013x8000",
        "phone",
        "+86 138 0013 8000 8000 8000",
        FULL_WIDTH,
        "+0 1380013800",
    ],
)
def test_what_is_not_a_whole_number_is_none(typed):
    assert phone_from_search(typed, "86") is None


def test_the_range_defaults_to_the_last_week_up_to_now_included():
    start, end = window(RecordSearch(), NOW)
    assert (start, end) == ("2026-11-19T06:30:16Z", "2026-11-26T06:30:16Z")
    start, end = window(RecordSearch(end=datetime(2026, 1, 8, tzinfo=timezone(timedelta(hours=8)))), NOW)
    assert (start, end) == ("2025-12-31T16:00:00Z", "2026-01-07T16:00:00Z")


@pytest.mark.parametrize(
    ("search", "field"),
    [
        (RecordSearch(start=NOW, end=NOW), "to"),
        (RecordSearch(start=NOW, end=NOW - timedelta(seconds=1)), "to"),
        (RecordSearch(start=NOW - timedelta(days=90, seconds=1), end=NOW), "from"),
        (RecordSearch(start=NOW.replace(tzinfo=None)), "from"),
        (RecordSearch(end=datetime(2101, 1, 1, tzinfo=UTC)), "to"),
    ],
)
def test_a_range_out_of_bounds_names_its_field(search, field):
    with pytest.raises(Invalid) as refused:
        window(search, NOW)
    assert refused.value.field == field


def test_ninety_days_exactly_is_allowed():
    start, end = window(RecordSearch(start=NOW - timedelta(days=90), end=NOW), NOW)
    assert datetime.fromisoformat(end) - datetime.fromisoformat(start) == timedelta(days=90)
