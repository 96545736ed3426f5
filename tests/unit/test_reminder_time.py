"""When a reminder is sent: a lead before the end, or a local time of day before the coupon's last day."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from coupon_service.validity import longest_lead, reminder_time, to_iso


def at(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@pytest.mark.parametrize(
    ("reminder", "valid_until", "zone", "expected"),
    [
        # a lead before the end
        ({"hours_before_expiry": 24}, "2030-03-10T16:00:00Z", "Asia/Shanghai", "2030-03-09T16:00:00Z"),
        # 09:00 in Shanghai the day before the last day (a coupon ending at local midnight: its last day is
        # the 10th)
        ({"at": "09:00", "days_before": 1}, "2030-03-10T16:00:00Z", "Asia/Shanghai", "2030-03-09T01:00:00Z"),
        # on the last day itself
        ({"at": "09:00", "days_before": 0}, "2030-03-10T16:00:00Z", "Asia/Shanghai", "2030-03-10T01:00:00Z"),
        # days_before omitted is the last day
        ({"at": "21:30"}, "2030-03-10T16:00:00Z", "Asia/Shanghai", "2030-03-10T13:30:00Z"),
        # the last day's 09:00 is after the end (08:00 local): the day before
        ({"at": "09:00", "days_before": 0}, "2030-03-10T00:00:00Z", "Asia/Shanghai", "2030-03-09T01:00:00Z"),
        # across a daylight-saving change, still 09:00 local (CEST, then CET the day before)
        ({"at": "09:00", "days_before": 1}, "2030-03-31T22:00:00Z", "Europe/Berlin", "2030-03-30T08:00:00Z"),
    ],
)
def test_the_reminder_time(reminder, valid_until, zone, expected):
    assert to_iso(reminder_time({"message": "m", **reminder}, at(valid_until), zone)) == expected


@pytest.mark.parametrize("days_before", [0, 1, 5])
@pytest.mark.parametrize("end", ["2030-03-10T16:00:00Z", "2030-03-10T03:17:00Z", "2030-10-27T00:30:00Z"])
def test_a_time_of_day_never_comes_before_its_longest_lead_nor_after_the_end(days_before, end):
    reminder = {"at": "23:59", "days_before": days_before, "message": "m"}
    for zone in ("Asia/Shanghai", "Europe/Berlin", "America/New_York"):
        moment = reminder_time(reminder, at(end), zone)
        assert at(end) - longest_lead(reminder) <= moment < at(end)
