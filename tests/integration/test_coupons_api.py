"""Merchant coupon management through the coupons function, as API Gateway invokes it."""

from __future__ import annotations

import pytest
from coupon_service import keys
from coupon_service.store.table import Table

from tests.support import call, coupon_body, customer, merchant, platform, staff

pytestmark = pytest.mark.usefixtures("stack")


def create(body=None, who=None, headers=None):
    return call("POST", "/coupons", claims=who or merchant("m1"), body=body or coupon_body(), headers=headers)


def test_create_then_get_list_and_stats():
    # Given a merchant creates an active coupon with 100 units
    created = create()
    assert created.status == 201, created.json
    coupon = created.json
    assert coupon["version"] == 1 and coupon["merchant_id"] == "m1" and coupon["issuer"] == "merchant"
    assert coupon["inventory"] == {"total": 100, "claimed": 0, "remaining": 100}

    # When they read it back, list their coupons and read the stats
    got = call("GET", f"/coupons/{coupon['coupon_id']}", claims=merchant("m1"))
    listed = call("GET", "/coupons", claims=merchant("m1"))
    stats = call("GET", f"/coupons/{coupon['coupon_id']}/stats", claims=merchant("m1"))

    # Then all three agree and nothing secret is shown
    assert got.status == 200 and got.json == coupon
    assert [c["coupon_id"] for c in listed.json["items"]] == [coupon["coupon_id"]]
    assert stats.json["inventory"]["remaining"] == 100 and stats.json["shards"] == coupon["shard_count"]


def test_shards_hold_the_inventory_and_the_claim_conditions():
    # Given a coupon of 1,000 units over 4 shards
    coupon = create(coupon_body(codes={"mode": "random_on_claim", "inventory": 1000}, shard_count=4)).json
    # Then each shard is its own partition, carries status and claim window, and the units sum to 1,000
    shards = [Table().get(keys.shard(coupon["coupon_id"], i)) for i in range(4)]
    assert sum(s["remaining"] for s in shards) == 1000
    assert {s["status"] for s in shards} == {"active"}
    assert {s["claim_end"] for s in shards} == {"2099-01-01T00:00:00Z"}


def test_generated_codes_are_made_at_creation():
    # Given a generated coupon of 250 codes over 2 shards
    coupon = create(coupon_body(codes={"mode": "generated", "inventory": 250}, shard_count=2)).json
    # Then the pool holds 250 distinct system codes at positions 0..size-1 of each shard
    table = Table()
    codes = []
    for index in range(2):
        shard = table.get(keys.shard(coupon["coupon_id"], index))
        chunks = [table.get(keys.pool_chunk(coupon["coupon_id"], index, c)) for c in range(2)]
        held = [code for chunk in chunks if chunk for code in chunk["codes"]]
        assert len(held) == shard["pool_size"] == shard["remaining"] == 125 and shard["next_position"] == 0
        codes.extend(held)
    assert len(set(codes)) == 250


def test_listing_pages_newest_first_and_hides_deleted():
    ids = [create(coupon_body(title=f"c{i}")).json["coupon_id"] for i in range(5)]
    assert call("DELETE", f"/coupons/{ids[2]}", claims=merchant("m1")).status == 200

    first = call("GET", "/coupons", claims=merchant("m1"), query={"limit": "2"}).json
    second = call(
        "GET", "/coupons", claims=merchant("m1"), query={"limit": "2", "next_token": first["next_token"]}
    )
    seen = [c["coupon_id"] for c in first["items"] + second.json["items"]]
    assert seen == [ids[4], ids[3], ids[1], ids[0]]


def test_a_page_token_from_another_merchant_is_refused():
    for i in range(3):
        create(coupon_body(title=f"c{i}"))
    token = call("GET", "/coupons", claims=merchant("m1"), query={"limit": "1"}).json["next_token"]
    reply = call("GET", "/coupons", claims=merchant("m2"), query={"next_token": token})
    assert reply.status == 422 and reply.json["error"]["field"] == "next_token"


def test_delete_hides_the_coupon_and_stops_claims_on_every_shard():
    coupon = create(coupon_body(shard_count=3)).json
    assert call("DELETE", f"/coupons/{coupon['coupon_id']}", claims=merchant("m1")).status == 200
    # Its owner still reads it (customers may hold it), marked deleted
    assert call("GET", f"/coupons/{coupon['coupon_id']}", claims=merchant("m1")).json["status"] == "deleted"
    assert call("DELETE", f"/coupons/{coupon['coupon_id']}", claims=merchant("m1")).status == 404
    shards = [Table().get(keys.shard(coupon["coupon_id"], i)) for i in range(3)]
    assert {s["status"] for s in shards} == {"deleted"}


