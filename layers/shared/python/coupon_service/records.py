"""A coupon's records for its merchant: claims and redemptions in a time range, searched by exact nickname,
name or phone (matched by its keyed hash), channel, store and state; each read audited."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import Invalid
from coupon_service.items import CouponItem
from coupon_service.models.records import (
    DEFAULT_DAYS,
    MAX_DAYS,
    AuditEntryOut,
    AuditPage,
    RecordOut,
    RecordSearch,
    RecordsPage,
)
from coupon_service.privacy import PHONE_PURPOSE, keyed_hash, phone_from_search
from coupon_service.secret import hmac_key
from coupon_service.settings import settings
from coupon_service.store.audit import AuditStore, read_entry
from coupon_service.store.coupons import CouponStore
from coupon_service.store.records import RecordFilter, RecordStore, decode_cursor, encode_cursor
from coupon_service.store.stores import StoreRegistry
from coupon_service.store.table import Table
from coupon_service.validity import to_iso

_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def window(search: RecordSearch, now: datetime) -> tuple[str, str]:
    """The range [start, end) searched: by default the last 7 days; at most 90; an end after its start."""
    for field, value in (("from", search.start), ("to", search.end)):
        if value is not None and value.tzinfo is None:
            raise Invalid("an instant needs its offset (Z or +hh:mm)", field=field)
        if value is not None and not _EARLIEST <= value <= _LATEST:
            raise Invalid("must lie in 2000-2100", field=field)
    # By default up to now, included: instants are stored to the second, so the range ends at the next one.
    end = search.end or now.replace(microsecond=0) + timedelta(seconds=1)
    start = search.start or end - timedelta(days=DEFAULT_DAYS)
    if end <= start:
        raise Invalid("must be after `from`", field="to")
    if end - start > timedelta(days=MAX_DAYS):
        raise Invalid(f"a range is at most {MAX_DAYS} days", field="from")
    return to_iso(start), to_iso(end)


def phone_hash(raw: str) -> str:
    """The keyed hash a claim stores of this number; a text that is not a whole number is a 422."""
    e164 = phone_from_search(raw, settings().phone_country_code)
    if e164 is None:
        # The text is never echoed: it may be most of someone's number.
        raise Invalid("not a whole phone number", field="phone")
    return keyed_hash(hmac_key(), PHONE_PURPOSE, e164)


class Records:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.table = table or Table()
        self.clock = clock

    def filters(self, coupon: CouponItem, search: RecordSearch) -> RecordFilter:
        channels = [*(coupon.options.get("channels") or []), "other"]
        if search.channel is not None and search.channel not in channels:
            raise Invalid("not one of the coupon's channels", field="channel")
        if search.store is not None:
            merchants = coupon.merchants or [coupon.merchant_id]
            if not StoreRegistry(self.table).existing((m, search.store) for m in merchants):
                raise Invalid("not a store of the merchant's registry", field="store")
        return RecordFilter(
            nickname=search.nickname,
            name=search.name,
            phone_hash=phone_hash(search.phone) if search.phone is not None else None,
            channel=search.channel,
            store_id=search.store,
            state=search.state,
            kind=search.kind,
        )

    def search(
        self, owner: str, by: str, coupon_id: str, search: RecordSearch, *, limit: int, token: str | None
    ) -> RecordsPage:
        """One page of the coupon's records matching `search`, newest first; the read audited (who, when,
        what, how many rows) before it answers: an audit that cannot be written fails the read."""
        now = self.clock.now()
        start, end = window(search, now)
        coupon = CouponStore(self.table).coupon_of(owner, coupon_id, deleted=True)
        filters = self.filters(coupon, search)
        after = decode_cursor(token, merchant_id=owner, coupon_id=coupon_id, filters=filters)
        found, after = RecordStore(self.table).coupon_records_page(
            coupon_id,
            coupon.shard_count,
            start=start,
            end=end,
            filters=filters,
            now=to_iso(now),
            limit=limit,
            after=after,
        )
        searched = {"from": start, "to": end, **{k: str(v) for k, v in asdict(filters).items() if v}}
        self._audit(owner, by, coupon_id, searched, continued=token is not None, rows=len(found), now=now)
        return RecordsPage(
            items=[RecordOut.from_item(r, to_iso(now)) for r in found],
            start=datetime.fromisoformat(start),
            end=datetime.fromisoformat(end),
            next_token=encode_cursor(after, merchant_id=owner, coupon_id=coupon_id, filters=filters),
        )

    def _audit(
        self,
        owner: str,
        by: str,
        coupon_id: str,
        searched: dict[str, str],
        *,
        continued: bool,
        rows: int,
        now: datetime,
    ) -> None:
        AuditStore(self.table).record_read(
            read_entry(owner, by, coupon_id, searched, rows=rows, now=now, continued=continued)
        )

    def audit(self, owner: str, limit: int, token: str | None) -> AuditPage:
        """The merchant's audited reads of records, newest first."""
        entries, next_token = AuditStore(self.table).merchant_audit_page(owner, limit, token)
        return AuditPage(items=[AuditEntryOut.from_item(e) for e in entries], next_token=next_token)
