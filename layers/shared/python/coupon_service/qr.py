"""QR codes as PNG, in the five sizes merchants print, optionally with a logo in the middle; several at once
as a ZIP; the common logos shipped with the service; and a merchant's own logo checked and re-encoded."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Pillow is loaded only when a code is rendered
    from PIL.Image import Image as PilImage

# Pixel side of the PNG for each print size: 8, 12, 15, 30 and 50 cm.
SIZES = {"s": 258, "m": 344, "l": 430, "xl": 860, "xxl": 1280}
QUIET_ZONE_MODULES = 4  # the minimum the QR standard asks for; rounding may add a few pixels
LOGO_MAX_FRACTION = 5  # logo and its white pad take at most 1/5 (20%) of the width
_LOGO_MAX_SOURCE_PIXELS = 4096 * 4096  # refuse giant uploads before decoding them

# Common logos, drawn by layers/shared/common_logos.py and shipped as coupon_service/logos/<name>.png.
COMMON_LOGOS = ("star", "heart", "gift", "percent", "tag")
LOGO_MAX_BYTES = 1024 * 1024  # a merchant's own logo, as uploaded
LOGO_FORMATS = ("JPEG", "PNG")  # the only decoders an upload reaches
LOGO_SIDE = SIZES["xxl"] // LOGO_MAX_FRACTION  # what the largest code's centre shows: stored no larger


# A logo hides modules, so a code carrying one uses the strongest error correction that still fits in
# version 10 (57 modules a side): denser codes scan unreliably (OpenCV's detector misreads some masks of
# versions 11 and up, tests/unit/test_qr.py), and even M's recovery of 15% is more than a logo of 4% of the
# area needs. Data too long for M at version 10 takes M at whatever version holds it.
DENSEST_WITH_LOGO = 10


def render_png(data: str, size: str = "m", logo: bytes | None = None) -> bytes:
    """A square PNG of exactly SIZES[size] pixels encoding `data`, quiet zone included.

    With a logo (any image Pillow can read) the code uses error correction H (Q, else M, when H would
    need a code denser than DENSEST_WITH_LOGO) and the logo, on a white pad, covers at most 20% of the width
    at the centre; without one it uses M.
    Raises ValueError for an unknown size, a logo that is not an image, or data too long.
    """
    if size not in SIZES:
        raise ValueError(f"unknown QR size {size!r}: use one of {', '.join(SIZES)}")
    from PIL import Image

    pixels = SIZES[size]
    badge = _logo_badge(logo, pixels) if logo is not None else None
    matrix = _matrix(data, with_logo=badge is not None)  # includes the quiet zone

    modules = len(matrix)
    # Whole pixels per module keep every module the same size, which scanners and printers
    # prefer over a resampled image; the leftover pixels widen the quiet zone.
    box = pixels // modules
    symbol = Image.new("1", (modules, modules), 255)
    symbol.putdata([0 if dark else 255 for row in matrix for dark in row])
    symbol = symbol.resize((modules * box, modules * box), Image.Resampling.NEAREST)
    image = Image.new("1", (pixels, pixels), 255)
    offset = (pixels - modules * box) // 2
    image.paste(symbol, (offset, offset))

    if badge is not None:
        image = image.convert("RGB")
        image.paste(badge, ((pixels - badge.width) // 2, (pixels - badge.height) // 2))

    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _matrix(data: str, *, with_logo: bool) -> list[list[bool]]:
    import qrcode
    from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_M, ERROR_CORRECT_Q
    from qrcode.exceptions import DataOverflowError

    levels = (ERROR_CORRECT_H, ERROR_CORRECT_Q, ERROR_CORRECT_M) if with_logo else (ERROR_CORRECT_M,)
    for level in levels:  # past version 10 even at M: M, the least dense, whatever version holds it
        code = qrcode.QRCode(error_correction=level, border=QUIET_ZONE_MODULES)
        code.add_data(data)
        try:
            code.make(fit=True)
        # qrcode reports overflow as DataOverflowError or, past version 40, as a plain ValueError.
        except (DataOverflowError, ValueError) as error:
            raise ValueError("data is too long for a QR code") from error
        if not with_logo or code.version <= DENSEST_WITH_LOGO:
            break
    return code.get_matrix()


def _logo_badge(logo: bytes, pixels: int) -> PilImage:
    """The logo on its white pad, no wider or taller than 1/LOGO_MAX_FRACTION of `pixels`."""
    from PIL import Image

    side = pixels // LOGO_MAX_FRACTION
    margin = max(2, side // 12)
    try:
        mark: PilImage = Image.open(io.BytesIO(logo))
        if mark.width * mark.height > _LOGO_MAX_SOURCE_PIXELS:
            raise ValueError("logo too large")
        mark = mark.convert("RGBA")
    # Broad on purpose: a malformed upload can surface from Pillow's decoders as almost any
    # exception type (OSError, SyntaxError, EOFError, struct.error, ...), and all mean the same.
    except Exception as error:
        raise ValueError("the logo is not a readable image (or is over 4096x4096 pixels)") from error
    # thumbnail() only ever shrinks and keeps the aspect ratio.
    mark.thumbnail((side - 2 * margin, side - 2 * margin), Image.Resampling.LANCZOS)
    badge = Image.new("RGB", (mark.width + 2 * margin, mark.height + 2 * margin), "white")
    badge.paste(mark, (margin, margin), mark)
    return badge


def common_logo(name: str) -> bytes:
    """The PNG of one of COMMON_LOGOS."""
    if name not in COMMON_LOGOS:
        raise ValueError(f"unknown logo {name!r}: use one of {', '.join(COMMON_LOGOS)}")
    return (resources.files(__package__) / "logos" / f"{name}.png").read_bytes()


@dataclass(frozen=True)
class CleanLogo:
    png: bytes
    width: int
    height: int


def clean_logo(data: bytes) -> CleanLogo:
    """A merchant's image (PNG or JPEG, at most LOGO_MAX_BYTES) re-encoded as a PNG of at most LOGO_SIDE
    pixels a side, without its metadata; what is stored and printed, never the upload itself.

    Only Pillow's PNG and JPEG decoders are tried; the pixel count is read from the header and checked
    before anything is decoded (a decompression bomb is small as a file and huge once decoded); the file
    is verified (checksums, truncation) before it is decoded. Raises ValueError saying why.
    """
    from PIL import Image, ImageOps

    if len(data) > LOGO_MAX_BYTES:
        raise ValueError(f"the image is over {LOGO_MAX_BYTES} bytes")
    try:
        with Image.open(io.BytesIO(data), formats=LOGO_FORMATS) as probe:
            _check_pixels(probe.width, probe.height)
            probe.verify()
        with Image.open(io.BytesIO(data), formats=LOGO_FORMATS) as image:
            image.draft("RGB", (LOGO_SIDE, LOGO_SIDE))  # JPEG decodes scaled down; PNG ignores it
            upright = ImageOps.exif_transpose(image).convert("RGBA")
    except Image.DecompressionBombError as error:
        raise ValueError(f"the image is over {_LOGO_MAX_SOURCE_PIXELS} pixels") from error
    except ValueError:
        raise
    # Broad on purpose: a malformed upload surfaces from Pillow's decoders as almost any exception type
    # (UnidentifiedImageError, OSError, SyntaxError, EOFError, struct.error, ...), all meaning the same.
    except Exception as error:
        raise ValueError("not a readable PNG or JPEG image") from error
    upright.thumbnail((LOGO_SIDE, LOGO_SIDE), Image.Resampling.LANCZOS)
    # A new image carries no metadata (EXIF, ICC profile, text chunks) of the upload.
    clean = Image.new("RGBA", upright.size)
    clean.paste(upright)
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return CleanLogo(png=out.getvalue(), width=clean.width, height=clean.height)


def _check_pixels(width: int, height: int) -> None:
    if width * height > _LOGO_MAX_SOURCE_PIXELS:
        raise ValueError(
            f"the image is {width}x{height} pixels, over {_LOGO_MAX_SOURCE_PIXELS} "
            "(4096x4096): send a smaller one"
        )


def zip_of(files: dict[str, bytes]) -> bytes:
    """A ZIP of `files` (name to content), stored as they are: PNGs are compressed already."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, content in files.items():
            # A fixed time keeps the archive a function of its files.
            archive.writestr(zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)), content)
    return out.getvalue()
