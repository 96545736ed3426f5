"""Promotion as the coupon console does it: a URL per channel, QR codes in one or several sizes (a ZIP), a
common logo or the merchant's own (checked, re-encoded), the last channel and logo remembered; every QR code
decoded back to its exact URL with OpenCV's detector; bad input refused naming the field, nothing stored."""

from __future__ import annotations

import base64
import io
import struct
import zipfile
import zlib
from urllib.parse import parse_qs, urlsplit

import cv2
import numpy as np
import pytest
from coupon_service import keys, qr, settings
from coupon_service.store.table import Table
from PIL import Image

from tests.builders import claim
from tests.support import call, concurrently, coupon_body, customer, inject, merchant, staff

pytestmark = pytest.mark.usefixtures("stack")

PUBLIC = "https://coupons.example.com/v1"
WEB = "https://shop.example.com"
LONGEST = "z" + "y" * 62 + ":"  # a channel name of the longest kind the coupon accepts (64 characters)
CHANNELS = ["wechat", "poster:lobby", LONGEST]
RED = (200, 30, 30)


@pytest.fixture(autouse=True)
def configured(stack, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC)
    monkeypatch.setenv("PUBLIC_WEB_URL", WEB)
    settings.settings.cache_clear()
    yield PUBLIC
    settings.settings.cache_clear()


def make(owner="m1", **overrides):
    body = coupon_body(options={"channels": CHANNELS}, **overrides)
    reply = call("POST", "/coupons", claims=merchant(owner), body=body)
    assert reply.status == 201, reply.json
    return reply.json["coupon_id"]


def promotion(coupon_id, owner="m1", **query):
    return call("GET", f"/coupons/{coupon_id}/promotion", claims=merchant(owner), query=query or None)


def qr_code(coupon_id, owner="m1", **query):
    return call("GET", f"/coupons/{coupon_id}/promotion/qr", claims=merchant(owner), query=query or None)


def decode(png: bytes) -> str:
    """What a real scanner reads: OpenCV's QR detectors on the image in grey. The classic QRCodeDetector
    first; it misses about 3% of clean codes (logo or not, at every size: it depends on the data's mask),
    and only then OpenCV's ArUco-based QRCodeDetectorAruco. A misread is never retried: it is returned."""
    grey = np.array(Image.open(io.BytesIO(png)).convert("L"))
    text = cv2.QRCodeDetector().detectAndDecode(grey)[0]
    return text or cv2.QRCodeDetectorAruco().detectAndDecode(grey)[0]


def image_b64(width=300, height=200, colour=RED, fmt="PNG", **save) -> str:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format=fmt, **save)
    return base64.b64encode(out.getvalue()).decode()


def upload(coupon_id, image, owner="m1"):
    return call("PUT", f"/coupons/{coupon_id}/promotion/logo", claims=merchant(owner), body={"image": image})


def stored(coupon_id):
    """The coupon's logo item and remembered choice as the table holds them."""
    return Table().get(keys.coupon_logo(coupon_id)), Table().get(keys.coupon_promotion(coupon_id))


def offer(coupon_id, channel=None):
    url = f"{WEB}/c/offers/{coupon_id}"  # the web app's offer page
    return url if channel is None else f"{url}?channel={channel}"  # a query keeps ':' as it is


# --- URLs per channel ----------------------------------------------------------------------------------


