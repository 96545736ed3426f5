"""Rules between a coupon's fields, on creation and on every edit: claims close by the end of a fixed
validity, a reminder's lead is shorter than the shortest validity a claimer can get, and an edit has the
caps creation has. Every refusal is a 422 naming the field and leaves the store as it was."""

from __future__ import annotations

import json

import pytest
from coupon_service.store.table import Table

from tests.support import call, coupon_body, merchant

pytestmark = pytest.mark.usefixtures("stack")

FIXED = {"type": "fixed", "start": "2030-01-01T00:00:00Z", "end": "2030-06-01T00:00:00Z"}
WINDOW = {"start": "2029-01-01T00:00:00Z", "end": "2030-05-01T00:00:00Z"}


def _store() -> list[str]:
    """Every item of the table, comparable before and after a request."""
    items = Table()._db.scan(TableName=Table().name, ConsistentRead=True)["Items"]
    return sorted(json.dumps(i, sort_keys=True) for i in items)


def _create(**overrides):
    return call("POST", "/coupons", claims=merchant("m1"), body=coupon_body(**overrides))


def _patch(coupon, **changes):
    return call(
        "PATCH", f"/coupons/{coupon['coupon_id']}", claims=merchant("m1"), body={"version": 1, **changes}
    )


def _refused(reply, field: str) -> None:
    assert reply.status == 422, (reply.status, reply.json)
    assert reply.json["error"]["field"] == field, reply.json
    assert reply.json["error"]["message"].startswith(field)


def _reminder(hours: int) -> dict:
    return {"reminder": {"hours_before_expiry": hours, "message": "use it soon"}}


# --- claims close by the end of a fixed validity ---------------------------------------------------


def test_a_coupon_whose_fixed_validity_ended_years_ago_cannot_open_claims():
    # Given a fixed validity that ended in 2011 and a claim window open until 2099
    validity = {"type": "fixed", "start": "2010-01-01T00:00:00Z", "end": "2011-01-01T00:00:00Z"}
    # When it is created, Then it is a 422 naming claim_window.end, and nothing is written
    _refused(_create(validity=validity), "claim_window.end")
    assert _store() == []


@pytest.mark.parametrize(("end", "status"), [("2030-06-01T00:00:00Z", 201), ("2030-06-01T00:00:01Z", 422)])
def test_claims_may_close_at_the_validity_end_and_not_a_second_later(end, status):
    reply = _create(validity=FIXED, claim_window={"start": "2029-01-01T00:00:00Z", "end": end})
    assert reply.status == status, reply.json
    if status == 422:
        _refused(reply, "claim_window.end")
        assert reply.json["error"]["details"] == {"validity_end": "2030-06-01T00:00:00Z"}
        assert _store() == []


def test_an_edit_cannot_open_claims_past_a_fixed_validity():
    coupon = _create(validity=FIXED, claim_window=WINDOW).json
    before = _store()
    # Moving the claim window's end past the validity's end
    late = {"start": WINDOW["start"], "end": "2030-07-01T00:00:00Z"}
    _refused(_patch(coupon, claim_window=late), "claim_window.end")
    # Or moving the validity's end before the claim window's end
    early = {**FIXED, "end": "2030-04-01T00:00:00Z"}
    _refused(_patch(coupon, validity=early), "claim_window.end")
    assert _store() == before
    # Or turning a relative validity into a fixed one that ended long ago
    relative = _create().json
    before = _store()
    old = {"type": "fixed", "start": "2010-01-01T00:00:00Z", "end": "2011-01-01T00:00:00Z"}
    _refused(_patch(relative, validity=old), "claim_window.end")
    # Then nothing changed
    assert _store() == before
    # While an edit that keeps them in order is taken
    assert _patch(coupon, validity={**FIXED, "end": "2030-05-01T00:00:00Z"}).status == 200


# --- a reminder reaches every claimer --------------------------------------------------------------


