"""Unit tests for QR rendering: exact PNG sizes, the modules really encode the data, and logos."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import qrcode
from coupon_service import qr
from coupon_service.promotion import offer_url
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageOps
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_M, ERROR_CORRECT_Q

URL = "https://coupons.example.com/c/7KQ2-M9XP-4RTW-HN"
RED = (220, 20, 20)


def open_png(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image


def expected_matrix(data: str, error_correction: int) -> list[list[bool]]:
    """The module matrix, without quiet zone, that qrcode builds for this data and error correction."""
    code = qrcode.QRCode(error_correction=error_correction, border=0)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def expected_with_logo(data: str) -> list[list[bool]]:
    """With a logo: H, else Q, else M, the first that fits in version 10; M past that."""
    for level in (ERROR_CORRECT_H, ERROR_CORRECT_Q, ERROR_CORRECT_M):
        matrix = expected_matrix(data, level)
        if len(matrix) <= 17 + 4 * qr.DENSEST_WITH_LOGO:
            return matrix
    return matrix


def logo_png(width: int, height: int, colour=RED, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def assert_modules_match(png: bytes, matrix: list[list[bool]], hidden_centre: int = 0) -> int:
    """Sample each module's centre pixel and compare with the matrix; returns how many were compared.

    The symbol is located from its dark pixels alone (the finder patterns mark three corners), so
    nothing about the renderer's layout is assumed. Modules whose centre falls in the central square
    of side `hidden_centre` pixels (the logo) are skipped.
    """
    grey = open_png(png).convert("L")
    width, height = grey.size
    left, top, right, bottom = ImageOps.invert(grey).getbbox()
    n = len(matrix)
    pitch = (right - left) / n
    assert (bottom - top) / n == pytest.approx(pitch)
    # The quiet zone: at least 4 modules of light on every side.
    assert min(left, top, width - right, height - bottom) >= 4 * pitch - 1
    half = hidden_centre / 2 + 1 if hidden_centre else -1  # -1: nothing is skipped
    compared = 0
    for row in range(n):
        for col in range(n):
            x = left + (col + 0.5) * pitch
            y = top + (row + 0.5) * pitch
            if abs(x - width / 2) <= half and abs(y - height / 2) <= half:
                continue
            dark = grey.getpixel((int(x), int(y))) < 128
            assert dark == matrix[row][col], (row, col)
            compared += 1
    return compared


@pytest.mark.parametrize(("size", "pixels"), list(qr.SIZES.items()))
def test_each_size_is_an_exact_square_png(size, pixels):
    # Given a URL and a print size
    # When it is rendered
    image = open_png(qr.render_png(URL, size))
    # Then the PNG is exactly that many pixels square
    assert image.size == (pixels, pixels)


def test_the_five_print_sizes():
    assert qr.SIZES == {"s": 258, "m": 344, "l": 430, "xl": 860, "xxl": 1280}


def test_default_size_is_m():
    assert open_png(qr.render_png(URL)).size == (344, 344)


@pytest.mark.parametrize("size", list(qr.SIZES))
def test_rendered_modules_carry_the_data_with_error_correction_m(size):
    # Given a URL rendered without a logo
    png = qr.render_png(URL, size)
    # When every module's centre pixel is sampled
    # Then it matches the matrix qrcode builds for the same data at error correction M
    compared = assert_modules_match(png, expected_matrix(URL, ERROR_CORRECT_M))
    assert compared == len(expected_matrix(URL, ERROR_CORRECT_M)) ** 2


@pytest.mark.parametrize("size", list(qr.SIZES))
def test_with_a_logo_modules_use_error_correction_h_and_the_logo_sits_in_the_centre(size):
    # Given a URL rendered with a wide red logo
    pixels = qr.SIZES[size]
    png = qr.render_png(URL, size, logo=logo_png(400, 200))
    image = open_png(png).convert("RGB")
    # Then the image is still exactly the size asked for
    assert image.size == (pixels, pixels)
    # And the logo is at the centre
    assert image.getpixel((pixels // 2, pixels // 2)) == RED
    # And the logo (the only coloured pixels) is no wider than 20% of the image, aspect kept
    red, green, _ = image.split()
    left, top, right, bottom = ImageChops.difference(red, green).getbbox()
    assert right - left <= pixels // 5
    assert (right - left) / (bottom - top) == pytest.approx(2, rel=0.1)
    # And every module outside the logo matches the matrix for error correction H
    matrix = expected_matrix(URL, ERROR_CORRECT_H)
    compared = assert_modules_match(png, matrix, hidden_centre=pixels // 5)
    assert compared >= 0.85 * len(matrix) ** 2


def test_logo_keeps_its_aspect_ratio_and_is_not_enlarged():
    # Given a tiny 10x5 logo
    png = qr.render_png(URL, "xxl", logo=logo_png(10, 5))
    image = open_png(png).convert("RGB")
    # Then it is pasted at its own size (thumbnailing only shrinks)
    reds = [(x, y) for x in range(600, 680) for y in range(600, 680) if image.getpixel((x, y)) == RED]
    xs, ys = {x for x, _ in reds}, {y for _, y in reds}
    assert (len(xs), len(ys)) == (10, 5)


def test_transparent_logo_shows_the_white_pad():
    # Given a fully transparent logo
    png = qr.render_png(URL, "m", logo=logo_png(100, 100, colour=(0, 0, 0, 0), mode="RGBA"))
    image = open_png(png).convert("RGB")
    # Then the centre is white, not the modules underneath and not black
    assert image.getpixel((172, 172)) == (255, 255, 255)


@pytest.mark.parametrize(
    "logo", [b"", b"not an image", logo_png(50, 50)[:40], b"\x89PNG\r\n\x1a\n" + b"\0" * 64]
)
def test_a_corrupt_logo_is_a_value_error(logo):
    # Given bytes that are not a readable image, Then rendering refuses them with ValueError
    with pytest.raises(ValueError, match="logo"):
        qr.render_png(URL, "m", logo=logo)


def test_a_huge_logo_is_refused_before_decoding():
    # Given a logo of over 4096x4096 pixels (small as a file: one colour)
    out = io.BytesIO()
    Image.new("1", (5000, 5000), 1).save(out, format="PNG")
    # Then it is refused
    with pytest.raises(ValueError, match="logo"):
        qr.render_png(URL, "s", logo=out.getvalue())


@pytest.mark.parametrize("size", ["", "M", "xs", "xxxl", "medium"])
def test_unknown_size_names_the_allowed_sizes(size):
    # Given a size that is not one of the five
    with pytest.raises(ValueError) as raised:
        qr.render_png(URL, size)
    # Then the error lists the allowed sizes
    for allowed in qr.SIZES:
        assert allowed in str(raised.value)


def test_data_too_long_for_any_qr_code_is_a_value_error():
    with pytest.raises(ValueError, match="too long"):
        qr.render_png("x" * 5000)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=300), st.sampled_from(list(qr.SIZES)), st.booleans())
def test_any_text_is_rendered_faithfully(data, size, with_logo):
    # Given any text, size and logo choice
    png = qr.render_png(data, size, logo=logo_png(60, 60) if with_logo else None)
    # Then the PNG has the size and its modules match the matrix for the right error correction
    assert open_png(png).size == (qr.SIZES[size],) * 2
    matrix = expected_with_logo(data) if with_logo else expected_matrix(data, ERROR_CORRECT_M)
    hidden = qr.SIZES[size] // 5 if with_logo else 0
    assert assert_modules_match(png, matrix, hidden_centre=hidden) > 0


def test_importing_the_module_does_not_load_pillow_or_qrcode():
    # Given a fresh interpreter with the layer on its path
    layer = Path(qr.__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(layer)}
    # When only coupon_service.qr is imported
    probe = "import sys, coupon_service.qr; print('PIL' in sys.modules, 'qrcode' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    # Then neither heavy library has been loaded
    assert result.stdout.split() == ["False", "False"]


# --- common logos, a merchant's own logo, ZIPs, and what a real decoder reads ---------------------------


def decode(png: bytes) -> str:
    """OpenCV's classic detector, then (only when it reads nothing) its ArUco-based one."""
    import cv2
    import numpy as np

    grey = np.array(open_png(png).convert("L"))
    return cv2.QRCodeDetector().detectAndDecode(grey)[0] or cv2.QRCodeDetectorAruco().detectAndDecode(grey)[0]


