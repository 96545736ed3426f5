"""Outside events: a merchant's systems report customers joining, accepting invitations and reaching tiers,
on the bus (source `coupons.customers`) or through `POST /merchant/customer-events`. Each is checked the
same way and stored once per merchant and event id; the outbox then publishes the service's own event of
its kind, which the rules worker applies (coupon_service.issuance.apply)."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Literal

from pydantic import ValidationError

from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import Forbidden, Invalid
from coupon_service.models.customer_events import (
    CUSTOMER_EVENTS_SOURCE,
    DETAILS,
    BusEvent,
    CustomerEventOut,
    OutsideEvent,
)
from coupon_service.rule_items import CustomerEventItem
from coupon_service.senders import invalid_detail, may_report
from coupon_service.senders import refusal as refusal  # the rules worker logs with it
from coupon_service.store.rule_marks import RuleMarks
from coupon_service.store.table import Table
from coupon_service.validity import to_iso

Via = Literal["api", "bus"]
FUTURE_SKEW = timedelta(minutes=5)  # as the orders feed: clocks drift, tomorrow is a mistake
_WHEN = {
    "CustomerJoined": "joined_at",
    "InvitationAccepted": "accepted_at",
    "TierUpgraded": "upgraded_at",
    "ProfileCompleted": "completed_at",
    "CardBound": "bound_at",
    "ContentShared": "shared_at",
    "ContentPosted": "posted_at",
}


class CustomerEvents:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.marks = RuleMarks(table)
        self.clock = clock

    def report(
        self, merchant_id: str, kind: str, detail: OutsideEvent, *, via: Via = "api"
    ) -> CustomerEventOut:
        """The event stored once; the same event again answers the same, another under its id is a 409."""
        when = _WHEN[kind]
        if getattr(detail, when) > self.clock.now() + FUTURE_SKEW:
            raise Invalid(f"lies in the future (more than {FUTURE_SKEW} ahead)", code="in_future", field=when)
        reported = detail.model_dump(mode="json", exclude={"merchant_id"}, exclude_none=True)
        reported[when] = to_iso(getattr(detail, when))
        if "tags" in reported:
            reported["tags"] = sorted(set(reported["tags"]))
        digest = hashlib.sha256(
            json.dumps([kind, reported], sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
        item = CustomerEventItem(
            kind=kind,  # type: ignore[arg-type]  # one of DETAILS' keys
            event_id=detail.event_id,
            merchant_id=merchant_id,
            detail=reported,
            received_at=to_iso(self.clock.now()),
            reported_via=via,
            digest=digest,
        )
        stored, _ = self.marks.report(item)
        return CustomerEventOut(
            event_id=stored.event_id,
            merchant_id=stored.merchant_id,
            detail_type=stored.kind,
            received_at=stored.received_at,
            reported_via=stored.reported_via,
        )

    def take(self, event: BusEvent) -> CustomerEventOut:
        """An event a merchant's system put on the bus, checked as the API checks a report and stored by the
        same write; refused (a DomainError) when it is not the merchants' source, its detail is invalid,
        or the account that sent it may not report for the merchant it names."""
        if event.source != CUSTOMER_EVENTS_SOURCE:
            raise Invalid(f"not an event of {CUSTOMER_EVENTS_SOURCE}", code="wrong_source", field="source")
        detail = _detail(event)
        if detail.merchant_id is None:
            raise Invalid("name the merchant", code="merchant_required", field="detail.merchant_id")
        if not may_report(event.account, detail.merchant_id):
            raise Forbidden("this account does not report for this merchant", field="merchant_id")
        return self.report(detail.merchant_id, event.detail_type, detail, via="bus")


def _detail(event: BusEvent) -> OutsideEvent:
    model = DETAILS.get(event.detail_type)
    if model is None:
        raise Invalid(
            f"not one of {', '.join(DETAILS)}",
            code="unknown_detail_type",
            field="detail-type",
        )
    try:
        return model.model_validate(event.detail)
    except ValidationError as error:
        raise invalid_detail(error) from None
