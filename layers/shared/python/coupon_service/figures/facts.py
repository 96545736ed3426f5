"""What the figures are made of, pure: the small records the aggregator keeps per claimed coupon and per
customer at a merchant, how each event changes them, and what each record contributes to the counters.

A record holds the facts its events told (a set: an event applied twice changes nothing), and its
contribution is a function of those facts alone, so the same events in any order leave the same record
and the same contribution. The aggregator writes the record with the counters moved by the difference
between the new contribution and the one the record last made (kept on it), in one transaction: the
counters always equal the sum of the records' contributions, whatever the order the events came in.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from coupon_service.validity import from_iso

NONE = "-"  # no channel (not known yet, or a customer's fact) or no store
REPEAT_WINDOW = timedelta(days=30)
FIGURES = (
    "claimed",
    "used",
    "reversed",
    "voided",
    "expired_unused",
    "gifted",
    "discount",
    "orders",
    "order_value",
    "new_customers",
    "repeat_orders",
)

Record = dict[str, Any]
Contribution = dict[str, dict[str, int]]  # cell -> figure -> count


def cell(merchant: str, coupon: str, day: str, channel: str | None, store: str | None) -> str:
    """A counter cell: one coupon's figures on one day (the merchant's zone), channel and store."""
    return f"{merchant}|{coupon}|{day}|{channel or NONE}|{store or NONE}"


def parts(key: str) -> tuple[str, str, str, str, str]:
    merchant, coupon, day, channel, store = key.split("|")
    return merchant, coupon, day, channel, store


def day_of(instant: str, zone: ZoneInfo) -> str:
    return from_iso(instant).astimezone(zone).date().isoformat()


def add(into: Contribution, key: str, **figures: int) -> None:
    counts = into.setdefault(key, {})
    for name, value in figures.items():
        counts[name] = counts.get(name, 0) + value


def difference(new: Contribution, old: Contribution) -> Contribution:
    """What moves the counters from `old` to `new` (zeros left out)."""
    moved: Contribution = {}
    for key in new.keys() | old.keys():
        a, b = new.get(key, {}), old.get(key, {})
        counts = {f: a.get(f, 0) - b.get(f, 0) for f in a.keys() | b.keys()}
        counts = {f: n for f, n in counts.items() if n}
        if counts:
            moved[key] = counts
    return moved


def total(contributions: Iterable[Contribution]) -> Contribution:
    summed: Contribution = {}
    for contribution in contributions:
        for key, counts in contribution.items():
            add(summed, key, **counts)
    return difference(summed, {})


# --- a claimed coupon ------------------------------------------------------------------------------


def claim_record(claim_id: str) -> Record:
    return {"claim_id": claim_id, "version": 0, "seen": [], "redemptions": {}, "reversals": {},
            "gifts": {}, "contributed": {}}  # fmt: skip


def _tested(record: Record, detail: dict[str, Any]) -> Record:
    """A claim of a draft's test release, as its claim or a redemption of it tells: it counts nowhere."""
    return {**record, "test_release": True} if detail.get("test_release") else record


def claimed(record: Record, detail: dict[str, Any]) -> Record:
    keep = ("coupon_id", "merchant_id", "customer_id", "channel", "valid_until")
    return _tested({**record, "claim": {**{k: detail[k] for k in keep}, "at": detail["occurred_at"]}}, detail)


def redeemed(record: Record, detail: dict[str, Any]) -> Record:
    fact = {
        "coupon_id": detail["coupon_id"],
        "merchant_id": detail["merchant_id"],
        "customer_id": detail["customer_id"],
        "at_merchant": detail.get("redeemed_at_merchant") or detail["merchant_id"],
        "at": detail["occurred_at"],
        "store": detail.get("store_id"),
        "order_id": detail.get("order_id"),
        "order_amount": detail.get("order_amount") or 0,
        "discount": detail.get("discount") or 0,
    }
    return _tested(
        {**record, "redemptions": {**record["redemptions"], detail["redemption_id"]: fact}}, detail
    )


def reversed_(record: Record, detail: dict[str, Any]) -> Record:
    return {**record, "reversals": {**record["reversals"], detail["redemption_id"]: detail["occurred_at"]}}


def voided(record: Record, detail: dict[str, Any]) -> Record:
    at = detail["occurred_at"]  # a claim is voided once; the earliest if ever told twice
    return {**record, "voided_at": min(at, record.get("voided_at") or at)}


def gifted(record: Record, detail: dict[str, Any]) -> Record:
    return {**record, "gifts": {**record["gifts"], detail["event_id"]: detail["occurred_at"]}}


def extended(record: Record, detail: dict[str, Any]) -> Record:
    """A window only grows: the latest end any extension told (in any order, told any number of times)."""
    until = max(detail["valid_until"], record.get("extended_until") or detail["valid_until"])
    return {**record, "extended_until": until}


def claim_contribution(record: Record, zone: ZoneInfo) -> Contribution:
    """A claimed coupon's figures: claimed on its claim day; each redemption standing (not reversed) used
    on its day at its store, with its discount; each reversal of a known redemption on the reversal's day;
    voided and gifted on their days; expired unused on its last day (the latest an extension gave it) while
    nothing used or voided it. All
    under the claim's channel (`-` until the claim itself is known)."""
    out: Contribution = {}
    if record.get("test_release"):
        return out
    claim = record.get("claim")
    channel = claim["channel"] if claim else None
    standing = 0
    for rid, r in record["redemptions"].items():
        merchant, coupon = r["merchant_id"], r["coupon_id"]
        reversal = record["reversals"].get(rid)
        if reversal is None:
            standing += 1
            key = cell(merchant, coupon, day_of(r["at"], zone), channel, r["store"])
            add(out, key, used=1, discount=int(r["discount"]))
        else:
            add(out, cell(merchant, coupon, day_of(reversal, zone), channel, r["store"]), reversed=1)
    if claim is None:
        return out
    merchant, coupon = claim["merchant_id"], claim["coupon_id"]
    add(out, cell(merchant, coupon, day_of(claim["at"], zone), channel, None), claimed=1)
    if record.get("voided_at"):
        add(out, cell(merchant, coupon, day_of(record["voided_at"], zone), channel, None), voided=1)
    for at in record["gifts"].values():
        add(out, cell(merchant, coupon, day_of(at, zone), channel, None), gifted=1)
    if not standing and not record.get("voided_at"):
        until = max(claim["valid_until"], record.get("extended_until") or claim["valid_until"])
        key = cell(merchant, coupon, day_of(until, zone), channel, None)
        add(out, key, expired_unused=1)
    return out