def test_the_common_logos_are_shipped_distinct_square_pngs():
    seen = set()
    for name in qr.COMMON_LOGOS:
        png = qr.common_logo(name)
        image = open_png(png)
        assert image.size == (qr.LOGO_SIDE, qr.LOGO_SIDE) and image.mode == "RGBA"
        seen.add(image.tobytes())
    assert len(seen) == len(qr.COMMON_LOGOS)


@pytest.mark.parametrize("name", ["", "skull", "../qr", "star.png"])
def test_an_unknown_common_logo_is_a_value_error(name):
    with pytest.raises(ValueError, match="unknown logo"):
        qr.common_logo(name)


def jpeg_with_exif(width: int, height: int, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x8298] = "Copyright SecretCo"
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), RED)
    image.paste((20, 20, 220), (0, 0, width // 2, height))  # blue left half: shows the turn
    image.save(out, format="JPEG", exif=exif.tobytes(), quality=95)
    return out.getvalue()


def test_a_clean_logo_is_an_upright_png_without_metadata_at_most_logo_side():
    # Given a 1000x500 JPEG whose EXIF says: turn 90 degrees clockwise to view
    clean = qr.clean_logo(jpeg_with_exif(1000, 500, orientation=6))
    image = open_png(clean.png)
    # Then it is a PNG, turned (portrait), shrunk to LOGO_SIDE high, and carries no metadata at all
    assert (image.width, image.height) == (clean.width, clean.height) == (128, 256)
    assert image.getpixel((64, 10))[:3] != image.getpixel((64, 250))[:3]  # the halves are now top/bottom
    assert not image.getexif() and set(image.info) <= {"dpi"}
    assert b"SecretCo" not in clean.png


def test_a_png_with_text_and_an_icc_profile_is_stripped():
    from PIL import ImageCms, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Someone Private")
    out = io.BytesIO()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGBA", (40, 30), (*RED, 255)).save(out, format="PNG", pnginfo=info, icc_profile=icc)
    clean = qr.clean_logo(out.getvalue())
    image = open_png(clean.png)
    assert (clean.width, clean.height) == (40, 30)  # never enlarged
    assert "icc_profile" not in image.info and "Author" not in image.info
    assert b"Someone Private" not in clean.png


def png_of(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("1", (width, height), 1).save(out, format="PNG", optimize=True)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "not a readable"),
        (b"GIF89a" + b"\0" * 40, "not a readable"),
        (logo_png(50, 50)[:60], "not a readable"),
        (png_of(4097, 4096), "4097x4096 pixels"),  # our own limit, from the header
        (png_of(20_000, 20_000), "over 16777216 pixels"),  # Pillow's bomb check, at open
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024), "over 1048576 bytes"),
    ],
)
def test_a_logo_that_cannot_be_used_is_refused_saying_why(data, reason):
    with pytest.raises(ValueError, match=reason):
        qr.clean_logo(data)


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "WEBP", "ICO"])
def test_only_png_and_jpeg_reach_a_decoder(fmt):
    out = io.BytesIO()
    Image.new("RGB", (32, 32), RED).save(out, format=fmt)
    with pytest.raises(ValueError, match="PNG or JPEG"):
        qr.clean_logo(out.getvalue())


