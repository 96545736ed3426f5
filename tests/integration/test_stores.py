"""A merchant's store registry (/stores): each merchant reaches only its own stores, a listing pages
through them, a retried create is the same store, and bad input is a 422 naming the field."""

from __future__ import annotations

import pytest
from coupon_service import keys
from coupon_service.store.table import Table

from tests.builders import make_store
from tests.support import call, customer, merchant, platform, staff

pytestmark = pytest.mark.usefixtures("stack")

ADDRESS = {"line1": "1 Nanjing Road", "city": "Shanghai", "country": "CN"}


def test_a_merchant_creates_reads_edits_lists_and_deletes_its_stores():
    # Given a merchant's new store
    created = make_store("sh-001", address=ADDRESS)
    assert created["merchant_id"] == "m1"
    assert created["address"]["city"] == "Shanghai"
    # When it is read, renamed, moved to another zone and its address removed
    assert call("GET", "/stores/sh-001", claims=merchant("m1")).json == created
    edited = call(
        "PATCH",
        "/stores/sh-001",
        claims=merchant("m1"),
        body={"name": "Bund", "time_zone": "Asia/Hong_Kong", "address": None},
    )
    # Then the edit is answered and stored
    assert edited.status == 200, edited.json
    assert (edited.json["name"], edited.json["time_zone"], edited.json["address"]) == (
        "Bund",
        "Asia/Hong_Kong",
        None,
    )
    assert call("GET", "/stores/sh-001", claims=merchant("m1")).json == edited.json
    # And deleting it leaves a 404 behind, for a second delete too
    assert call("DELETE", "/stores/sh-001", claims=merchant("m1")).json == {
        "store_id": "sh-001",
        "deleted": True,
    }
    assert Table().get(keys.store("m1", "sh-001")) is None
    for method in ("GET", "DELETE"):
        assert call(method, "/stores/sh-001", claims=merchant("m1")).status == 404


def test_another_merchants_store_is_a_404_and_never_listed():
    # Given m2's store and m1's own store under the same id
    make_store("shared-id", merchant_id="m2", name="m2's")
    make_store("only-m2", merchant_id="m2")
    make_store("shared-id", merchant_id="m1", name="m1's")
    # When m1 reaches for m2's store
    for method, body in (("GET", None), ("PATCH", {"name": "mine now"}), ("DELETE", None)):
        reply = call(method, "/stores/only-m2", claims=merchant("m1"), body=body)
        # Then it is the same 404 as a store that does not exist
        assert reply.status == 404, (method, reply.json)
        assert reply.json["error"] == {"code": "not_found", "message": "no such store", "field": "storeId"}
    # And nothing of m2's changed; each merchant sees its own store under the shared id
    assert call("GET", "/stores/only-m2", claims=merchant("m2")).json["name"] == "Store only-m2"
    assert call("GET", "/stores/shared-id", claims=merchant("m1")).json["name"] == "m1's"
    assert call("GET", "/stores/shared-id", claims=merchant("m2")).json["name"] == "m2's"
    listed = call("GET", "/stores", claims=merchant("m1")).json["items"]
    assert [(s["store_id"], s["merchant_id"]) for s in listed] == [("shared-id", "m1")]


def test_the_listing_pages_by_store_id_and_its_token_serves_no_other_merchant():
    # Given five stores of m1 and two of m2
    for i in range(5):
        make_store(f"s{i}")
    for i in range(2):
        make_store(f"s{i}", merchant_id="m2")
    # When m1 pages through its stores two at a time
    seen, tokens = [], [None]
    while True:
        query = {"limit": "2", **({"next_token": tokens[-1]} if tokens[-1] else {})}
        page = call("GET", "/stores", claims=merchant("m1"), query=query).json
        seen += [s["store_id"] for s in page["items"]]
        if not page["next_token"]:
            break
        tokens.append(page["next_token"])
    # Then every store comes once, in id order, in three pages
    assert seen == [f"s{i}" for i in range(5)]
    assert len(tokens) == 3
    # And m2 cannot use m1's token
    reply = call("GET", "/stores", claims=merchant("m2"), query={"limit": "2", "next_token": tokens[1]})
    assert reply.status == 422, reply.json
    assert reply.json["error"]["field"] == "next_token"


