"""Domain events (models in `models.events`) derived from committed item changes on the table's stream (the
outbox); publishing them."""

from __future__ import annotations

import base64
import json
import random
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from coupon_service.aws import client
from coupon_service.customer_outbox import DERIVERS as CUSTOMER_DERIVERS
from coupon_service.event_ids import became, event_id
from coupon_service.issue_events import granted
from coupon_service.models.events import (
    ClaimAbuseSuspected,
    CodeGuessingSuspected,
    CouponChanged,
    CouponClaimed,
    CouponCreated,
    CouponExpiring,
    CouponExtended,
    CouponGranted,
    CouponLowStock,
    CouponRedeemed,
    CouponSoldOut,
    CouponVoided,
    Event,
    GiftAccepted,
    ImportFinished,
    RedemptionReversed,
    VerificationUnderAttack,
)
from coupon_service.models.order_events import OrderPlaced, OrderRefunded
from coupon_service.order_outbox import DERIVERS as ORDER_DERIVERS
from coupon_service.point_outbox import DERIVERS as POINT_DERIVERS
from coupon_service.settings import settings
from coupon_service.watch_events import WATCH_DERIVERS

__all__ = [  # the event models are re-exported: consumers and tests read them from here
    "ClaimAbuseSuspected",
    "CodeGuessingSuspected",
    "CouponChanged",
    "CouponClaimed",
    "CouponCreated",
    "CouponExpiring",
    "CouponExtended",
    "CouponGranted",
    "CouponLowStock",
    "CouponRedeemed",
    "CouponSoldOut",
    "CouponVoided",
    "Event",
    "GiftAccepted",
    "ImportFinished",
    "OrderPlaced",
    "OrderRefunded",
    "RedemptionReversed",
    "VerificationUnderAttack",
    "derive",
    "entry",
    "event_id",
    "put_events",
]


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    if isinstance(value, bytes | bytearray):  # a coupon's logo
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} in a stream image")


def _as_json(image: dict[str, Any]) -> dict[str, Any]:
    """An image as Powertools deserializes it (numbers as Decimal, sets, bytes) turned into the JSON
    types an event carries: whole numbers as int, others as float, sets as sorted lists, bytes as base64."""
    return json.loads(json.dumps(image, default=_json_value))  # type: ignore[no-any-return]


def _coupon(new: dict[str, Any], old: dict[str, Any], name: str) -> list[Event]:
    if name != "INSERT":
        return []
    return [
        CouponCreated(
            event_id=event_id("CouponCreated", new["coupon_id"]),
            occurred_at=new["created_at"],
            coupon_id=new["coupon_id"],
            merchant_id=new["merchant_id"],
            issuer=new["issuer"],
            kind=new["terms"]["kind"],
            code_mode=new["codes"]["mode"],
            status=new["status"],
            title=new["title"],
        )
    ]


def _claim(new: dict[str, Any], old: dict[str, Any], name: str) -> list[Event]:
    found: list[Event] = []
    if name == "INSERT":
        found.append(
            CouponClaimed(
                event_id=event_id("CouponClaimed", new["claim_id"]),
                occurred_at=new["claimed_at"],
                claim_id=new["claim_id"],
                coupon_id=new["coupon_id"],
                merchant_id=new["merchant_id"],
                customer_id=new["owner_id"],
                channel=new.get("channel", "other"),
                valid_from=new["valid_from"],
                valid_until=new["valid_until"],
                test_release=new.get("test_release") or None,
            )
        )
        found += granted(new, found[-1])  # issued by the service: why, beside the claim
    if name == "MODIFY" and old.get("valid_until") and new.get("valid_until", "") > old["valid_until"]:
        found.append(
            CouponExtended(
                event_id=event_id("CouponExtended", f"{new['claim_id']}|{new['valid_until']}"),
                occurred_at=new.get("extended_at") or new["valid_until"],
                claim_id=new["claim_id"],
                coupon_id=new["coupon_id"],
                merchant_id=new["merchant_id"],
                customer_id=new["owner_id"],
                previous_until=old["valid_until"],
                valid_until=new["valid_until"],
            )
        )
    if name in ("INSERT", "MODIFY") and became(new, old, "reminded_at"):
        found.append(
            CouponExpiring(
                event_id=event_id("CouponExpiring", new["claim_id"]),
                occurred_at=new["reminded_at"],
                claim_id=new["claim_id"],
                coupon_id=new["coupon_id"],
                merchant_id=new["merchant_id"],
                customer_id=new["owner_id"],
                valid_until=new["valid_until"],
                message=new.get("reminder_message", ""),
            )
        )
    if name == "MODIFY" and became(new, old, "voided_at"):
        found.append(_voided(new))
    return found


def _voided(new: dict[str, Any]) -> CouponVoided:
    # A claim is voided once (void is final), so its id names the event.
    return CouponVoided(
        event_id=event_id("CouponVoided", new["claim_id"]),
        occurred_at=new["voided_at"],
        claim_id=new["claim_id"],
        coupon_id=new["coupon_id"],
        merchant_id=new["merchant_id"],
        customer_id=new["owner_id"],
        voided_by=new["voided_by"],
        reason=new["void_reason"],
    )