def test_a_zip_holds_each_file_as_given():
    import zipfile

    files = {"a-s-258px.png": qr.render_png(URL, "s"), "a-xl-860px.png": qr.render_png(URL, "xl")}
    first, again = qr.zip_of(files), qr.zip_of(files)
    archive = zipfile.ZipFile(io.BytesIO(first))
    assert archive.namelist() == list(files)
    assert {name: archive.read(name) for name in files} == files
    assert first == again  # a function of its files: the same download twice is the same bytes


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.uuids(),
    st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}\Z"),
    st.sampled_from([None, *qr.COMMON_LOGOS]),
)
def test_offer_urls_decode_exactly_at_every_size(coupon_id, channel, logo):
    # Given any coupon id, channel name and common logo (or none)
    url = offer_url("https://coupons.example.com", coupon_id.hex, channel)
    assert url == f"https://coupons.example.com/c/offers/{coupon_id.hex}?channel={channel}"
    for size in qr.SIZES:
        # Then the code of its URL, at every size, decodes to exactly that URL
        png = qr.render_png(url, size, qr.common_logo(logo) if logo else None)
        assert decode(png) == url, (size, logo)


def test_a_logo_never_makes_the_code_denser_than_version_10_when_m_fits():
    # Given the longest offer URL (a 64-character channel): H would need version 12
    url = offer_url("https://coupons.example.com", "f" * 32, "c" * 64)
    png = qr.render_png(url, "s", qr.common_logo("star"))
    # Then the code keeps to version 10 (57 modules) and still decodes
    assert len(expected_with_logo(url)) <= 57
    assert assert_modules_match(png, expected_with_logo(url), hidden_centre=qr.SIZES["s"] // 5) > 0
    assert decode(png) == url
