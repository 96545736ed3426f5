"""Every bad input is a 4xx in the one error shape, naming the field, and writes nothing: strict JSON types,
dates in range, display texts without control or bidi characters, bounded nesting, JSON bodies only,
and a last-resort 500 that tells nothing of the internals."""

from __future__ import annotations

import io
import json

import pytest
from coupon_service.store.table import Table

from tests.support import call, coupon_body, customer, merchant, staff

pytestmark = pytest.mark.usefixtures("stack")

GIFT_TERMS = {"kind": "gift", "item": "a coffee"}


def _item_count() -> int:
    return len(Table()._db.scan(TableName=Table().name)["Items"])


def _create(body, **kwargs):
    return call("POST", "/coupons", claims=merchant("m1"), body=body, **kwargs)


def _assert_refused(reply, status: int, field: str) -> None:
    """The one error shape: {"error": {code, message, field}}, naming `field`."""
    assert reply.status == status, (reply.status, reply.json)
    error = reply.json["error"]
    assert set(error) >= {"code", "message", "field"} and error["message"], reply.json
    assert field in error["field"], (field, error["field"])


# --- strict types --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (coupon_body(codes={"mode": "random_on_claim", "inventory": "10"}), "inventory"),
        (coupon_body(codes={"mode": "generated", "inventory": "10"}), "inventory"),
        (coupon_body(terms={"kind": "discount", "percent_off": "10"}), "percent_off"),
        (coupon_body(terms={"kind": "cash_value", "amount_off": 1000.0}), "amount_off"),
        (coupon_body(options={"giftable": "true"}), "giftable"),
        (coupon_body(options={"giftable": 1}), "giftable"),
        (coupon_body(options={"per_customer_limit": "2"}), "per_customer_limit"),
        (coupon_body(shard_count="2"), "shard_count"),
        (coupon_body(codes={"mode": "imported", "case_sensitive": "false"}), "case_sensitive"),
        (coupon_body(validity={"type": "hours", "hours": "3"}), "hours"),
        (coupon_body(title=7), "title"),
    ],
)
def test_numbers_and_booleans_sent_as_strings_are_refused(body, field):
    # Given a coupon with a number or a boolean sent as another JSON type, When it is created
    reply = _create(body)
    # Then it is a 422 naming the field, and nothing is written
    _assert_refused(reply, 422, field)
    assert _item_count() == 0


def test_a_patch_and_an_order_with_strings_for_numbers_are_refused():
    coupon = _create(coupon_body()).json
    path = f"/coupons/{coupon['coupon_id']}"
    # A version or an inventory as a string is refused, and the coupon is unchanged
    _assert_refused(call("PATCH", path, claims=merchant("m1"), body={"version": "1"}), 422, "version")
    reply = call("PATCH", path, claims=merchant("m1"), body={"version": 1, "inventory": "10"})
    _assert_refused(reply, 422, "inventory")
    assert call("GET", path, claims=merchant("m1")).json == coupon
    # A quote whose line prices are strings is refused
    line = {"sku": "a", "unit_price": "100", "quantity": 1}
    order = {"merchant_id": "m1", "currency": "CNY", "lines": [line]}
    reply = call("POST", "/checkout/quote", claims=customer("u1"), body={"order": order})
    _assert_refused(reply, 422, "unit_price")


# --- dates ---------------------------------------------------------------------------------------

OUT_OF_RANGE = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:00:00-05:00",
    "1999-12-31T23:59:59Z",
    "2101-01-01T00:00:00Z",
]
NOT_INSTANTS = ["2030-01-01T00:00:00", "2030-01-01", 1893456000, "next tuesday"]


