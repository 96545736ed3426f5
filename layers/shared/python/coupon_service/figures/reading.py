"""Reading figures: a coupon's counter cells summed over their shards, per day, channel or store, in the
merchant's time zone; and the merchant's overview, its coupons' totals side by side."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import Invalid, NotFound
from coupon_service.figures.facts import FIGURES, NONE
from coupon_service.models.figures import (
    By,
    CouponFigures,
    FigureCounts,
    FigureRow,
    OverviewItem,
    OverviewPage,
)
from coupon_service.store.coupons import CouponStore
from coupon_service.store.figures import FiguresStore
from coupon_service.store.merchants import MerchantSettingsStore
from coupon_service.store.stores import StoreRegistry
from coupon_service.store.table import Table

Cell = tuple[str, str, str]  # day, channel, store
MAX_DAYS, DEFAULT_DAYS = 90, 7
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # digits only: no week dates, no signs, no spaces
_GROUP = {"day": 0, "channel": 1, "store": 2}


def summed(items: Iterable[dict[str, Any]]) -> dict[Cell, dict[str, int]]:
    """Counter items (any shards) summed per day, channel and store."""
    out: dict[Cell, dict[str, int]] = {}
    for item in items:
        counts = out.setdefault((item["day"], item["channel"], item["store_id"]), dict.fromkeys(FIGURES, 0))
        for name in FIGURES:
            counts[name] += int(item.get(name) or 0)
    return out


def _day(text: str | None, field: str) -> date | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date() if _DAY.fullmatch(text) else _refuse(field)
    except ValueError:
        return _refuse(field)


def _refuse(field: str) -> date:
    raise Invalid("a day is written YYYY-MM-DD", field=field)


def day_range(first: str | None, last: str | None, today: date) -> tuple[date, date]:
    """The days asked (the last 7 by default), refused when not inside the last 90 (422 naming the field).
    A day before the kept ones is refused before any arithmetic on it (year 1 minus a week is no date)."""
    end = _day(last, "to") or today
    if end <= today - timedelta(days=MAX_DAYS):
        raise Invalid(f"figures are kept for the last {MAX_DAYS} days", field="to")
    start = _day(first, "from") or end - timedelta(days=DEFAULT_DAYS - 1)
    if end > today:
        raise Invalid("the range ends after today", field="to")
    if end < start:
        raise Invalid("the range ends before its start", field="to")
    if (end - start).days + 1 > MAX_DAYS:
        raise Invalid(f"a range is at most {MAX_DAYS} days", field="from")
    if start <= today - timedelta(days=MAX_DAYS):
        raise Invalid(f"figures are kept for the last {MAX_DAYS} days", field="from")
    return start, end


def _counts(counts: dict[str, int]) -> dict[str, int]:
    return {name: counts.get(name, 0) for name in FIGURES}


class Figures:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.table = table or Table()
        self.store = FiguresStore(self.table)
        self.clock = clock

    def _zone(self, merchant_id: str) -> ZoneInfo:
        found = MerchantSettingsStore(self.table).settings(merchant_id)
        return ZoneInfo(getattr(found, "time_zone", None) or "UTC")

    def _check_filters(
        self, owner: str, options: dict[str, Any], channel: str | None, store: str | None
    ) -> None:
        if channel is not None and channel not in {*(options.get("channels") or []), "other"}:
            raise Invalid("not a channel of this coupon", field="channel")
        if store is not None:
            try:
                StoreRegistry(self.table).store_of(owner, store)
            except NotFound as error:
                raise Invalid("not one of your stores", field="store") from error

    def coupon(self, owner: str, coupon_id: str, *, first: str | None, last: str | None, by: By,
               channel: str | None = None, store: str | None = None) -> CouponFigures:  # fmt: skip
        """A coupon's figures per day, channel or store over a range of days (another merchant's: 404)."""
        coupon = CouponStore(self.table).coupon_of(owner, coupon_id, deleted=True)
        zone = self._zone(coupon.merchant_id)
        today = self.clock.now().astimezone(zone).date()
        start, end = day_range(first, last, today)
        self._check_filters(owner, coupon.options, channel, store)
        cells = summed(self.store.cells(coupon_id, start.isoformat(), end.isoformat()))
        groups: dict[str, dict[str, int]] = {}
        if by == "day":  # every day of the range, those without a figure too
            groups = {(start + timedelta(days=n)).isoformat(): {} for n in range((end - start).days + 1)}
        total: dict[str, int] = {}
        for (day, cell_channel, cell_store), counts in cells.items():
            if (channel and cell_channel != channel) or (store and cell_store != store):
                continue
            shown = dict(counts, expired_unused=counts["expired_unused"] if day < today.isoformat() else 0)
            group = groups.setdefault((day, cell_channel, cell_store)[_GROUP[by]], {})
            for name, n in shown.items():
                group[name] = group.get(name, 0) + n
                total[name] = total.get(name, 0) + n
        rows = [FigureRow.of(_counts(c), **self._label(by, key)) for key, c in sorted(groups.items())]
        return CouponFigures(
            coupon_id=coupon_id, time_zone=zone.key, first_day=start.isoformat(), last_day=end.isoformat(),
            by=by, channel=channel, store_id=store, totals=FigureCounts.of(_counts(total)), rows=rows,
        )  # fmt: skip

    @staticmethod
    def _label(by: By, key: str) -> dict[str, str | None]:
        name = {"day": "day", "channel": "channel", "store": "store_id"}[by]
        return {name: None if key == NONE else key}

    def overview(self, owner: str, *, sort: str, order: str, limit: int, token: str | None) -> OverviewPage:
        """The merchant's coupons with their figures over all days, sorted, a page at a time."""
        listing = f"figures-overview:{sort}:{order}"
        offset = self.store.overview_offset(owner, token, listing)
        totals: dict[str, dict[str, int]] = {}
        for item in self.store.totals(owner):
            into = totals.setdefault(item["coupon_id"], dict.fromkeys(FIGURES, 0))
            for name in FIGURES:
                into[name] += int(item.get(name) or 0)
        items = [
            OverviewItem.of(
                _counts(totals.get(c["coupon_id"], {})),
                coupon_id=c["coupon_id"],
                title=c["title"],
                status=c["status"],
            )
            for c in self.store.merchant_coupons(owner)
        ]

        def key(item: OverviewItem) -> tuple[float, str]:
            value = getattr(item, sort)
            return (-1.0 if value is None else float(value), item.coupon_id)

        ordered = sorted(items, key=key, reverse=order == "desc")
        page = ordered[offset : offset + limit]
        more = offset + limit < len(ordered)
        next_token = self.store.overview_token(owner, offset + limit, listing) if more else None
        return OverviewPage(items=page, next_token=next_token)
