"""Grants: a merchant issues a coupon to many customers at once (a list of ids, a tag of their customer
directory, a segment, or an uploaded file of ids).

A request puts the grant (its listed customers with it, in one transaction) and a message on the grant
queue, and answers 202: the grant never runs inside the request. Its id is derived from the merchant's
`Idempotency-Key`, so a request sent again finds the grant it made (and sends its message again while it is
queued: the first may be what was lost). An upload's grant waits for its file: the answer carries a form
to post it to, and S3's notification of the file queues the grant. The worker (`grants.run`) issues the
coupon customer by customer through `coupon_service.issuing`, idempotent per (grant, customer).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import timedelta

from coupon_service import import_files
from coupon_service.aws import client
from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import Invalid, NotFound
from coupon_service.grant_items import GrantItem, SourceType
from coupon_service.grants.run import Run
from coupon_service.grants.sources import PREFIX, check_source, chunked, grant_of_key
from coupon_service.items import CouponItem
from coupon_service.models.grants import (
    NOT_REACHED_SHOWN,
    GrantOut,
    GrantPage,
    GrantRequest,
    UploadForm,
    message,
)
from coupon_service.settings import settings
from coupon_service.store.coupons import CouponStore
from coupon_service.store.grants import GrantStore
from coupon_service.store.table import Table
from coupon_service.validity import to_iso

__all__ = ["PREFIX", "Grants", "grant_id_for"]

UPLOAD_SECONDS = 900
_SOURCE: dict[str, SourceType] = {
    "customer_ids": "customer_ids",
    "tag": "tag",
    "segment_id": "segment",
    "upload": "upload",
}


def grant_id_for(merchant_id: str, coupon_id: str, key: str | None) -> str:
    """A request's grant: derived from the merchant's Idempotency-Key (a retry finds it), else new."""
    if key is None:
        return uuid.uuid4().hex
    return hashlib.sha256(f"grant\n{merchant_id}\n{coupon_id}\n{key}".encode()).hexdigest()[:32]


def request_hash(coupon_id: str, body: GrantRequest) -> str:
    return hashlib.sha256(f"{coupon_id}\n{body.model_dump_json()}".encode()).hexdigest()


class Grants:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.table = table or Table()
        self.clock = clock
        self.store = GrantStore(self.table)
        self.coupons = CouponStore(self.table)

    # --- the API ---------------------------------------------------------------------------------

    def request(
        self, merchant_id: str, by: str, coupon_id: str, body: GrantRequest, key: str | None
    ) -> GrantOut:
        coupon = self.coupons.coupon_of(merchant_id, coupon_id)
        sources = body.sources()
        if not sources:
            raise Invalid("name the customers: customer_ids, tag, segment_id or upload", field="customer_ids")
        if len(sources) > 1:
            raise Invalid(f"one source of customers, not {' and '.join(sources)}", field=sources[1])
        check_source(
            self.table, merchant_id, body
        )  # an unknown segment is a 404 naming it, before anything is written
        grant, chunks = self._new_grant(coupon, by, body, key)
        stored, created = self.store.create(grant, chunks)
        if not created and (stored.merchant_id, stored.request_hash) != (merchant_id, grant.request_hash):
            raise Invalid("this Idempotency-Key was used with a different request", field="Idempotency-Key")
        if stored.status == "queued":
            self.send(stored.grant_id)  # again for a grant still queued: the first message may be lost
        form = self._upload_form(stored) if stored.status == "awaiting_upload" else None
        return GrantOut.from_item(stored, upload=form)

    def _new_grant(
        self, coupon: CouponItem, by: str, body: GrantRequest, key: str | None
    ) -> tuple[GrantItem, list[list[str]]]:
        grant_id = grant_id_for(coupon.merchant_id, coupon.coupon_id, key)
        (source,) = body.sources()
        listed = chunked(body.customer_ids or [])
        grant = GrantItem(
            grant_id=grant_id,
            merchant_id=coupon.merchant_id,
            coupon_id=coupon.coupon_id,
            source=_SOURCE[source],
            tag=body.tag,
            segment_id=body.segment_id,
            upload_key=f"{PREFIX}{grant_id}" if body.upload else None,
            request_hash=request_hash(coupon.coupon_id, body),
            created_by=by,
            created_at=to_iso(self.clock.now()),
            status="awaiting_upload" if body.upload else "queued",
            resolved=body.customer_ids is not None,
            requested=listed.requested,
            duplicates=listed.duplicates,
            chunks=len(listed.chunks),
        )
        return grant, listed.chunks

    def _upload_form(self, grant: GrantItem) -> UploadForm:
        """A form to post the grant's file of ids to its key (signed for this answer, never stored)."""
        limit = settings().import_max_bytes
        post = import_files.upload_post(
            settings().import_bucket, str(grant.upload_key), limit, UPLOAD_SECONDS
        )
        return UploadForm(
            url=post["url"],
            fields=post["fields"],
            key=str(grant.upload_key),
            max_bytes=limit,
            expires_at=self.clock.now() + timedelta(seconds=UPLOAD_SECONDS),
        )

    def grant(self, merchant_id: str, coupon_id: str, grant_id: str) -> GrantOut:
        """The merchant's grant with the first customers it did not reach (another's is a 404)."""
        grant = self.store.grant(grant_id)
        if grant is None or (grant.merchant_id, grant.coupon_id) != (merchant_id, coupon_id):
            raise NotFound("no such grant", field="grantId")
        missed = self.store.not_reached(grant_id, NOT_REACHED_SHOWN) if sum(grant.skipped.values()) else []
        form = self._upload_form(grant) if grant.status == "awaiting_upload" else None
        return GrantOut.from_item(grant, missed, upload=form)

    def grants(self, merchant_id: str, coupon_id: str, limit: int, token: str | None) -> GrantPage:
        self.coupons.coupon_of(merchant_id, coupon_id, deleted=True)
        items, next_token = self.store.page(coupon_id, limit, token)
        return GrantPage(items=[GrantOut.from_item(g) for g in items], next_token=next_token)

    @staticmethod
    def send(grant_id: str) -> None:
        """Put the grant's message on the grant queue: a new grant, or one handed on to the next run."""
        client("sqs").send_message(QueueUrl=settings().grant_queue_url, MessageBody=message(grant_id))

    # --- the worker ------------------------------------------------------------------------------

    def run(self, grant_id: str, time_left: Callable[[], float]) -> str:
        """Run or resume a grant (see `grants.run`); `continue` when the caller must hand it on (`send`)."""
        return Run(self.store, self.clock, time_left)(grant_id)

    def uploaded(
        self, bucket: str, key: str, version: str, time_left: Callable[[], float]
    ) -> tuple[str | None, str]:
        """S3 says a grant's file arrived: queue the grant with that version of it, and run it. (The grant's
        id, or None for a key that is no grant's; what the run did, or `ignored`.)"""
        grant = grant_of_key(self.store, key)
        if grant is None or bucket != settings().import_bucket:
            return None, "ignored"  # not a grant's key, or a grant that awaits no file (a second upload)
        if self.store.uploaded(grant.grant_id, version) is None:
            return grant.grant_id, "ignored"
        return grant.grant_id, self.run(grant.grant_id, time_left)
