"""The pure rules of points: expiry instants, oldest lots first, check-in streaks, order points."""

from __future__ import annotations

from datetime import UTC, date, datetime

from coupon_service.point_rules import check_in, expire, expiring, expiry_instant, order_points, refund_points


def test_points_expire_at_the_end_of_the_local_day_n_months_later_or_of_the_local_year():
    earned = datetime(2030, 1, 31, 20, 0, tzinfo=UTC)  # already Feb 1st in Shanghai
    assert expiry_instant({"type": "after_months", "months": 1}, earned, "UTC") == "2030-03-01T00:00:00Z"
    assert (
        expiry_instant({"type": "after_months", "months": 1}, earned, "Asia/Shanghai")
        == "2030-03-01T16:00:00Z"
    )
    assert expiry_instant({"type": "end_of_year"}, earned, "Asia/Shanghai") == "2030-12-31T16:00:00Z"
    assert expiry_instant({"type": "never"}, earned, "UTC") == "never"


def test_an_expiry_charges_what_was_spent_to_the_oldest_lots_first():
    assert expire(lots=10, consumed=4) == type(expire(0, 0))(expired=6, consumed=0)
    assert expire(lots=10, consumed=15).expired == 0 and expire(lots=10, consumed=15).consumed == 5
    assert expiring([("2031", 5), ("2030", 10)], consumed=12) == [("2031", 3)]


def test_a_streak_goes_on_after_yesterday_and_starts_again_after_a_missed_day():
    rule = {"daily": 1, "streak_days": 7, "streak_bonus": 7}
    day = date(2030, 5, 7)
    assert (
        check_in(rule, "2030-05-06", 6, day).bonus == 7 and check_in(rule, "2030-05-06", 6, day).streak == 7
    )
    assert (
        check_in(rule, "2030-05-05", 6, day).streak == 1 and check_in(rule, "2030-05-05", 6, day).bonus == 0
    )
    assert check_in(rule, None, 0, day).daily == 1


def test_order_points_and_what_a_refund_takes_back():
    rule = {"points": 1, "per_amount": 100}
    assert order_points(rule, 12_345, "CNY") == 123
    assert order_points({**rule, "currency": "USD"}, 12_345, "CNY") == 0
    assert refund_points(123, 12_345, 6_000) == 59


def test_the_days_a_birthday_run_credits():
    from datetime import timedelta

    from coupon_service.customers import birthdays_on
    from coupon_service.point_rules import birthday_days

    today = date(2027, 3, 10)
    # the first run: today alone (no day done, no start known), or from the rule's first day on
    assert birthday_days(today, None, None, 7) == [today]
    assert birthday_days(today, None, date(2027, 3, 8), 7) == [date(2027, 3, d) for d in (8, 9, 10)]
    # after the last day done, up to today; nothing when today is done
    assert birthday_days(today, date(2027, 3, 8), date(2027, 1, 1), 7) == [date(2027, 3, 9), today]
    assert birthday_days(today, today, date(2027, 1, 1), 7) == []
    # at most 7 days back however late, never before the rule stood again
    assert birthday_days(today, date(2027, 1, 1), date(2026, 1, 1), 7) == [
        today - timedelta(days=n) for n in range(6, -1, -1)
    ]
    assert birthday_days(today, date(2027, 3, 1), today, 7) == [today]
    # 02-29 is kept on 28 February in a year without one, on its own day in a leap year
    assert birthdays_on(date(2027, 2, 28)) == ["02-28", "02-29"]
    assert birthdays_on(date(2028, 2, 28)) == ["02-28"] and birthdays_on(date(2028, 2, 29)) == ["02-29"]


def test_a_debt_is_paid_by_the_first_credits_until_it_is_paid():
    from coupon_service.point_rules import repaid_shares

    assert repaid_shares(5, [1, 7]) == [1, 4]  # a check-in's day, then its streak bonus
    assert repaid_shares(0, [1, 7]) == [0, 0]
    assert repaid_shares(20, [1, 7]) == [1, 7]
