"""Reading figures: a coupon's counter cells summed over their shards."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from coupon_service.figures.facts import FIGURES

Cell = tuple[str, str, str]  # day, channel, store


def summed(items: Iterable[dict[str, Any]]) -> dict[Cell, dict[str, int]]:
    """Counter items (any shards) summed per day, channel and store."""
    out: dict[Cell, dict[str, int]] = {}
    for item in items:
        counts = out.setdefault((item["day"], item["channel"], item["store_id"]), dict.fromkeys(FIGURES, 0))
        for name in FIGURES:
            counts[name] += int(item.get(name) or 0)
    return out
