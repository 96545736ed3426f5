"""The audit of reads of customer records: one item per read, put by the request that read (before it
answers), and listed per merchant newest first (GSI1)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from coupon_service import keys
from coupon_service.identity import PLATFORM
from coupon_service.merchant_items import RecordsAuditItem
from coupon_service.store.table import Table
from coupon_service.validity import to_iso

LISTING = "records-audit"  # what page tokens of a merchant's audit are signed for
KEPT = timedelta(days=400)  # a year of reads and a month to answer a question about them


def read_entry(
    owner: str, by: str, coupon_id: str, filters: dict[str, str], *, rows: int, now: datetime, continued: bool
) -> RecordsAuditItem:
    """The audit entry of one read of a coupon's records by `by` (a search's page, or an export's file)."""
    return RecordsAuditItem(
        audit_id=uuid.uuid4().hex,
        merchant_id=owner,
        by=by,
        role="platform" if owner == PLATFORM else "merchants",
        at=to_iso(now),
        coupon_id=coupon_id,
        filters=filters,
        continued=continued,
        rows=rows,
        expires_at=int((now + KEPT).timestamp()),
    )


class AuditStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def record_read(self, entry: RecordsAuditItem) -> None:
        """Put the entry (its id is new: a put refused after a lost answer that finds this very entry was
        ours). Any failure raises, so the read it audits answers an error, never unaudited records."""
        item = {
            **keys.records_audit(entry.audit_id),
            **keys.audit_listing(entry.merchant_id, entry.at, entry.audit_id),
            "type": "records_audit",
            **entry.model_dump(exclude_none=True),
        }
        self.table.put(item, ConditionExpression="attribute_not_exists(PK)")

    def merchant_audit_page(
        self, merchant_id: str, limit: int, token: str | None
    ) -> tuple[list[RecordsAuditItem], str | None]:
        """One page of the merchant's audited reads, newest first, with the token of the next page."""
        partition = keys.merchant_audit(merchant_id)
        items, next_token = self.table.listing_page(
            partition, listing=LISTING, limit=limit, token=token, forward=False
        )
        return [RecordsAuditItem.model_validate(i) for i in items], next_token
