"""Everything editable that can safely be: each edit is versioned, in the coupon's history (who, when, what,
before and after, secrets as "changed") and in one `CouponChanged`; a bad edit changes nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from coupon_service import claims, events
from coupon_service.reminders import Reminders
from coupon_service.validity import from_iso, to_iso

from devstack.streams import StreamReader, published
from tests.builders import claim, make_coupon, stored_claim
from tests.support import call, coupon_body, customer, invoke, merchant

pytestmark = pytest.mark.usefixtures("stack")

CODES = {"self_service": {"verification_code": "246810"}}


@pytest.fixture
def stream(emulator, stack):
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.drain()
    return reader


def edit(coupon, body, version=1, merchant_id="m1"):
    return call(
        "PATCH",
        f"/coupons/{coupon['coupon_id']}",
        claims=merchant(merchant_id),
        body={"version": version, **body},
    )


def history(coupon_id, merchant_id="m1", **query):
    return call("GET", f"/coupons/{coupon_id}/history", claims=merchant(merchant_id), query=query or None)


def changed_events(reader):
    return [e for r in reader.drain() for e in events.derive(r) if isinstance(e, events.CouponChanged)]


# (coupon overrides, the edit, the fields it changes, (field, before, after) to check)
EDITS = {
    "title": ({}, {"title": "20 off"}, ["title"], ("title", "10 off 100", "20 off")),
    "status": ({}, {"status": "paused"}, ["status"], ("status", "active", "paused")),
    "claim_window": (
        {},
        {"claim_window": {"start": "2020-01-01T00:00:00Z", "end": "2098-01-01T00:00:00Z"}},
        ["claim_window"],
        (
            "claim_window",
            {"start": "2020-01-01T00:00:00Z", "end": "2099-01-01T00:00:00Z"},
            {"start": "2020-01-01T00:00:00Z", "end": "2098-01-01T00:00:00Z"},
        ),
    ),
    "validity": (
        {},
        {"validity": {"type": "relative_days", "starts_after_days": 0, "days": 60}},
        ["validity"],
        (
            "validity",
            {"type": "relative_days", "starts_after_days": 0, "days": 30},
            {"type": "relative_days", "starts_after_days": 0, "days": 60},
        ),
    ),
    "inventory": ({}, {"inventory": 150}, ["inventory"], ("inventory", 100, 150)),
    "shard_count": ({}, {"shard_count": 3}, ["shard_count"], ("shard_count", 1, 3)),
    "reminder": (
        {},
        {"options": {"reminder": {"hours_before_expiry": 24, "message": "Use it soon"}}},
        ["options.reminder"],
        ("options.reminder", None, {"hours_before_expiry": 24, "message": "Use it soon"}),
    ),
    "reminder removed": (
        {"options": {"reminder": {"hours_before_expiry": 24, "message": "Use it soon"}}},
        {"options": {"reminder": None}},
        ["options.reminder"],
        ("options.reminder", {"hours_before_expiry": 24, "message": "Use it soon"}, None),
    ),
    "reminder at a time of day": (
        {"options": {"reminder": {"hours_before_expiry": 24, "message": "Use it soon"}}},
        {"options": {"reminder": {"at": "09:00", "days_before": 1, "message": "Tomorrow is the last day"}}},
        ["options.reminder"],
        (
            "options.reminder",
            {"hours_before_expiry": 24, "message": "Use it soon"},
            {"at": "09:00", "days_before": 1, "message": "Tomorrow is the last day"},
        ),
    ),
    "giftable": (
        {},
        {"options": {"giftable": True}},
        ["options.giftable"],
        ("options.giftable", False, True),
    ),
    "notify the giver": (
        {"options": {"giftable": True}},
        {"options": {"notify_giver": True, "gift_message": "From a friend"}},
        ["options.gift_message", "options.notify_giver"],
        ("options.gift_message", None, "From a friend"),
    ),
    "channels": (
        {},
        {"options": {"channels": ["wechat", "poster"]}},
        ["options.channels"],
        ("options.channels", [], ["wechat", "poster"]),
    ),
    "limit raised": (
        {},
        {"options": {"per_customer_limit": 3}},
        ["options.per_customer_limit"],
        ("options.per_customer_limit", 1, 3),
    ),
    "limit lowered": (
        {"options": {"per_customer_limit": 3}},
        {"options": {"per_customer_limit": 1}},
        ["options.per_customer_limit"],
        ("options.per_customer_limit", 3, 1),
    ),
    "store codes": (
        {"options": CODES},
        {"options": {"self_service": {"verification_code": "975310"}}},
        ["self_service.codes"],
        ("self_service.codes", "changed", "changed"),
    ),
    "staff code": (
        {"options": CODES},
        {"options": {"self_service": {"verification_code": "975310", "staff_code": "864209"}}},
        ["self_service.codes", "self_service.staff_code"],
        ("self_service.staff_code", None, "changed"),
    ),
    "audience customers": (
        {"audience": {"type": "customers", "customer_ids": ["u1"]}},
        {"audience": {"add_customer_ids": ["u2", "u3"]}},
        ["audience.customer_ids"],
        ("audience.customer_ids", None, {"added": ["u2", "u3"]}),
    ),
    "audience tags": (
        {"audience": {"type": "tags", "tags": ["gold"]}},
        {"audience": {"add_tags": ["silver", "gold"]}},
        ["audience.tags"],
        ("audience.tags", ["gold"], ["gold", "silver"]),
    ),
}


@pytest.mark.parametrize("name", list(EDITS))
def test_each_editable_field_is_versioned_in_the_history_and_in_one_coupon_changed(name, stream):
    overrides, body, fields, (field, before, after) = EDITS[name]
    coupon = make_coupon(**overrides)
    stream.drain()

    # When the merchant edits the field
    reply = edit(coupon, body)

    # Then the coupon moved to version 2, and says whether held coupons change
    assert reply.status == 200, reply.json
    assert reply.json["version"] == 2
    assert reply.json["holders"] == ("extending" if name == "validity" else "unchanged")
    # And the history says who changed what, from what to what
    (entry,) = history(coupon["coupon_id"]).json["items"]
    assert (entry["version"], entry["by"], entry["fields"]) == (2, "owner-m1", fields)
    assert (entry["before"][field], entry["after"][field]) == (before, after)
    # And one CouponChanged names the same fields
    (event,) = changed_events(stream)
    assert (event.coupon_id, event.coupon_version, event.changed, event.changed_by) == (
        coupon["coupon_id"],
        2,
        fields,
        "owner-m1",
    )
    # And no code, nor its hash, is in either
    written = json.dumps(entry) + event.model_dump_json()
    assert not [
        s for s in ("246810", "975310", "864209", "verification_hash", "staff_code_hash") if s in written
    ]


BAD_EDITS = {
    "lead time longer than validity": (
        {"validity": {"type": "hours", "hours": 5}},
        {"options": {"reminder": {"hours_before_expiry": 6, "message": "Soon"}}},
        422,
        "options.reminder.hours_before_expiry",
    ),
    "a time of day too early for the validity": (
        {"validity": {"type": "hours", "hours": 5}},
        {"options": {"reminder": {"at": "09:00", "days_before": 0, "message": "Soon"}}},
        422,
        "options.reminder.days_before",
    ),
    "both kinds of reminder": (
        {},
        {"options": {"reminder": {"hours_before_expiry": 2, "at": "09:00", "message": "Soon"}}},
        422,
        "body.options.reminder",
    ),
    "notify the giver without a message": (
        {"options": {"giftable": True}},
        {"options": {"notify_giver": True}},
        422,
        "options.gift_message",
    ),
    "a points coupon made giftable": (
        {"terms": {"kind": "points", "points": 100}},
        {"options": {"giftable": True}},
        422,
        "options.giftable",
    ),
    "customers added to a coupon for everyone": (
        {},
        {"audience": {"add_customer_ids": ["u9"]}},
        422,
        "audience.add_customer_ids",
    ),
    "tags taken off": (
        {"audience": {"type": "tags", "tags": ["gold"]}},
        {"audience": {"tags": []}},
        422,
        None,
    ),
    "an unknown field": ({}, {"options": {"logo_url": "x"}}, 422, "body.options.logo_url"),
    "the face value": ({}, {"terms": {"kind": "cash_value", "amount_off": 1}}, 422, "body.terms"),
    "self-service switched on": (
        {},
        {"options": {"self_service": {"verification_code": "975310"}}},
        422,
        "options.self_service",
    ),
    "a stale version": ({}, {"title": "late", "version": 7}, 409, "version"),
}


@pytest.mark.parametrize("name", list(BAD_EDITS))
def test_a_bad_edit_is_refused_naming_the_field_and_changes_nothing(name, stream):
    overrides, body, status, field = BAD_EDITS[name]
    coupon = make_coupon(**overrides)
    stream.drain()

    reply = call(
        "PATCH", f"/coupons/{coupon['coupon_id']}", claims=merchant("m1"), body={"version": 1, **body}
    )

    assert reply.status == status, reply.json
    if field is not None:
        assert reply.json["error"]["field"] == field
    # Nothing changed: the same version and coupon, no history entry, no event
    assert call("GET", f"/coupons/{coupon['coupon_id']}", claims=merchant("m1")).json == coupon
    assert history(coupon["coupon_id"]).json["items"] == []
    assert changed_events(stream) == []


def test_notify_the_giver_needs_its_message_on_create_too():
    body = coupon_body(options={"giftable": True, "notify_giver": True})
    reply = call("POST", "/coupons", claims=merchant("m1"), body=body)
    assert reply.status == 422
    assert reply.json["error"]["field"] == "body.options.gift_message"


def test_an_edit_that_changes_nothing_makes_no_version():
    coupon = make_coupon()
    reply = edit(coupon, {"title": coupon["title"], "status": "active"})
    assert reply.status == 200 and reply.json["version"] == 1
    assert history(coupon["coupon_id"]).json["items"] == []


def test_a_lowered_limit_keeps_what_customers_hold_and_stops_more_claims():
    # Given a customer holding two of a coupon limited to three per customer
    coupon = make_coupon(options={"per_customer_limit": 3})
    mine = [claim(coupon["coupon_id"], user="u1").json for _ in range(2)]
    # When the merchant lowers the limit to one
    assert edit(coupon, {"options": {"per_customer_limit": 1}}).status == 200
    claims.cache.clear()  # the claim path keeps a coupon's terms for a few seconds
    # Then the customer keeps both, and cannot claim a third; another customer still claims one
    assert all(stored_claim(c["claim_id"])["state"] == "available" for c in mine)
    assert claim(coupon["coupon_id"], user="u1").json["error"]["code"] == "limit_reached"
    assert claim(coupon["coupon_id"], user="u2").status == 201
    # And raising it again lets the first claim more
    assert edit(coupon, {"options": {"per_customer_limit": 4}}, version=2).status == 200
    claims.cache.clear()
    assert claim(coupon["coupon_id"], user="u1").status == 201


def test_customers_added_to_the_audience_may_claim():
    coupon = make_coupon(audience={"type": "customers", "customer_ids": ["u1"]})
    assert claim(coupon["coupon_id"], user="u2").status == 403
    assert edit(coupon, {"audience": {"add_customer_ids": ["u2"]}}).status == 200
    claims.cache.clear()
    assert claim(coupon["coupon_id"], user="u2").status == 201
    assert claim(coupon["coupon_id"], user="u3").status == 403


def test_new_claims_take_the_new_options_and_held_ones_keep_theirs():
    coupon = make_coupon()
    before = claim(coupon["coupon_id"], user="u1", channel="wechat").json
    body = {"options": {"giftable": True, "channels": ["wechat"], "per_customer_limit": 2}}
    assert edit(coupon, body).status == 200
    claims.cache.clear()  # the claim path keeps a coupon's terms for a few seconds
    after = claim(coupon["coupon_id"], user="u1", channel="wechat").json
    assert (stored_claim(before["claim_id"])["giftable"], stored_claim(before["claim_id"])["channel"]) == (
        False,
        "other",
    )
    assert (stored_claim(after["claim_id"])["giftable"], stored_claim(after["claim_id"])["channel"]) == (
        True,
        "wechat",
    )


def test_the_history_pages_newest_first_and_its_token_works_only_for_its_coupon():
    coupon, other = make_coupon(), make_coupon()
    for version, title in enumerate(("one", "two", "three"), start=1):
        assert edit(coupon, {"title": title}, version=version).status == 200
    assert edit(other, {"title": "x"}).status == 200

    first = history(coupon["coupon_id"], limit="2").json
    assert [e["after"]["title"] for e in first["items"]] == ["three", "two"]
    second = history(coupon["coupon_id"], limit="2", next_token=first["next_token"]).json
    assert [e["after"]["title"] for e in second["items"]] == ["one"] and second["next_token"] is None
    # A token of one coupon's history is no start for another's, and another merchant sees nothing
    borrowed = history(other["coupon_id"], next_token=first["next_token"])
    assert (borrowed.status, borrowed.json["error"]["field"]) == (422, "next_token")
    assert history(coupon["coupon_id"], merchant_id="m2").status == 404


def test_a_rotation_reaches_the_bus_as_a_field_name_without_a_code(emulator, stack, stream):
    coupon = make_coupon(options=CODES)
    stream.drain()
    assert edit(coupon, {"options": {"self_service": {"verification_code": "975310"}}}).status == 200
    assert invoke("publisher", {"Records": stream.drain()}) == {"batchItemFailures": []}
    delivered = [
        e for e in published(emulator.url, stack.events_queue_url) if e["detail-type"] == "CouponChanged"
    ]
    assert [e["detail"]["changed"] for e in delivered] == [["self_service.codes"]]
    assert "975310" not in json.dumps(delivered) and "hash" not in json.dumps(delivered)


def test_a_shorter_validity_leaves_held_coupons_as_they_are():
    coupon = make_coupon()
    held = claim(coupon["coupon_id"]).json
    reply = edit(coupon, {"validity": {"type": "relative_days", "starts_after_days": 0, "days": 10}})
    assert (reply.status, reply.json["holders"]) == (200, "unchanged")
    assert stored_claim(held["claim_id"])["valid_until"] == held["valid_until"].replace("+00:00", "Z")


def test_another_merchants_coupon_has_no_history_to_read():
    coupon = make_coupon()
    assert history(coupon["coupon_id"], merchant_id="m2").status == 404
    assert call("GET", f"/coupons/{coupon['coupon_id']}/history", claims=customer("u1")).status == 403


def test_a_reminder_at_a_time_of_day_is_sent_then_and_new_claims_take_a_new_reminder():
    # Given a coupon valid 10 days from the claim, reminding at 09:00 Shanghai time the day before the last
    reminder = {"at": "09:00", "days_before": 1, "message": "Tomorrow is the last day"}
    coupon = make_coupon(
        validity={"type": "relative_days", "starts_after_days": 0, "days": 10}, options={"reminder": reminder}
    )
    first = claim(coupon["coupon_id"], user="u1").json
    stored = stored_claim(first["claim_id"])
    # Then its reminder is at 09:00 local (01:00 UTC) on the day before its last day
    # (it ends at local midnight, 16:00 UTC: its last day began 8 hours before; the day before, 09:00 local
    # is 01:00 UTC on the end's UTC date less one day)
    ends = from_iso(stored["valid_until"])
    assert ends.hour == 16
    assert stored["remind_at"] == to_iso(ends.replace(hour=1) - timedelta(days=1))
    # And the reminder run sends it then, not before
    due = from_iso(stored["remind_at"])
    assert Reminders().run(now=due - timedelta(minutes=1)).reminded == 0
    assert Reminders().run(now=due + timedelta(minutes=1)).reminded == 1

    # When the merchant changes the reminder to a lead of 48 hours
    lead = {"hours_before_expiry": 48, "message": "Two days left"}
    assert edit(coupon, {"options": {"reminder": lead}}).status == 200
    claims.cache.clear()
    second = stored_claim(claim(coupon["coupon_id"], user="u2").json["claim_id"])
    # Then a new claim is reminded 48 hours before its end, with the new message; the held one kept its own
    assert second["remind_at"] == to_iso(from_iso(second["valid_until"]) - timedelta(hours=48))
    assert second["reminder_message"] == "Two days left"
    assert stored_claim(first["claim_id"])["reminder_message"] == "Tomorrow is the last day"
