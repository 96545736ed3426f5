"""Unit tests for the guessing limits: an attempt's place, the lock and pace answers, the attack window,
and the staff lookup budget's refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from coupon_service import lookup_budget
from coupon_service.clock import ManualClock
from coupon_service.validity import to_iso
from coupon_service.wrong_codes import ATTACK_PACE, ATTACK_WINDOW, attack_window, locked, place, slowed_down

NOW = "2030-05-01T12:03:20Z"


@pytest.fixture
def frozen():
    return ManualClock(datetime(2030, 5, 1, 12, 3, 20, tzinfo=UTC))


def test_an_attempt_is_told_its_own_place_not_the_count_grown_since():
    # Given four attempts counted, the first of them ours
    attempts = {"mine": 1, "b": 2, "c": 3, "d": 4}
    # Then ours is the first, and the third is the third
    assert (place(attempts, "mine"), place(attempts, "c")) == (1, 3)


def test_a_given_back_attempt_leaves_a_gap_and_later_ones_move_up():
    # Given the second attempt was a right code, taken back out
    attempts = {"a": 1, "c": 3, "d": 4}
    # Then the fourth is the third still counted
    assert place(attempts, "d") == 3


def test_attempts_written_before_they_were_numbered_count_as_earlier_ones():
    attempts = {"old": "2030-05-01T12:00:00Z", "mine": 2}
    assert place(attempts, "mine") == 2


def test_the_lock_names_its_counter_and_when_it_ends():
    error = locked("this coupon", "2030-05-01T12:18:20Z", NOW)
    assert (error.status, error.code, error.field, error.retry_after) == (
        423,
        "too_many_attempts",
        "verification_code",
        900,
    )
    assert error.details == {"tries_left": 0, "locked_until": "2030-05-01T12:18:20Z"}
    assert error.message == "too many wrong codes for this coupon; try again after 2030-05-01T12:18:20Z"


def test_a_lock_ending_now_still_asks_to_wait_a_second():
    assert locked("this coupon", NOW, NOW).retry_after == 1


def test_a_paced_try_is_told_when_the_next_one_is_welcome():
    # Given the last attempt 20 seconds ago, while the coupon is under attack
    error = slowed_down("2030-05-01T12:03:00Z", ATTACK_PACE, NOW)
    # Then the next try is welcome a minute after it
    assert (error.status, error.code, error.retry_after) == (429, "slowed_down", 40)
    assert error.details == {"retry_at": "2030-05-01T12:04:00Z"}


def test_the_attack_window_is_fixed_on_the_clock():
    start, end = attack_window(NOW)
    assert (to_iso(start), to_iso(end)) == ("2030-05-01T12:00:00Z", "2030-05-01T12:10:00Z")
    assert end - start == ATTACK_WINDOW
    # And its last second still belongs to it, the next to the next window
    assert attack_window("2030-05-01T12:09:59Z")[0] == start
    assert attack_window("2030-05-01T12:10:00Z")[0] == end


def test_a_spent_lookup_budget_answers_429_until_the_window_ends(frozen):
    ends = to_iso(frozen.now() + timedelta(minutes=2))
    error = lookup_budget.spent(ends, frozen.now())
    assert (error.status, error.code, error.field, error.retry_after) == (
        429,
        "too_many_unknown_codes",
        "code",
        120,
    )
    assert error.details == {"retry_at": ends}