def test_a_url_per_defined_channel_and_the_plain_url():
    # Given a coupon with three channels
    coupon_id = make()
    # When its merchant asks for its promotion with a forged Host header
    reply = call(
        "GET", f"/coupons/{coupon_id}/promotion", claims=merchant("m1"), headers={"Host": "evil.example"}
    )
    # Then it lists the plain URL and one per channel, in the coupon's order, on the configured URL
    assert reply.status == 200, reply.json
    body = reply.json
    assert body["url"] == offer(coupon_id)
    assert [(c["channel"], c["url"]) for c in body["channels"]] == [
        (c, offer(coupon_id, c)) for c in CHANNELS
    ]
    assert [c["qr_png_url"] for c in body["channels"]] == [
        f"{PUBLIC}/coupons/{coupon_id}/promotion/qr?channel={c}" for c in CHANNELS
    ]
    assert body["qr_sizes"] == list(qr.SIZES)
    assert body["logos"] == ["none", *qr.COMMON_LOGOS]  # no custom logo yet
    # And nothing was chosen yet: the plain URL, no logo; and merely looking stored nothing
    assert (body["channel"], body["logo"]) == (None, "none")
    assert stored(coupon_id) == (None, None)
    assert b"evil" not in reply.raw


def test_each_channel_url_records_its_channel_and_an_unknown_one_is_other():
    # Given a coupon's channel URLs as the promotion gives them
    coupon_id = make(codes={"mode": "random_on_claim"})
    links = promotion(coupon_id).json["channels"]
    for index, link in enumerate(links):
        channel = parse_qs(urlsplit(link["url"]).query)["channel"][0]
        # When a customer claims through one, Then the claim records that channel
        assert claim(coupon_id, user=f"u{index}", channel=channel).json["channel"] == link["channel"]
    # And a channel the coupon does not define is recorded as `other`
    assert claim(coupon_id, user="stranger", channel="tiktok").json["channel"] == "other"
    # And the public offer page answers on a channel URL
    assert call("GET", f"/offers/{coupon_id}", query={"channel": "wechat"}).status == 200


# --- every QR code decodes to its exact URL ------------------------------------------------------------


@pytest.mark.parametrize("logo", ["none", *qr.COMMON_LOGOS, "custom"])
def test_every_qr_code_decodes_to_its_exact_url(logo):
    # Given a coupon with channels (the longest name included) and, for `custom`, a photo-like busy logo
    coupon_id = make()
    if logo == "custom":
        noisy = Image.effect_noise((400, 400), 90).convert("RGB")
        out = io.BytesIO()
        noisy.save(out, format="JPEG", quality=90)
        assert upload(coupon_id, base64.b64encode(out.getvalue()).decode()).status == 200
    for channel in [None, *CHANNELS]:
        # When its QR codes are downloaded in every size at once, for each channel, with this logo
        reply = qr_code(coupon_id, size=",".join(qr.SIZES), channel=channel or "", logo=logo)
        assert reply.status == 200, reply.raw[:300]
        archive = zipfile.ZipFile(io.BytesIO(reply.raw))
        # Then each of the five PNGs, at its exact size, decodes back to exactly the channel's URL
        assert len(archive.namelist()) == len(qr.SIZES)
        for size, pixels in qr.SIZES.items():
            (name,) = [n for n in archive.namelist() if n.endswith(f"-{size}-{pixels}px.png")]
            png = archive.read(name)
            assert Image.open(io.BytesIO(png)).size == (pixels, pixels)
            assert decode(png) == offer(coupon_id, channel), (size, logo, channel)


@pytest.mark.parametrize("size", list(qr.SIZES))
def test_a_single_size_is_a_png_that_decodes(size):
    # Given a coupon
    coupon_id = make()
    # When one size is asked, with a channel and a common logo
    reply = qr_code(coupon_id, size=size, channel="wechat", logo="star")
    # Then it is one PNG of that size (not a ZIP), offered as a download, decoding to the channel's URL
    assert reply.status == 200
    assert reply.headers["content-type"] == "image/png" and reply.raw[:8] == b"\x89PNG\r\n\x1a\n"
    assert f'filename="{coupon_id}-wechat-{size}.png"' in reply.headers["content-disposition"]
    image = Image.open(io.BytesIO(reply.raw))
    assert image.size == (qr.SIZES[size],) * 2
    assert decode(reply.raw) == offer(coupon_id, "wechat")