def test_edit_status_window_inventory_and_validity():
    coupon = create(coupon_body(shard_count=2)).json
    reply = call(
        "PATCH",
        f"/coupons/{coupon['coupon_id']}",
        claims=merchant("m1"),
        body={
            "version": 1,
            "status": "paused",
            "inventory": 150,
            "claim_window": {"start": "2021-01-01T00:00:00Z", "end": "2098-01-01T00:00:00+08:00"},
            "validity": {"type": "hours", "hours": 5},
        },
    )
    assert reply.status == 200, reply.json
    edited = reply.json
    assert edited["version"] == 2 and edited["status"] == "paused"
    assert edited["inventory"]["total"] == 150 and edited["validity"] == {"type": "hours", "hours": 5}
    shards = [Table().get(keys.shard(coupon["coupon_id"], i)) for i in range(2)]
    assert {s["status"] for s in shards} == {"paused"}
    assert {s["claim_end"] for s in shards} == {"2097-12-31T16:00:00Z"}
    assert sum(s["remaining"] for s in shards) == 150


def test_added_shards_take_remaining_units_and_open_as_the_coupon_is_after_the_edit():
    # Given a coupon of 1,000 units over 2 shards
    coupon = create(coupon_body(codes={"mode": "random_on_claim", "inventory": 1000}, shard_count=2)).json
    # When its merchant adds 2 shards and pauses it in the same edit
    reply = call(
        "PATCH",
        f"/coupons/{coupon['coupon_id']}",
        claims=merchant("m1"),
        body={"version": 1, "shard_count": 4, "status": "paused"},
    )
    assert reply.status == 200, reply.json
    # Then the units are spread over 4 shards at once, none lost, each paused with the coupon's window
    assert reply.json["shard_count"] == 4 and reply.json["inventory"]["total"] == 1000
    shards = [Table().get(keys.shard(coupon["coupon_id"], i)) for i in range(4)]
    assert [s["remaining"] for s in shards] == [250, 250, 250, 250]
    assert [s["units"] for s in shards] == [250, 250, 250, 250]
    assert {s["status"] for s in shards} == {"paused"}
    assert {s["claim_end"] for s in shards} == {coupon_body()["claim_window"]["end"]}
    stats = call("GET", f"/coupons/{coupon['coupon_id']}/stats", claims=merchant("m1")).json
    assert stats["shards"] == 4 and stats["inventory"]["remaining"] == 1000


def test_inventory_can_shrink_to_what_is_claimed_but_not_below():
    coupon = create().json
    table = Table()
    # Given 30 units claimed (shard counters as a claim leaves them)
    table.update(
        keys.shard(coupon["coupon_id"], 0),
        UpdateExpression="ADD remaining :m, claimed :p",
        ExpressionAttributeValues={":m": {"N": "-30"}, ":p": {"N": "30"}},
    )
    below = call(
        "PATCH",
        f"/coupons/{coupon['coupon_id']}",
        claims=merchant("m1"),
        body={"version": 1, "inventory": 29},
    )
    assert below.status == 409 and below.json["error"]["code"] == "below_claimed"
    exact = call(
        "PATCH",
        f"/coupons/{coupon['coupon_id']}",
        claims=merchant("m1"),
        body={"version": 1, "inventory": 30},
    )
    assert exact.status == 200 and exact.json["inventory"] == {"total": 30, "claimed": 30, "remaining": 0}


def test_cash_quantity_and_imported_inventory_cannot_be_edited():
    cash = create(coupon_body(terms={"kind": "cash", "amount": 500})).json
    reply = call(
        "PATCH", f"/coupons/{cash['coupon_id']}", claims=merchant("m1"), body={"version": 1, "inventory": 5}
    )
    assert reply.status == 422 and reply.json["error"]["field"] == "inventory"
    imported = create(coupon_body(codes={"mode": "imported"})).json
    assert imported["inventory"] == {"total": 0, "claimed": 0, "remaining": 0}
    reply = call(
        "PATCH",
        f"/coupons/{imported['coupon_id']}",
        claims=merchant("m1"),
        body={"version": 1, "inventory": 5},
    )
    assert reply.status == 422