@pytest.mark.parametrize(
    ("place", "field"),
    [
        ("claim_window.start", "claim_window.start"),
        ("claim_window.end", "claim_window.end"),
        ("validity.start", "validity.fixed.start"),
        ("validity.end", "validity.fixed.end"),
    ],
)
def test_dates_out_of_range_naive_or_not_strings_are_refused(place, field):
    for moment in OUT_OF_RANGE + NOT_INSTANTS:
        # Given a coupon with one of its instants out of 2000..2100, without an offset, or not a string
        window = {"start": "2030-01-01T00:00:00Z", "end": "2030-06-01T00:00:00Z"}
        validity = {"type": "fixed", "start": "2030-01-01T00:00:00Z", "end": "2030-12-01T00:00:00Z"}
        parts = {"claim_window": window, "validity": validity}
        name, end = place.split(".")
        parts[name] = {**parts[name], end: moment}
        # When it is created
        reply = _create(coupon_body(**parts))
        # Then it is a 422 naming the field, never a 5xx, and nothing is written
        _assert_refused(reply, 422, field)
    assert _item_count() == 0


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2030-01-01T00:00:00"])
def test_a_patch_with_a_date_out_of_range_is_refused(moment):
    coupon = _create(coupon_body()).json
    path = f"/coupons/{coupon['coupon_id']}"
    for body, field in [
        ({"claim_window": {"start": "2030-01-01T00:00:00Z", "end": moment}}, "claim_window.end"),
        (
            {"validity": {"type": "fixed", "start": moment, "end": "2030-01-01T00:00:00Z"}},
            "validity.fixed.start",
        ),
    ]:
        reply = call("PATCH", path, claims=merchant("m1"), body={"version": 1, **body})
        _assert_refused(reply, 422, field)
    assert call("GET", path, claims=merchant("m1")).json == coupon


def test_an_offset_within_range_is_read_as_its_instant():
    # Given a window written with a +08:00 offset, When the coupon is created, Then it is kept in UTC
    window = {"start": "2030-01-01T08:00:00+08:00", "end": "2030-02-01T08:00:00+08:00"}
    reply = _create(coupon_body(claim_window=window))
    assert reply.status == 201, reply.json
    assert reply.json["claim_window"] == {"start": "2030-01-01T00:00:00Z", "end": "2030-02-01T00:00:00Z"}


# --- display texts -------------------------------------------------------------------------------

REFUSED_CHARACTERS = ["\x00", "\u202e", "\u2066", "\u200f", "\u061c", "\x1b", "\x85", "\n"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "10 off{}gpj.exe"}, "title"),
        ({"description": "Ten{}off"}, "description"),
        ({"terms": {"kind": "gift", "item": "a{}coffee"}, "options": {"giftable": True}}, "item"),
        ({"terms": {"kind": "generic", "terms": "one{}free"}}, "terms"),
        (
            {"terms": GIFT_TERMS, "options": {"giftable": True, "gift_message": "for{}you"}},
            "gift_message",
        ),
        ({"options": {"reminder": {"hours_before_expiry": 2, "message": "so{}on"}}}, "message"),
    ],
)
def test_control_and_bidi_characters_are_refused_in_display_texts(overrides, field):
    for char in REFUSED_CHARACTERS:
        # Given a coupon whose display text holds a control or bidi character
        body = coupon_body(**json.loads(json.dumps(overrides).replace("{}", json.dumps(char)[1:-1])))
        # When it is created, Then it is a 422 naming the field and the character, and nothing is written
        reply = _create(body)
        _assert_refused(reply, 422, field)
        assert f"U+{ord(char):04X}" in reply.json["error"]["message"]
    assert _item_count() == 0


def test_control_characters_are_refused_in_an_edit_a_claim_note_and_a_scanned_code():
    coupon = _create(coupon_body()).json
    path = f"/coupons/{coupon['coupon_id']}"
    reply = call("PATCH", path, claims=merchant("m1"), body={"version": 1, "title": "a\u202eb"})
    _assert_refused(reply, 422, "title")
    assert call("GET", path, claims=merchant("m1")).json == coupon
    before = _item_count()
    reply = call("POST", f"{path}/claims", claims=customer("u1"), body={"note": "hi\x00"})
    _assert_refused(reply, 422, "note")
    reply = call("POST", "/redemptions", claims=staff("m1"), body={"code": "ABCD\x00EFGH"})
    _assert_refused(reply, 422, "code")
    assert _item_count() == before


def test_ordinary_text_in_any_script_is_kept():
    title = "满100减10, café ☕"
    reply = _create(coupon_body(title=title, description="שלום עולם"))
    assert reply.status == 201 and reply.json["title"] == title


# --- the body itself -----------------------------------------------------------------------------