def test_several_sizes_are_one_zip_named_by_size_and_channel():
    # Given a coupon
    coupon_id = make()
    # When three sizes are asked (one twice) for a channel
    reply = qr_code(coupon_id, size="xl,s,m,s", channel="poster:lobby")
    # Then the answer is a ZIP with one PNG per size, in the order asked, named by channel and size
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/zip"
    assert f'filename="{coupon_id}-poster_lobby-qr.zip"' in reply.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(reply.raw))
    assert archive.testzip() is None
    assert archive.namelist() == [
        f"{coupon_id}-poster_lobby-xl-860px.png",
        f"{coupon_id}-poster_lobby-s-258px.png",
        f"{coupon_id}-poster_lobby-m-344px.png",
    ]


def test_the_legacy_logo_flag_still_prints_the_logo_given_at_creation():
    # Given a coupon created with `logo_png`, as before named logos existed
    coupon_id = make(logo_png=image_b64(64, 64))
    created = call("GET", f"/coupons/{coupon_id}", claims=merchant("m1")).json
    assert created["has_logo"] is True
    # When `logo=true` is asked, Then its colour is at the centre and the code still decodes
    reply = qr_code(coupon_id, size="m", logo="true")
    assert Image.open(io.BytesIO(reply.raw)).convert("RGB").getpixel((172, 172)) == RED
    assert decode(reply.raw) == offer(coupon_id)
    # And the creation's image was re-encoded like an upload: a PNG without metadata
    logo, _ = stored(coupon_id)
    assert Image.open(io.BytesIO(bytes(logo["png"]))).format == "PNG"


# --- the last channel and logo are remembered ----------------------------------------------------------


def test_the_last_channel_and_logo_used_are_the_defaults_next_time(dynamodb_requests):
    # Given a coupon whose QR code was downloaded for a channel with the heart logo (one read of the coupon
    # and its choice together, one write of the new choice)
    coupon_id = make()
    dynamodb_requests.reset()
    assert qr_code(coupon_id, size="m", channel="poster:lobby", logo="heart").status == 200
    assert dict(dynamodb_requests.calls) == {"BatchGetItem": 1, "UpdateItem": 1}
    # When the merchant comes back and asks without naming either
    dynamodb_requests.reset()
    again = qr_code(coupon_id, size="l")
    # Then the code is the channel's, with the heart (red in the centre), read in one request, nothing written
    assert decode(again.raw) == offer(coupon_id, "poster:lobby")
    centre = Image.open(io.BytesIO(again.raw)).convert("RGB").getpixel((215, 215))
    assert centre == (220, 30, 60)
    assert dict(dynamodb_requests.calls) == {"BatchGetItem": 1}
    # And the promotion answer shows them as the defaults
    assert (promotion(coupon_id).json["channel"], promotion(coupon_id).json["logo"]) == (
        "poster:lobby",
        "heart",
    )
    # And the same choice again writes nothing; a new one (the plain URL, no logo) is remembered
    dynamodb_requests.reset()
    qr_code(coupon_id, channel="poster:lobby", logo="heart")
    assert "UpdateItem" not in dynamodb_requests.calls
    assert promotion(coupon_id, channel="", logo="none").json["channel"] is None
    assert decode(qr_code(coupon_id).raw) == offer(coupon_id)


def test_a_remembered_custom_logo_is_read_only_when_it_is_used(dynamodb_requests):
    # Given a coupon whose last download used its custom logo (the upload: one transaction)
    coupon_id = make()
    dynamodb_requests.reset()
    assert upload(coupon_id, image_b64(80, 80)).status == 200
    assert dict(dynamodb_requests.calls) == {"TransactWriteItems": 1}
    assert qr_code(coupon_id, logo="custom").status == 200
    # When the next download names nothing, Then the custom logo is printed again (read once it is known)
    dynamodb_requests.reset()
    reply = qr_code(coupon_id, size="m")
    assert dict(dynamodb_requests.calls) == {"BatchGetItem": 1, "GetItem": 1}
    assert Image.open(io.BytesIO(reply.raw)).convert("RGB").getpixel((172, 172)) == RED
    assert decode(reply.raw) == offer(coupon_id)