def test_kind_face_value_and_code_mode_are_immutable():
    coupon = create().json
    for field, value in [
        ("terms", {"kind": "discount", "percent_off": 10}),
        ("codes", {"mode": "generated", "inventory": 5}),
        ("currency", "USD"),
    ]:
        reply = call(
            "PATCH",
            f"/coupons/{coupon['coupon_id']}",
            claims=merchant("m1"),
            body={"version": 1, field: value},
        )
        assert reply.status == 422, field
        assert reply.json["error"]["field"] == f"body.{field}"
    assert call("GET", f"/coupons/{coupon['coupon_id']}", claims=merchant("m1")).json["version"] == 1


def test_generated_inventory_grows_with_new_codes():
    coupon = create(coupon_body(codes={"mode": "generated", "inventory": 130}, shard_count=1)).json
    reply = call(
        "PATCH",
        f"/coupons/{coupon['coupon_id']}",
        claims=merchant("m1"),
        body={"version": 1, "inventory": 260},
    )
    assert reply.status == 200, reply.json
    table = Table()
    shard = table.get(keys.shard(coupon["coupon_id"], 0))
    codes = [
        c
        for k in range(3)
        for c in (table.get(keys.pool_chunk(coupon["coupon_id"], 0, k)) or {}).get("codes", [])
    ]
    assert shard["pool_size"] == len(codes) == 260 and len(set(codes)) == 260


def test_idempotent_creation():
    headers = {"Idempotency-Key": "create-0001"}
    first = create(headers=headers)
    again = create(headers=headers)
    different = create(coupon_body(title="other"), headers=headers)
    assert first.status == again.status == 201 and first.json == again.json
    assert different.status == 422 and different.json["error"]["field"] == "Idempotency-Key"
    assert len(call("GET", "/coupons", claims=merchant("m1")).json["items"]) == 1


def test_platform_coupon_lists_its_merchants():
    reply = create(coupon_body(merchants=["m1", "m2"]), who=platform())
    assert (
        reply.status == 201 and reply.json["issuer"] == "platform" and reply.json["merchant_id"] == "platform"
    )
    missing = create(coupon_body(), who=platform())
    assert missing.status == 422 and missing.json["error"]["field"] == "merchants"
    not_yours = create(coupon_body(merchants=["m2"]), who=merchant("m1"))
    assert not_yours.status == 422


def test_self_service_code_is_kept_only_as_a_keyed_hash():
    body = coupon_body(options={"self_service": {"verification_code": "314159"}})
    coupon = create(body).json
    item = Table().get(keys.coupon(coupon["coupon_id"]))
    assert "314159" not in str(item) and len(item["verification_hash"]) == 64
    assert coupon["options"]["self_service"] is True and "314159" not in str(coupon)


def test_public_offer_shows_only_active_coupons_open_to_everyone():
    active = create().json
    draft = create(coupon_body(status="draft")).json
    listed = create(coupon_body(audience={"type": "customers", "customer_ids": ["u1", "u2"]})).json
    offer = call("GET", f"/offers/{active['coupon_id']}")
    assert offer.status == 200 and offer.json["sold_out"] is False
    assert set(offer.json) == {
        "coupon_id",
        "title",
        "description",
        "currency",
        "time_zone",
        "terms",
        "claim_window",
        "validity",
        "scope",
        "giftable",
        "sold_out",
        "points_price",  # what a coupon priced in points costs (null: none)
    }
    assert call("GET", f"/offers/{draft['coupon_id']}").status == 404
    assert call("GET", f"/offers/{listed['coupon_id']}").status == 404
    members = Table().query(
        key_condition="PK = :p AND begins_with(SK, :a)",
        ExpressionAttributeValues={":p": {"S": f"COUPON#{listed['coupon_id']}"}, ":a": {"S": "AUDIENCE#"}},
    )[0]
    assert {m["SK"] for m in members} == {"AUDIENCE#u1", "AUDIENCE#u2"}