def _redemption(new: dict[str, Any], old: dict[str, Any], name: str) -> list[Event]:
    found: list[Event] = []
    if name == "INSERT":
        found.append(
            CouponRedeemed(
                event_id=event_id("CouponRedeemed", new["redemption_id"]),
                occurred_at=new["redeemed_at"],
                **{
                    k: new[k]
                    for k in CouponRedeemed.model_fields
                    if k not in {"event_id", "occurred_at", "version"} and new.get(k) is not None
                },
            )
        )
    if name == "MODIFY" and became(new, old, "reversed_at"):
        found.append(
            RedemptionReversed(
                event_id=event_id("RedemptionReversed", new["redemption_id"]),
                occurred_at=new["reversed_at"],
                redemption_id=new["redemption_id"],
                claim_id=new["claim_id"],
                coupon_id=new["coupon_id"],
                merchant_id=new["merchant_id"],
                usable_again=bool(new.get("usable_again")),
                customer_id=new.get("customer_id"),
                redeemed_at=new.get("redeemed_at"),
                points=new.get("points"),
            )
        )
    return found


def _gift(new: dict[str, Any], old: dict[str, Any], name: str) -> list[Event]:
    if name != "MODIFY" or not became(new, old, "accepted_at"):
        return []
    return [
        GiftAccepted(
            event_id=event_id("GiftAccepted", new["gift_id"]),
            occurred_at=new["accepted_at"],
            claim_id=new["claim_id"],
            coupon_id=new["coupon_id"],
            merchant_id=new["merchant_id"],
            title=new.get("title", ""),
            giver_id=new["giver_id"],
            friend_id=new["friend_id"],
            friend_name=new.get("friend_name", ""),
            notify_giver=bool(new.get("notify_giver")),
            message=new.get("message"),
        )
    ]


def _import_job(new: dict[str, Any], old: dict[str, Any], name: str) -> list[Event]:
    if not became(new, old, "finished_at"):
        return []
    return [
        ImportFinished(
            event_id=event_id("ImportFinished", new["job_id"]),
            occurred_at=new["finished_at"],
            job_id=new["job_id"],
            coupon_id=new["coupon_id"],
            merchant_id=new["merchant_id"],
            status=new["status"],
            imported=new.get("imported", 0),
            failed=new.get("failed", 0),
        )
    ]


def _coupon_change(new: dict[str, Any], old: dict[str, Any], name: str) -> list[Event]:
    if name != "INSERT":
        return []
    return [
        CouponChanged(
            event_id=event_id("CouponChanged", f"{new['coupon_id']}|{new['version']}"),
            occurred_at=new["at"],
            coupon_id=new["coupon_id"],
            merchant_id=new["merchant_id"],
            coupon_version=new["version"],
            changed=list(new.get("fields") or []),
            changed_by=new["by"],
            holders=new.get("holders", "unchanged"),
            validity=(new.get("after") or {}).get("validity") if new.get("holders") == "extending" else None,
        )
    ]


_DERIVERS: dict[str, Callable[[dict[str, Any], dict[str, Any], str], list[Event]]] = {
    "coupon": _coupon,
    "coupon_change": _coupon_change,
    "claim": _claim,
    "redemption": _redemption,
    "gift": _gift,
    "import_job": _import_job,
    **ORDER_DERIVERS,
    **WATCH_DERIVERS,
    **CUSTOMER_DERIVERS,
    **POINT_DERIVERS,
}


def derive(record: Mapping[str, Any]) -> list[Event]:
    """The domain events one committed change (a stream record, as Lambda delivers it) stands for: none
    for most changes."""
    change = record if isinstance(record, DynamoDBRecord) else DynamoDBRecord(dict(record))
    name = change.event_name.name if change.event_name is not None else ""
    stream = change.dynamodb
    new = _as_json(stream.new_image) if stream is not None else {}
    old = _as_json(stream.old_image) if stream is not None else {}
    deriver = _DERIVERS.get((new or old).get("type", ""))
    return deriver(new, old, name) if deriver else []


def entry(event: Event) -> dict[str, Any]:
    return {
        "Source": settings().event_source,
        "DetailType": event.detail_type,
        "Detail": json.dumps(event.model_dump(mode="json")),
        "EventBusName": settings().event_bus_name,
    }


def put_events(events: list[Event], *, attempts: int = 4) -> list[int]:
    """Publish in batches of 10; a partly failed batch resends only its failed entries.

    Returns the indexes of the events still unpublished after every attempt.
    """
    failed: list[int] = []
    for start in range(0, len(events), 10):
        pending = list(range(start, min(start + 10, len(events))))
        for attempt in range(attempts):
            response = client("events").put_events(Entries=[entry(events[i]) for i in pending])
            if not response.get("FailedEntryCount"):
                pending = []
                break
            pending = [i for i, r in zip(pending, response["Entries"], strict=True) if r.get("ErrorCode")]
            time.sleep(random.uniform(0, 0.05 * 2**attempt))
        failed.extend(pending)
    return failed