def test_a_remembered_channel_the_coupon_no_longer_has_falls_back_to_the_plain_url():
    # Given a remembered channel that is then removed from the coupon (as an edit of its channels would)
    coupon_id = make()
    qr_code(coupon_id, channel="wechat")
    Table().update(
        keys.coupon(coupon_id),
        UpdateExpression="SET options.channels = :c",
        ExpressionAttributeValues={":c": {"L": [{"S": "sms"}]}},
    )
    # Then the default is the plain URL, and the QR code says so
    assert promotion(coupon_id).json["channel"] is None
    assert decode(qr_code(coupon_id).raw) == offer(coupon_id)


# --- the merchant's own logo ---------------------------------------------------------------------------


def test_an_uploaded_logo_is_re_encoded_without_metadata_and_resized():
    # Given a large JPEG with EXIF (a camera, a GPS position) saying it is rotated a quarter turn
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to view
    exif[0x010F] = "SecretCam"
    source = Image.new("RGB", (1600, 800), RED)
    out = io.BytesIO()
    source.save(out, format="JPEG", exif=exif.tobytes(), quality=95)
    coupon_id = make()
    # When the merchant uploads it
    reply = upload(coupon_id, base64.b64encode(out.getvalue()).decode())
    # Then the stored logo is a PNG no larger than the largest code's centre, turned upright, with no EXIF
    assert reply.status == 200, reply.json
    assert reply.json == {"coupon_id": coupon_id, "logo": "custom", "width": 128, "height": 256}
    logo, _ = stored(coupon_id)
    kept = Image.open(io.BytesIO(bytes(logo["png"])))
    assert kept.format == "PNG" and kept.size == (128, 256)
    assert not kept.getexif() and "exif" not in kept.info and b"SecretCam" not in bytes(logo["png"])
    # And the coupon now offers it
    assert call("GET", f"/coupons/{coupon_id}", claims=merchant("m1")).json["has_logo"] is True
    assert promotion(coupon_id).json["logos"][-1] == "custom"


def test_a_logo_of_one_megabyte_is_accepted():
    # Given a PNG of noise just under 1 MB (incompressible), in a body over the usual 256 KB limit
    side = 580
    noise = Image.frombytes("RGB", (side, side), np.random.default_rng(1).bytes(side * side * 3))
    out = io.BytesIO()
    noise.save(out, format="PNG")
    assert 900_000 < len(out.getvalue()) <= 1024 * 1024
    coupon_id = make()
    # When it is uploaded, Then it is stored re-encoded and the QR code carrying it decodes
    assert upload(coupon_id, base64.b64encode(out.getvalue()).decode()).status == 200
    assert decode(qr_code(coupon_id, size="s", logo="custom").raw) == offer(coupon_id)


def _png_of(width: int, height: int) -> str:
    """A valid one-bit PNG of `width` x `height` white pixels: small as a file, large once decoded."""
    out = io.BytesIO()
    Image.new("1", (width, height), 1).save(out, format="PNG", optimize=True)
    return base64.b64encode(out.getvalue()).decode()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _bomb_png() -> str:
    """A decompression bomb: a 100,000 x 100,000 PNG whose pixels are 1 MB of zeros squeezed into 1 KB."""
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\0" * (1024 * 1024), 9)
    png = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"")
    return base64.b64encode(png).decode()


def _text_bomb_png() -> str:
    """A small PNG carrying a compressed text chunk that inflates to 64 MB."""
    plain = base64.b64decode(image_b64(8, 8))
    bomb = _chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"\0" * (64 * 1024 * 1024), 9))
    return base64.b64encode(plain[:33] + bomb + plain[33:]).decode()  # after the signature and IHDR


OVER_1_MB = b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024 - 7)  # one byte over, its base64 within the model


