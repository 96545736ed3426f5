"""Draws the common logos shipped in the layer (coupon_service/logos/*.png), which a merchant may print in
the middle of a promotion QR code instead of an image of their own: simple shapes, one colour each, on a
transparent ground, 256 pixels square (what the largest QR code's centre shows).

Run from the repository root to redraw them: `.venv/bin/python layers/shared/common_logos.py`.
The names are `coupon_service.qr.COMMON_LOGOS`; tests/unit/test_qr.py checks each file is there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

SIDE = 256
OUT = Path(__file__).parent / "python" / "coupon_service" / "logos"


def star(draw: ImageDraw.ImageDraw) -> None:
    centre, outer, inner = SIDE / 2, SIDE * 0.48, SIDE * 0.2
    points = [
        (
            centre + (outer if i % 2 == 0 else inner) * math.sin(i * math.pi / 5),
            centre - (outer if i % 2 == 0 else inner) * math.cos(i * math.pi / 5) + 10,
        )
        for i in range(10)
    ]
    draw.polygon(points, fill=(245, 180, 0))


def heart(draw: ImageDraw.ImageDraw) -> None:
    red = (220, 30, 60)
    draw.ellipse((16, 40, 132, 156), fill=red)
    draw.ellipse((124, 40, 240, 156), fill=red)
    draw.polygon([(20, 118), (236, 118), (128, 236)], fill=red)


def gift(draw: ImageDraw.ImageDraw) -> None:
    purple, gold = (120, 50, 170), (250, 200, 40)
    draw.rectangle((24, 88, 232, 240), fill=purple)
    draw.rectangle((12, 64, 244, 104), fill=purple)
    draw.rectangle((112, 64, 144, 240), fill=gold)
    draw.ellipse((60, 16, 128, 72), outline=gold, width=14)
    draw.ellipse((128, 16, 196, 72), outline=gold, width=14)


def percent(draw: ImageDraw.ImageDraw) -> None:
    green = (20, 150, 80)
    draw.ellipse((0, 0, SIDE - 1, SIDE - 1), fill=green)
    draw.line((72, 192, 184, 64), fill="white", width=22)
    draw.ellipse((52, 52, 104, 104), outline="white", width=16)
    draw.ellipse((152, 152, 204, 204), outline="white", width=16)


def tag(draw: ImageDraw.ImageDraw) -> None:
    blue = (30, 110, 220)
    draw.polygon([(16, 128), (96, 40), (240, 40), (240, 216), (96, 216)], fill=blue)
    draw.ellipse((84, 112, 116, 144), fill=(0, 0, 0, 0))


DRAWINGS: dict[str, Callable[[ImageDraw.ImageDraw], None]] = {
    "star": star,
    "heart": heart,
    "gift": gift,
    "percent": percent,
    "tag": tag,
}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, drawing in DRAWINGS.items():
        image = Image.new("RGBA", (SIDE, SIDE), (0, 0, 0, 0))
        drawing(ImageDraw.Draw(image))
        image.save(OUT / f"{name}.png", format="PNG", optimize=True)


if __name__ == "__main__":
    main()