def test_promotion_url_and_qr():
    coupon = create().json
    promo = call("GET", f"/coupons/{coupon['coupon_id']}/promotion", claims=merchant("m1")).json
    assert promo["url"] == f"http://localhost/c/offers/{coupon['coupon_id']}"  # the web app's page
    png = call("GET", f"/coupons/{coupon['coupon_id']}/promotion/qr?size=l", claims=merchant("m1"))
    assert (
        png.status == 200
        and png.headers["content-type"] == "image/png"
        and png.raw[:8] == b"\x89PNG\r\n\x1a\n"
    )
    bad = call("GET", f"/coupons/{coupon['coupon_id']}/promotion/qr?size=huge", claims=merchant("m1"))
    assert bad.status == 422


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PATCH", "", {"version": 1, "status": "paused"}),
        ("DELETE", "", None),
        ("GET", "/stats", None),
        ("GET", "/history", None),
        ("GET", "/promotion", None),
        ("GET", "/promotion/qr", None),
    ],
)
def test_tenant_isolation(method, suffix, body):
    coupon = create().json
    path = f"/coupons/{coupon['coupon_id']}{suffix}"
    # Another merchant cannot tell the coupon exists; a customer or staff member is forbidden; no token is 401
    assert call(method, path, claims=merchant("m2"), body=body).status == 404
    assert call(method, path, claims=customer("u1"), body=body).status == 403
    assert call(method, path, claims=staff("m1"), body=body).status == 403
    assert call(method, path, body=body).status == 401
    # And nothing changed
    after = call("GET", f"/coupons/{coupon['coupon_id']}", claims=merchant("m1")).json
    assert after == coupon


def test_listing_is_per_merchant():
    create()
    assert call("GET", "/coupons", claims=merchant("m2")).json["items"] == []
    assert call("GET", "/coupons", claims=customer("u1")).status == 403
    assert call("POST", "/coupons", claims=customer("u1"), body=coupon_body()).status == 403


def _logo_png() -> str:
    import base64
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


def test_promotion_qr_with_the_coupons_logo():
    # Given a coupon created with a small logo
    coupon = create(coupon_body(logo_png=_logo_png())).json
    assert coupon["has_logo"] is True
    path = f"/coupons/{coupon['coupon_id']}/promotion/qr"
    # When the merchant asks for the QR code with and without the logo
    plain = call("GET", f"{path}?size=m", claims=merchant("m1"))
    marked = call("GET", f"{path}?size=m&logo=true", claims=merchant("m1"))
    # Then both are PNGs of the size asked for, and only the second carries the logo's colour
    from io import BytesIO

    from PIL import Image

    images = [Image.open(BytesIO(r.raw)).convert("RGB") for r in (plain, marked)]
    assert [i.size for i in images] == [(344, 344), (344, 344)]
    centre = (172, 172)
    assert images[1].getpixel(centre) == (200, 30, 30) and images[0].getpixel(centre) != (200, 30, 30)


def test_a_logo_that_is_not_an_image_is_refused():
    import base64

    reply = create(coupon_body(logo_png=base64.b64encode(b"not an image").decode()))
    assert reply.status == 422 and reply.json["error"]["field"] == "logo_png"
    assert call("GET", "/coupons", claims=merchant("m1")).json["items"] == []


def test_a_generated_pool_shrinks_only_by_codes_not_yet_reached():
    # Given a generated coupon of 10 codes on one shard whose counter has handed out 6
    coupon = create(coupon_body(codes={"mode": "generated", "inventory": 10}, shard_count=1)).json
    key = keys.shard(coupon["coupon_id"], 0)
    Table().update(
        key,
        UpdateExpression="SET next_position = :six, remaining = :four, claimed = :six",
        ExpressionAttributeValues={":six": {"N": "6"}, ":four": {"N": "4"}},
    )
    path = f"/coupons/{coupon['coupon_id']}"
    # When the merchant lowers the inventory to 7, then raises it to 12
    lowered = call("PATCH", path, claims=merchant("m1"), body={"version": 1, "inventory": 7})
    raised = call("PATCH", path, claims=merchant("m1"), body={"version": 2, "inventory": 12})
    # Then the pool ends where the inventory says, and every position past the counter holds a new code
    assert lowered.status == 200 and lowered.json["inventory"] == {"total": 7, "claimed": 6, "remaining": 1}
    assert raised.status == 200 and raised.json["inventory"] == {"total": 12, "claimed": 6, "remaining": 6}
    shard = Table().get(key)
    codes = Table().get(keys.pool_chunk(coupon["coupon_id"], 0, 0))["codes"]
    assert shard["pool_size"] == 12 and len(codes) == 12 and len(set(codes)) == 12
    assert shard["pool_size"] - shard["next_position"] == shard["remaining"]