@pytest.mark.parametrize(
    ("name", "image", "status", "field"),
    [
        ("not an image", lambda: base64.b64encode(b"plain text, not an image").decode(), 422, "image"),
        ("not base64", lambda: "@@@ not base64 @@@", 422, "image"),
        ("20,000 x 20,000 pixels", lambda: _png_of(20_000, 20_000), 422, "image"),
        ("5,000 x 5,000 pixels", lambda: _png_of(5_000, 5_000), 422, "image"),
        ("a decompression bomb", _bomb_png, 422, "image"),
        ("a text chunk bomb", _text_bomb_png, 422, "image"),
        ("a GIF", lambda: image_b64(40, 40, fmt="GIF"), 422, "image"),
        ("a truncated PNG", lambda: image_b64(300, 300)[:400], 422, "image"),
        ("over 1 MB", lambda: base64.b64encode(OVER_1_MB).decode(), 413, "image"),
        ("over the route's body limit", lambda: "A" * 1_400_008, 413, "body"),
        ("empty", lambda: "", 422, "body.image"),
    ],
)
def test_a_bad_logo_is_refused_naming_the_field_and_nothing_is_stored(name, image, status, field):
    # Given a coupon without a logo
    coupon_id = make()
    before = call("GET", f"/coupons/{coupon_id}", claims=merchant("m1")).json
    # When the merchant uploads something that is not an acceptable image
    reply = upload(coupon_id, image())
    # Then it is a 4xx naming the field, and nothing was stored or changed
    assert (reply.status, reply.json["error"]["field"]) == (status, field), (name, reply.json)
    assert stored(coupon_id) == (None, None)
    assert call("GET", f"/coupons/{coupon_id}", claims=merchant("m1")).json == before


def test_a_bad_logo_at_creation_is_refused_naming_the_field():
    reply = call("POST", "/coupons", claims=merchant("m1"), body=coupon_body(logo_png=image_b64(fmt="GIF")))
    assert (reply.status, reply.json["error"]["field"]) == (422, "logo_png")
    assert call("GET", "/coupons", claims=merchant("m1")).json["items"] == []


# --- bad requests, other merchants and other roles -----------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"size": "huge"}, "query.size"),
        ({"size": "s,,m"}, "query.size"),
        ({"size": "s,xxxl"}, "query.size"),
        ({"channel": "tiktok"}, "channel"),
        ({"channel": "has space"}, "query.channel"),
        ({"logo": "skull"}, "logo"),
        ({"logo": "custom"}, "logo"),  # none uploaded
        ({"logo": "true"}, "logo"),
    ],
)
def test_a_bad_qr_request_names_the_field_and_remembers_nothing(query, field):
    # Given a coupon whose last download used a channel and a logo
    coupon_id = make()
    assert qr_code(coupon_id, channel="wechat", logo="gift").status == 200
    before = stored(coupon_id)
    # When a download names an unknown size, channel or logo
    for route in (qr_code, promotion):
        reply = route(coupon_id, **query)
        if route is promotion and "size" in query:
            continue  # the promotion answer takes no size
        # Then it is a 422 naming the field, and the remembered choice is unchanged
        assert (reply.status, reply.json["error"]["field"]) == (422, field), reply.json
    assert stored(coupon_id) == before


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "/promotion?channel=wechat&logo=star", None),
        ("GET", "/promotion/qr?size=s,m&channel=wechat&logo=star", None),
        ("PUT", "/promotion/logo", {"image": image_b64(20, 20)}),
    ],
)
def test_another_merchants_coupon_is_not_found_and_nothing_is_stored(method, suffix, body):
    # Given m1's coupon
    coupon_id = make()
    path = f"/coupons/{coupon_id}{suffix}"
    # When another merchant promotes it or sets its logo, Then it is a 404 as for a missing coupon
    reply = call(method, path, claims=merchant("m2"), body=body)
    assert (reply.status, reply.json["error"]["field"]) == (404, "couponId")
    # And a customer or staff member is forbidden, no token is a 401
    assert call(method, path, claims=customer("u1"), body=body).status == 403
    assert call(method, path, claims=staff("m1"), body=body).status == 403
    assert call(method, path, body=body).status == 401
    # And nothing was stored
    assert stored(coupon_id) == (None, None)
    assert call("GET", f"/coupons/{coupon_id}", claims=merchant("m1")).json["has_logo"] is False