def test_a_retried_create_is_the_same_store_and_another_store_under_a_taken_id_a_409():
    # Given a store
    first = make_store("sh-001", address=ADDRESS)
    # When the same request comes again (its answer was lost)
    again = call(
        "POST",
        "/stores",
        claims=merchant("m1"),
        body={"store_id": "sh-001", "name": "Store sh-001", "time_zone": "Asia/Shanghai", "address": ADDRESS},
    )
    # Then it is that store
    assert again.status == 201, again.json
    assert again.json == first
    # And another store under the same id is refused, naming the field, the first store unchanged
    other = call(
        "POST", "/stores", claims=merchant("m1"), body={"store_id": "sh-001", "name": "X", "time_zone": "UTC"}
    )
    assert other.status == 409, other.json
    assert other.json["error"]["code"] == "store_exists"
    assert other.json["error"]["field"] == "store_id"
    assert call("GET", "/stores/sh-001", claims=merchant("m1")).json == first


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"store_id": "sh-001", "name": "A", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"store_id": "sh/001", "name": "A", "time_zone": "UTC"}, "store_id"),
        ({"store_id": "sh-001", "name": "", "time_zone": "UTC"}, "name"),
        ({"store_id": "sh-001", "name": "A\u202e", "time_zone": "UTC"}, "name"),
        ({"store_id": "sh-001", "name": "A", "time_zone": "UTC", "owner": "m2"}, "owner"),
        ({"store_id": "sh-001", "name": "A", "time_zone": "UTC", "address": {"city": "X"}}, "address.line1"),
        ({"store_id": "sh-001", "name": "A", "time_zone": "UTC", "merchant_id": "m2"}, "merchant_id"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(body, field):
    reply = call("POST", "/stores", claims=merchant("m1"), body=body)
    assert reply.status == 422, reply.json
    assert field in reply.json["error"]["field"], reply.json
    assert call("GET", "/stores", claims=merchant("m1")).json["items"] == []
    assert call("GET", "/stores", claims=merchant("m2")).json["items"] == []


def test_an_edit_keeps_the_name_and_zone_and_needs_something_to_change():
    make_store("sh-001")
    for body, field in (({"name": None}, "name"), ({}, "body"), ({"time_zone": "Nowhere/X"}, "time_zone")):
        reply = call("PATCH", "/stores/sh-001", claims=merchant("m1"), body=body)
        assert reply.status == 422, (body, reply.json)
        assert field in reply.json["error"]["field"], reply.json
    assert call("PATCH", "/stores/nope", claims=merchant("m1"), body={"name": "X"}).status == 404


def test_the_platform_keeps_its_own_registry_and_staff_and_customers_have_none():
    # Given a store of the platform operator
    make_store("kiosk-1", merchant_id="platform")
    # Then the platform lists it, merchants do not see it
    assert [s["store_id"] for s in call("GET", "/stores", claims=platform()).json["items"]] == ["kiosk-1"]
    assert call("GET", "/stores/kiosk-1", claims=merchant("m1")).status == 404
    # And staff and customers reach no store route
    for who in (staff("m1"), customer("u1")):
        assert call("GET", "/stores", claims=who).status == 403
        assert (
            call(
                "POST", "/stores", claims=who, body={"store_id": "x", "name": "x", "time_zone": "UTC"}
            ).status
            == 403
        )


def test_a_staff_token_names_its_store_and_the_caller_carries_it():
    from devstack.tokens import mint, verify
    from tests.support import caller_for

    # Given a local token minted for a till at one store, and one for a till without a store
    at_store = verify(mint("staff", "s8", merchant="m1", store="sh-001", key="k" * 48), key="k" * 48)
    anywhere = verify(mint("staff", "s9", merchant="m1", key="k" * 48), key="k" * 48)
    # Then the authorizer's claims carry the store, and the caller reads it from there only
    assert at_store["custom:store_id"] == "sh-001"
    assert caller_for(at_store).store_id == "sh-001"
    assert "custom:store_id" not in anywhere
    assert caller_for(anywhere).store_id is None
    # And only a staff token may name a store
    with pytest.raises(ValueError, match="staff"):
        mint("customer", "u1", store="sh-001", key="k" * 48)
