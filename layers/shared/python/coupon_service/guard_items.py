"""Typed items of the watches and guards: a redemption's guard, a coupon's verification watch, a staff
member's lookup budget, a coupon's stock marker."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class GuardItem(BaseModel):
    """Verification attempts on one claimed coupon (`CLAIM#{claimId}` / `GUARD`), or on one customer's
    coupons of one merchant (`CUSTOMER#{customerId}` / `GUARD#{merchantId}`): attempt id -> its number;
    the lock slides with each attempt."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    attempts: dict[str, int | str] = {}
    seq: int = 0
    lock_ends: str | None = None
    last_at: str | None = None


class WatchItem(BaseModel):
    """Wrong codes on one coupon from all its customers in the current window (`GUARD#{couponId}` /
    `GUARD`)."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    window: str | None = None
    wrong: dict[str, str] = {}
    attack_window: str | None = None
    attack_until: str = ""


class LookupBudgetItem(BaseModel):
    """A staff member's unknown codes at one merchant (`STAFF#{staffId}` / `LOOKUPS#{merchantId}`): lookup
    id -> time, the window's end, `locked_at` once the budget was spent."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    lookups: dict[str, str] = {}
    window_ends: str = ""
    locked_at: str | None = None


class StockItem(BaseModel):
    """What the stock watch last decided about a coupon's inventory (`COUPON#{couponId}` / `STOCK`): whether
    it is at or under its low-stock threshold and whether it is sold out, and how many times each was
    crossed (the outbox raises one event per crossing, named by its number). `version` orders the watch's
    conditional writes."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    coupon_id: str
    merchant_id: str
    version: int = 0
    low: bool = False
    low_crossings: int = 0
    sold_out: bool = False
    sold_out_crossings: int = 0
    remaining: int | None = None  # the total when last written
    threshold: int | None = None
    low_at: str | None = None  # when the latest crossing of each was seen
    sold_out_at: str | None = None
    checked_at: str | None = None
