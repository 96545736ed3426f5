"""The clock passed in: a manual clock stands or runs and moves only when told; a function reads the clock
its invocation carries, and the system's when the context carries none (as in Lambda)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from coupon_service import api
from coupon_service.clock import SYSTEM, ManualClock

AT = datetime(2030, 5, 1, 12, 3, 20, 750_000, tzinfo=UTC)


def test_a_manual_clock_stands_where_it_is_set_and_moves_when_advanced():
    clock = ManualClock(AT)
    assert clock.now() == clock.now() == AT.replace(microsecond=0)  # whole seconds, as stored
    clock.advance(timedelta(hours=2))
    assert clock.now() == datetime(2030, 5, 1, 14, 3, 20, tzinfo=UTC)
    clock.set(datetime(2031, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2031, 1, 1, tzinfo=UTC)


def test_a_manual_clock_without_a_time_runs_with_the_system_and_keeps_what_it_was_moved_by():
    clock = ManualClock()
    assert abs(clock.now() - SYSTEM.now()) <= timedelta(seconds=1)
    clock.advance(timedelta(days=3))
    assert abs(clock.now() - SYSTEM.now() - timedelta(days=3)) <= timedelta(seconds=1)


def test_two_manual_clocks_are_independent():
    first, second = ManualClock(AT), ManualClock(AT)
    first.advance(timedelta(minutes=5))
    assert second.now() == AT.replace(microsecond=0)


def test_a_function_reads_the_clock_its_invocation_carries_else_the_systems():
    carried = ManualClock(AT)
    # A Lambda context (or a resolver whose current invocation has one) carrying a manual clock
    assert api.clock(SimpleNamespace(clock=carried)) is carried
    assert api.clock(SimpleNamespace(lambda_context=SimpleNamespace(clock=carried))) is carried
    # Lambda's own context carries none; nor does anything else pass for a clock
    assert api.clock(SimpleNamespace(aws_request_id="r")) is SYSTEM
    assert api.clock(SimpleNamespace(clock="2030-05-01T12:00:00Z")) is SYSTEM
    assert api.clock(None) is SYSTEM