DEEP = ["[" * 10_000 + "]" * 10_000, '{"a":' * 10_000 + "1" + "}" * 10_000]


@pytest.mark.parametrize("body", DEEP, ids=["arrays", "objects"])
@pytest.mark.parametrize(
    ("method", "path", "who"),
    [
        ("POST", "/coupons", merchant("m1")),
        ("PATCH", "/coupons/" + "a" * 32, merchant("m1")),
        ("POST", "/redemptions", staff("m1")),
        ("POST", "/checkout/quote", customer("u1")),
        ("POST", "/me/coupons/" + "a" * 32 + "/redemption", customer("u1")),
        ("POST", "/coupons/" + "a" * 32 + "/claims", customer("u1")),
    ],
)
def test_json_nested_thousands_deep_is_a_422(body, method, path, who):
    reply = call(method, path, claims=who, body=body)
    _assert_refused(reply, 422, "body")
    assert reply.json["error"]["code"] == "too_deeply_nested"
    assert _item_count() == 0


def test_nesting_just_within_the_limit_is_validated_as_usual():
    # 32 levels pass the depth check and are then refused by the model, naming the field
    nested: object = 1
    for _ in range(30):
        nested = [nested]
    reply = _create(coupon_body(title=nested))
    _assert_refused(reply, 422, "title")


@pytest.mark.parametrize("body", ['{"title": "x",', "{'title': 'x'}", "\ufeff{}", '{"a": 1} extra'])
def test_malformed_json_is_a_422_in_the_one_shape(body):
    reply = call("POST", "/coupons", claims=merchant("m1"), body=body)
    _assert_refused(reply, 422, "body")
    assert _item_count() == 0


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_a_body_that_is_not_json_is_a_415_in_the_one_shape(content_type):
    reply = _create(json.dumps(coupon_body()), headers={"Content-Type": content_type})
    _assert_refused(reply, 415, "Content-Type")
    assert reply.json["error"]["code"] == "unsupported_media_type"
    assert _item_count() == 0


def test_json_with_a_charset_is_json():
    reply = _create(json.dumps(coupon_body()), headers={"Content-Type": "application/json; charset=utf-8"})
    assert reply.status == 201, reply.json


# --- the last resort -----------------------------------------------------------------------------


def test_an_unexpected_exception_is_a_json_500_without_internals_and_is_logged(monkeypatch):
    from coupon_service.coupons import Coupons
    from coupon_service.observability import logger

    coupon = _create(coupon_body()).json

    def broken(*_args, **_kwargs):
        raise RuntimeError("table t-secret-internal-name exploded at /opt/python/coupons.py")

    monkeypatch.setattr(Coupons, "get", broken)
    stream = io.StringIO()
    previous = logger.registered_handler.setStream(stream)
    try:
        reply = call(
            "GET",
            f"/coupons/{coupon['coupon_id']}",
            claims=merchant("m1"),
        )
    finally:
        logger.registered_handler.setStream(previous)
    # Then the caller gets a JSON 500 in the one shape, with nothing of the exception
    assert reply.status == 500
    assert reply.headers["content-type"] == "application/json"
    error = reply.json["error"]
    assert error["code"] == "internal" and error["message"]
    assert "exploded" not in reply.raw.decode() and "Traceback" not in reply.raw.decode()
    assert "RuntimeError" not in reply.raw.decode()
    # And the log has the exception with its stack and the request's correlation id
    logged = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    (entry,) = [e for e in logged if e.get("message") == "unexpected error"]
    assert "exploded" in entry["exception"] and "Traceback" in entry["exception"]
    assert entry["correlation_id"] and entry["correlation_id"] == error["details"]["correlation_id"]


def test_a_number_with_thousands_of_digits_is_a_422():
    # Python refuses to read an integer of more than 4,300 digits (a guard against slow conversions)
    body = json.dumps(coupon_body()).replace('"inventory": 100', '"inventory": ' + "9" * 5000)
    reply = _create(body)
    _assert_refused(reply, 422, "body")
    assert _item_count() == 0


def test_a_rule_of_our_own_reads_as_its_reason():
    reply = _create(coupon_body(title="a\u202eb"))
    assert reply.json["error"]["message"] == "body.title: character U+202E at position 1 cannot be displayed"