@pytest.mark.parametrize(
    ("validity", "window_end", "refused_from"),
    [
        ({"type": "hours", "hours": 3}, None, 3),
        ({"type": "hours", "hours": 23}, None, 23),
        # Starting at the claim: a claim at 23:59 local has only the following whole days
        ({"type": "relative_days", "starts_after_days": 0, "days": 2}, None, 23),
        ({"type": "relative_days", "starts_after_days": 0, "days": 1}, None, 1),
        # Starting on a later day: whole days, one of which can be 23 hours long
        ({"type": "relative_days", "starts_after_days": 1, "days": 1}, None, 23),
        ({"type": "relative_days", "starts_after_days": 3, "days": 7}, None, 167),
        # Fixed: the last claimer, just before claims close, has what is left
        (FIXED, "2030-05-31T12:00:00Z", 12),
        (FIXED, "2030-06-01T00:00:00Z", 1),
    ],
)
def test_a_reminder_lead_must_be_shorter_than_the_shortest_validity(validity, window_end, refused_from):
    window = {"start": "2029-01-01T00:00:00Z", "end": window_end} if window_end else WINDOW
    if validity["type"] != "fixed":
        window = coupon_body()["claim_window"]
    # A lead one hour shorter than the shortest validity is taken (when there is one)
    if refused_from > 1:
        ok = _create(validity=validity, claim_window=window, options=_reminder(refused_from - 1))
        assert ok.status == 201, ok.json
    before = _store()
    # And a lead of the shortest validity or longer is a 422 naming the field, writing nothing
    for hours in sorted({refused_from, min(168, refused_from + 1), 168}):
        reply = _create(validity=validity, claim_window=window, options=_reminder(hours))
        _refused(reply, "options.reminder.hours_before_expiry")
        assert reply.json["error"]["details"]["shortest_validity_hours"] <= refused_from
    assert _store() == before


def test_an_edit_that_shortens_the_validity_below_the_reminder_is_refused():
    coupon = _create(options=_reminder(24)).json
    before = _store()
    _refused(_patch(coupon, validity={"type": "hours", "hours": 12}), "options.reminder.hours_before_expiry")
    short_fixed = {"type": "fixed", "start": "2020-01-01T00:00:00Z", "end": "2099-01-01T10:00:00Z"}
    _refused(_patch(coupon, validity=short_fixed), "options.reminder.hours_before_expiry")
    assert _store() == before


# --- an edit has the caps creation has -------------------------------------------------------------


def test_an_edit_cannot_grow_a_generated_coupon_past_the_creation_cap():
    # Given a generated coupon of 100 codes (creation caps generated coupons at 100,000)
    coupon = _create(codes={"mode": "generated", "inventory": 100}).json
    assert _create(codes={"mode": "generated", "inventory": 100_001}).status == 422
    before = _store()
    # When an edit asks for 10,000,000 codes, or 100,001, Then it is a 422 naming inventory
    for total in (10_000_000, 100_001):
        _refused(_patch(coupon, inventory=total), "inventory")
    # And not one code was generated or stored
    assert _store() == before
    # While growing within the cap works
    grown = _patch(coupon, inventory=250)
    assert grown.status == 200 and grown.json["inventory"]["total"] == 250


def test_every_capped_field_of_an_edit_has_the_creation_cap():
    coupon = _create().json
    before = _store()
    for changes, field in [
        ({"inventory": 10_000_001}, "inventory"),
        ({"shard_count": 51}, "shard_count"),
        ({"title": "x" * 61}, "title"),
        ({"description": "x" * 1001}, "description"),
        ({"validity": {"type": "hours", "hours": 24}}, "validity"),
        ({"validity": {"type": "relative_days", "starts_after_days": 366, "days": 1}}, "validity"),
    ]:
        reply = _patch(coupon, **changes)
        assert reply.status == 422, changes
        assert field in reply.json["error"]["field"], (changes, reply.json)
    assert _store() == before