def test_a_deleted_coupon_takes_no_logo():
    coupon_id = make()
    assert call("DELETE", f"/coupons/{coupon_id}", claims=merchant("m1")).status == 200
    assert upload(coupon_id, image_b64(20, 20)).status == 404
    assert stored(coupon_id) == (None, None)


def test_the_upload_and_the_codes_are_not_logged():
    # Given the functions logging at DEBUG, the most they ever log, into a stream this test reads
    from coupon_service.observability import logger

    coupon_id = make()
    image = image_b64(50, 50, colour=(1, 2, 3))
    stream = io.StringIO()
    previous_stream = logger.registered_handler.setStream(stream)
    previous_level = logger.log_level
    logger.setLevel("DEBUG")
    try:
        # When a logo is uploaded and QR codes downloaded
        assert upload(coupon_id, image).status == 200
        assert qr_code(coupon_id, size="s,m", logo="custom", channel="wechat").status == 200
    finally:
        logger.setLevel(previous_level)
        logger.registered_handler.setStream(previous_stream)
    # Then the logs say a logo was stored, and carry neither the image nor the images made
    logged = stream.getvalue()
    assert "promotion logo stored" in logged
    assert image[20:60] not in logged and "iVBORw0KGgo" not in logged  # base64 of any PNG's signature


# --- retries, concurrency and the other routes' limits -------------------------------------------------


@pytest.mark.concurrency
def test_choices_and_uploads_under_conflicts_and_lost_answers(emulator):
    # Given a coupon, and merchants' downloads and uploads racing while 30% of writes are refused or
    # applied with their answer lost
    coupon_id = make()
    images = [image_b64(30 + i, 30, colour=(10 * i, 0, 0)) for i in range(4)]
    choices = [("wechat", "star"), ("poster:lobby", "heart"), ("", "gift"), ("wechat", "tag")]

    def work(i):
        if i % 2:
            return upload(coupon_id, images[i % 4])
        channel, logo = choices[i % 4]
        return qr_code(coupon_id, size="s", channel=channel, logo=logo)

    inject(emulator, "lost")
    answers = concurrently(work, 16, threads=8)
    injected = emulator.faults.injected
    emulator.faults.set(0.0)
    # Then every answer is a success or says to retry, never a 500 or a wrong image
    assert injected > 0
    assert {a.status for a in answers} <= {200, 503}, [a.status for a in answers]
    # And the store holds one whole choice and one whole logo, each one of those sent
    logo, choice = stored(coupon_id)
    assert (choice.get("channel"), choice["logo"]) in {(c or None, lg) for c, lg in choices}
    assert Image.open(io.BytesIO(bytes(logo["png"]))).size in {(30 + i, 30) for i in range(4)}
    # And what is remembered is what the next download uses
    promo = promotion(coupon_id).json
    assert (promo["channel"], promo["logo"]) == (choice.get("channel"), choice["logo"])
    assert decode(qr_code(coupon_id, size="m").raw) == offer(coupon_id, promo["channel"])


def test_only_the_logo_route_takes_a_large_body():
    # Given a coupon, and a body of 300 KB (over the usual 256 KB, far under the logo route's 1.4 MB)
    coupon_id = make()
    large = {"version": 1, "title": "x" * (300 * 1024)}
    # When it is sent to another route, Then it is refused as too large, naming the body
    reply = call("PATCH", f"/coupons/{coupon_id}", claims=merchant("m1"), body=large)
    assert (reply.status, reply.json["error"]["field"]) == (413, "body")
