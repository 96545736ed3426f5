"""QR codes as PNG, in the five sizes merchants print, optionally with a logo in the middle."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Pillow is loaded only when a code is rendered
    from PIL.Image import Image as PilImage

# Pixel side of the PNG for each print size: 8, 12, 15, 30 and 50 cm.
SIZES = {"s": 258, "m": 344, "l": 430, "xl": 860, "xxl": 1280}
QUIET_ZONE_MODULES = 4  # the minimum the QR standard asks for; rounding may add a few pixels
LOGO_MAX_FRACTION = 5  # logo and its white pad take at most 1/5 (20%) of the width
_LOGO_MAX_SOURCE_PIXELS = 4096 * 4096  # refuse giant uploads before decoding them


def render_png(data: str, size: str = "m", logo: bytes | None = None) -> bytes:
    """A square PNG of exactly SIZES[size] pixels encoding `data`, quiet zone included.

    With a logo (any image Pillow can read) the code uses error correction H and the logo,
    on a white pad, covers at most 20% of the width at the centre; without one it uses M.
    Raises ValueError for an unknown size, a logo that is not an image, or data too long.
    """
    if size not in SIZES:
        raise ValueError(f"unknown QR size {size!r}: use one of {', '.join(SIZES)}")
    import qrcode
    from PIL import Image
    from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_M
    from qrcode.exceptions import DataOverflowError

    pixels = SIZES[size]
    badge = _logo_badge(logo, pixels) if logo is not None else None
    code = qrcode.QRCode(
        error_correction=ERROR_CORRECT_H if badge is not None else ERROR_CORRECT_M,
        border=QUIET_ZONE_MODULES,
    )
    code.add_data(data)
    try:
        code.make(fit=True)
    # qrcode reports overflow as DataOverflowError or, past version 40, as a plain ValueError.
    except (DataOverflowError, ValueError) as error:
        raise ValueError("data is too long for a QR code") from error
    matrix = code.get_matrix()  # includes the quiet zone

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
