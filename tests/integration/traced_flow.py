"""A customer's and a merchant's journey through the handlers, traced as on Lambda, in a process of its own.

Run by tests/integration/test_secrets_in_traces.py as `python -m tests.integration.traced_flow OUT`, with
tracing enabled the way Lambda enables it (LAMBDA_TASK_ROOT and a trace header set, so Powertools' tracer
is on and patches botocore and HTTP as in a function) and the X-Ray SDK's emitter replaced by one that
keeps every entity it would have sent to the daemon. It writes to OUT the secrets the responses carried
and the serialized entities; the functions' logs go to stdout as on Lambda. A process of its own, because
tracing patches libraries for good and Powertools' tracer keeps its state per process.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import botocore.client
from aws_xray_sdk.core import xray_recorder

from devstack.clock_event import scheduled
from devstack.functions import load_function
from devstack.streams import StreamReader
from tests import support
from tests.support import (
    FakeContext,
    bus_message,
    call,
    coupon_body,
    customer,
    invoke,
    merchant,
    s3_notification,
    sqs_message,
    staff,
)

PHONE = "+86 138 1234 5678"
VERIFICATION_CODE = "246810"
STAFF_CODE = "975310"
BEARER = "Bearer s3cr3t-id-token"
CART = {
    "merchant_id": "m1",
    "currency": "CNY",
    "lines": [{"sku": "tea", "unit_price": 6000, "quantity": 2}],
}


class KeepingEmitter:
    """Stands in for the UDP emitter: keeps what would go to the X-Ray daemon, as the daemon gets it."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send_entity(self, entity: Any) -> None:
        self.sent.append(entity.serialize())

    def set_daemon_address(self, address: str | None) -> None:
        pass

    @property
    def ip(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return 2000


class CallLog:
    """Every AWS request each function makes, named as IAM names them: (action, resource)."""

    def __init__(self) -> None:
        self.calls: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self.lock = threading.Lock()
        # Physical names back to the template's logical ids, as the functions' environment gives them.
        self.logical = {
            os.environ["TABLE_NAME"]: "CouponsTable",
            os.environ["IDEMPOTENCY_TABLE_NAME"]: "IdempotencyTable",
            os.environ["IMPORT_BUCKET"]: "ImportBucket",
            os.environ["IMPORT_QUEUE_URL"]: "ImportQueue",
            os.environ["EXPORT_QUEUE_URL"]: "ExportQueue",
            os.environ["HOLDERS_QUEUE_URL"]: "HoldersQueue",
            os.environ["GRANT_QUEUE_URL"]: "GrantQueue",
            os.environ["SEGMENT_QUEUE_URL"]: "SegmentQueue",
            os.environ["HMAC_SECRET_ARN"]: "HmacSecret",
            os.environ["EVENT_BUS_NAME"]: "CouponsBus",
        }
        self.current: str | None = None
        original = botocore.client.BaseClient._make_api_call
        log = self

        def recorded(client: Any, operation: str, params: dict[str, Any]) -> Any:
            function = log.function()
            if function:
                with log.lock:
                    log.calls[function] |= log.named(
                        client.meta.service_model.service_name, operation, params
                    )
            return original(client, operation, params)

        botocore.client.BaseClient._make_api_call = recorded

    def function(self) -> str | None:
        """The function being invoked (its worker threads included); none for the journey's own calls."""
        frame = sys._getframe(2)
        while frame:
            path = frame.f_code.co_filename.replace(os.sep, "/")
            if path.endswith("/devstack/functions.py") or path.endswith("/tests/integration/traced_flow.py"):
                return None
            if "/functions/" in path and path.endswith("/app.py"):
                return path.rsplit("/functions/", 1)[1].split("/")[0]
            frame = frame.f_back
        return self.current

    def entering(self, function: str) -> None:
        """Each function in its own execution environment: nothing cached by another (the secret) is seen."""
        from aws_lambda_powertools.utilities import parameters

        if function != self.current:
            parameters.clear_caches()
        self.current = function

    def named(self, service: str, operation: str, params: dict[str, Any]) -> set[tuple[str, str]]:
        def resource(name: str, suffix: str = "") -> str:
            return self.logical.get(name, name) + suffix

        namer = _NAMERS.get(service)
        return namer(operation, params, resource) if namer else {(f"{service}:{operation}", "*")}


Resource = Callable[..., str]


def _dynamodb(operation: str, params: dict[str, Any], resource: Resource) -> set[tuple[str, str]]:
    if operation == "TransactWriteItems":
        # Transactions are authorised per item: Put -> PutItem, ConditionCheck -> ConditionCheckItem
        return {
            (f"dynamodb:{kind}Item", resource(body["TableName"]))
            for item in params["TransactItems"]
            for kind, body in item.items()
        }
    if "RequestItems" in params:
        return {(f"dynamodb:{operation}", resource(table)) for table in params["RequestItems"]}
    index = f"/index/{params['IndexName']}" if params.get("IndexName") else ""
    return {(f"dynamodb:{operation}", resource(params["TableName"], index))}


# S3 operations IAM authorises under another action: a multipart upload's steps are PutObject, HEAD GetObject.
_S3_ACTIONS = {
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "HeadObject": "GetObject",
}


def _s3(operation: str, params: dict[str, Any], resource: Resource) -> set[tuple[str, str]]:
    if operation.startswith("ListObjects"):
        return {("s3:ListBucket", resource(params["Bucket"]))}
    version = "Version" if params.get("VersionId") else ""
    action = _S3_ACTIONS.get(operation, operation)
    return {(f"s3:{action}{version}", resource(params["Bucket"], "/" + params.get("Key", "")))}


def _events(operation: str, params: dict[str, Any], resource: Resource) -> set[tuple[str, str]]:
    buses = {entry.get("EventBusName", "default") for entry in params["Entries"]}
    return {(f"events:{operation}", resource(bus)) for bus in buses}


# The IAM action and resource each call needs, by service.
_NAMERS: dict[str, Callable[[str, dict[str, Any], Resource], set[tuple[str, str]]]] = {
    "dynamodb": _dynamodb,
    "s3": _s3,
    "sqs": lambda operation, params, resource: {(f"sqs:{operation}", resource(params["QueueUrl"]))},
    "secretsmanager": lambda operation, params, resource: {
        (f"secretsmanager:{operation}", resource(params["SecretId"]))
    },
    "events": _events,
}


def ok(reply: Any, status: int = 201) -> Any:
    assert reply.status == status, (reply.status, reply.raw[:300])
    return reply.json


def journey() -> dict[str, list[str]]:
    """Every route that answers a code, a token, a link or personal data; the secrets they answered."""
    headers = {"Authorization": BEARER}
    options = {
        "giftable": True,
        "self_service": {"verification_code": VERIFICATION_CODE, "staff_code": STAFF_CODE},
    }
    coupon = ok(call("POST", "/coupons", claims=merchant("m1"), body=coupon_body(options=options)))
    coupon_id = coupon["coupon_id"]
    ok(call("GET", f"/coupons/{coupon_id}/promotion", claims=merchant("m1")), 200)
    ok(call("GET", f"/offers/{coupon_id}"), 200)
    ok(call("GET", "/offers"), 200)

    def claimed(user: str) -> dict[str, Any]:
        who = customer(user, phone_number=PHONE)
        held = ok(call("POST", f"/coupons/{coupon_id}/claims", claims=who, headers=headers))
        ok(call("GET", "/me/coupons", claims=who), 200)
        ok(call("GET", f"/me/coupons/{held['claim_id']}", claims=who, headers=headers), 200)
        qr = call("GET", f"/me/coupons/{held['claim_id']}/qr", claims=who)
        assert qr.status == 200 and qr.raw.startswith(b"\x89PNG"), qr.status
        return held

    # A giver's coupon goes to a friend, whose coupon the till then scans
    giver = claimed("giver")
    keyed = {"Idempotency-Key": "gift-key-0001"}
    gift = ok(call("POST", f"/me/coupons/{giver['claim_id']}/gifts", claims=customer("giver"), headers=keyed))
    ok(call("GET", f"/gifts/{gift['token']}"), 200)
    friend = customer("friend", phone_number=PHONE)
    friends = ok(call("POST", f"/gifts/{gift['token']}/accept", claims=friend), 200)
    scanned = {"code": friends["code"], "order_id": "o-1", "order": CART}
    redeemed = ok(call("POST", "/redemptions", claims=staff("m1"), body=scanned))
    # The old code and a made-up one: refused, and the refusals must not echo them either
    call("POST", "/redemptions", claims=staff("m1"), body={"code": giver["code"]})
    call("POST", "/redemptions", claims=staff("m1"), body={"code": "GUESSED-CODE-1"})
    # A customer redeems in the store: a wrong verification code first, then the right one
    mine = claimed("u1")
    path = f"/me/coupons/{mine['claim_id']}/redemption"
    call("POST", path, claims=customer("u1"), body={"verification_code": "135792", "staff_code": STAFF_CODE})
    body = {"verification_code": VERIFICATION_CODE, "staff_code": STAFF_CODE, "order": CART}
    ok(call("POST", path, claims=customer("u1"), body=body))
    # A merchant asks for the upload form of an import
    body = coupon_body(codes={"mode": "imported"})
    imported = ok(call("POST", "/coupons", claims=merchant("m1"), body=body))
    form = ok(call("POST", f"/coupons/{imported['coupon_id']}/imports", claims=merchant("m1")))
    signing = {"policy", "signature", "x-amz-signature"}  # SigV2 or SigV4, as the endpoint signs
    signed = [value for name, value in form["fields"].items() if name.lower() in signing]
    assert len(signed) == 2, form["fields"]
    more = rest_of_the_routes(coupon_id, imported["coupon_id"], form, redeemed["redemption_id"])
    points_flow(merchant("m1"))
    seen = {
        "codes": [giver["code"], friends["code"], mine["code"]],
        "gift": [gift["token"], gift["share_url"]],
        "verification": [VERIFICATION_CODE, STAFF_CODE],
        "presigned": signed,
        "personal": [PHONE, PHONE.replace(" ", "").removeprefix("+86"), BEARER.split()[1]],
    }
    return {kind: found + more.get(kind, []) for kind, found in seen.items()}


def orders_feed(m1: dict[str, str]) -> None:
    """The orders feed: an order at the store sh-001, a refund of part of it, the order read back."""
    order = {
        "order_id": "o-feed-1",
        "customer_id": "u3",
        "store_id": "sh-001",
        "amount": 12000,
        "currency": "CNY",
        "lines": [{"sku": "tea", "quantity": 2, "unit_price": 6000, "amount": 12000}],
        "placed_at": "2026-01-01T00:00:00Z",
    }
    ok(call("POST", "/orders", claims=m1, body=order))
    refund = {"refund_id": "rf-feed-1", "amount": 6000, "refunded_at": "2026-01-02T00:00:00Z"}
    ok(call("POST", "/orders/o-feed-1/refunds", claims=m1, body=refund))
    ok(call("GET", "/orders/o-feed-1", claims=m1), 200)
    # And one reported on the bus, as the rule delivers it to the orders worker's queue
    on_bus = {
        "version": "0",
        "id": "bus-order-1",
        "detail-type": "OrderPlaced",
        "source": "coupons.orders",
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {**order, "merchant_id": "m1", "order_id": "o-feed-2"},
    }
    taken = invoke("orders_worker", {"Records": [sqs_message(json.dumps(on_bus))]})
    assert taken == {"batchItemFailures": []}, taken


def issuance_rules(m1: dict[str, str], coupon_id: str) -> None:
    """A merchant's issuance rules: created, listed page by page, edited, read, one deleted."""
    rules = "/merchant/issuance-rules"
    birthday = {"type": "birthday", "coupon_id": coupon_id}
    for trigger in (birthday, {"type": "customer_joined", "coupon_ids": [coupon_id]}):
        made = ok(call("POST", rules, claims=m1, body={"name": "R", "trigger": trigger}))
    page = ok(call("GET", rules, claims=m1, query={"limit": "1"}), 200)
    ok(call("GET", rules, claims=m1, query={"limit": "1", "next_token": page["next_token"]}), 200)
    ok(call("PATCH", f"{rules}/{made['rule_id']}", claims=m1, body={"name": "Welcome"}), 200)
    ok(call("GET", f"{rules}/{made['rule_id']}", claims=m1), 200)
    ok(call("DELETE", f"{rules}/{page['items'][0]['rule_id']}", claims=m1), 200)
    # An order rule (the orders feed's orders apply to it) and an outside event reported through the API
    order_rule = {"type": "order_placed", "min_amount": 100, "coupon_id": coupon_id}
    ok(call("POST", rules, claims=m1, body={"name": "Orders", "trigger": order_rule}))
    joined = {
        "event_id": "crm-1",
        "customer_id": "u-joined",
        "joined_at": "2026-01-01T00:00:00Z",
        "birthday": "01-01",
    }
    body = {"detail_type": "CustomerJoined", "detail": joined}
    ok(call("POST", "/merchant/customer-events", claims=m1, body=body), 202)


def customer_directory(m1: dict[str, str]) -> None:
    """The merchant's customer directory: a customer recorded with tags and a birthday, read back."""
    body = {"tags": ["vip", "tea"], "birthday": "02-29", "tier": "gold", "joined_at": "2026-01-01T00:00:00Z"}
    ok(call("PUT", "/merchant/customers/u3", claims=m1, body=body), 200)
    ok(call("GET", "/merchant/customers/u3", claims=m1), 200)
    # A segment of tagged customers who ordered, evaluated by the worker from its queue
    conditions = [{"type": "has_tag", "tag": "tea"}, {"type": "orders_at_least", "count": 1, "days": 730}]
    made = ok(call("POST", "/merchant/segments", claims=m1, body={"name": "Tea", "conditions": conditions}))
    path = f"/merchant/segments/{made['segment_id']}"
    ok(call("GET", "/merchant/segments", claims=m1), 200)
    ok(call("PATCH", path, claims=m1, body={"version": 1, "name": "Tea lovers"}), 200)
    ok(call("POST", f"{path}/evaluations", claims=m1), 202)
    segment_queue()
    ok(call("GET", f"{path}/members", claims=m1, query={"limit": "1"}), 200)
    ok(call("GET", path, claims=m1), 200)
    ok(call("DELETE", path, claims=m1), 200)
    segment_queue()


def segment_queue() -> None:
    """The segment worker, given what its queue holds (an evaluation, or the purge of a deleted segment)."""
    from coupon_service.aws import client

    sqs, url = client("sqs"), os.environ["SEGMENT_QUEUE_URL"]
    (message,) = sqs.receive_message(QueueUrl=url)["Messages"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    answer = invoke("segment_worker", {"Records": [sqs_message(message["Body"])]}, 900_000)
    assert answer == {"batchItemFailures": []}, answer


def shared_code_flow(m1: dict[str, str], coupon_id: str) -> None:
    """A public code: set, quoted and redeemed at checkout without a claim, read, deactivated."""
    shared = f"/coupons/{coupon_id}/shared-code"
    ok(call("PUT", shared, claims=m1, body={"code": "SUMMER24", "max_redemptions": 5}), 200)
    typed = {"order": CART, "code": "summer24"}
    ok(call("POST", "/checkout/quote", claims=customer("u4"), body=typed), 200)
    ok(
        call(
            "POST",
            "/checkout/redemptions",
            claims=customer("u4"),
            body={**typed, "order_id": "sc-1", "store_id": "sh-001"},
        )
    )
    ok(call("GET", shared, claims=m1), 200)
    ok(call("DELETE", shared, claims=m1), 200)


def rest_of_the_routes(
    coupon_id: str, imported_id: str, form: dict[str, Any], redemption_id: str
) -> dict[str, list[str]]:
    """The routes and triggers that answer no secret of their own, so every function's calls are seen."""
    m1 = merchant("m1")
    ok(call("GET", "/coupons", claims=m1), 200)
    ok(call("GET", f"/coupons/{coupon_id}/stats", claims=m1), 200)
    version = ok(call("GET", f"/coupons/{coupon_id}", claims=m1), 200)["version"]
    paused = call("PATCH", f"/coupons/{coupon_id}", claims=m1, body={"version": version, "status": "paused"})
    ok(call("GET", f"/coupons/{coupon_id}/history", claims=m1), 200)
    # A coupon's records searched by phone, and the audit of that search
    for path, query in ((f"/coupons/{coupon_id}/records", {"phone": PHONE}), ("/merchant/audit", None)):
        ok(call("GET", path, claims=m1, query=query), 200)
    spare = ok(
        call("POST", "/coupons", claims=m1, body=coupon_body(), headers={"Idempotency-Key": "spare-0001"})
    )
    ok(call("DELETE", f"/coupons/{spare['coupon_id']}", claims=m1), 200)
    # The store registry, a coupon limited to a store, and a till checking a code there
    for store_id in ("sh-001", "sh-002"):
        ok(call("POST", "/stores", claims=m1, body={"store_id": store_id, "name": "S", "time_zone": "UTC"}))
    page = ok(call("GET", "/stores", claims=m1, query={"limit": "1"}), 200)
    ok(call("GET", "/stores", claims=m1, query={"limit": "1", "next_token": page["next_token"]}), 200)
    ok(call("PATCH", "/stores/sh-002", claims=m1, body={"name": "Bund"}), 200)
    ok(call("GET", "/stores/sh-002", claims=m1), 200)
    ok(call("DELETE", "/stores/sh-002", claims=m1), 200)
    orders_feed(m1)
    issuance_rules(m1, coupon_id)
    customer_directory(m1)
    limited = ok(call("POST", "/coupons", claims=m1, body=coupon_body(stores=["sh-001"])))
    held = ok(call("POST", f"/coupons/{limited['coupon_id']}/claims", claims=customer("u3")))
    grant_form = granted(m1, limited["coupon_id"])
    till = staff("m1", user="till-sh-001", store="sh-001")
    ok(call("POST", "/redemptions/validation", claims=till, body={"code": held["code"], "order": CART}), 200)
    ok(call("POST", "/checkout/quote", claims=customer("friend"), body={"order": CART}), 200)
    shared_code_flow(m1, limited["coupon_id"])
    ok(call("POST", f"/redemptions/{redemption_id}/reversal", claims=m1), 200)
    # A second gift, cancelled by its giver
    active = {"version": ok(paused, 200)["version"], "status": "active"}
    reactivated = ok(call("PATCH", f"/coupons/{coupon_id}", claims=m1, body=active), 200)
    # A longer validity, which the holders function extends held coupons to (its event, through the bus)
    longer = {"type": "relative_days", "starts_after_days": 0, "days": 60}
    ok(
        call(
            "PATCH",
            f"/coupons/{coupon_id}",
            claims=m1,
            body={"version": reactivated["version"], "validity": longer},
        ),
        200,
    )
    other = ok(call("POST", f"/coupons/{coupon_id}/claims", claims=customer("u2")))
    cancelled = ok(call("POST", f"/me/coupons/{other['claim_id']}/gifts", claims=customer("u2")))
    ok(call("DELETE", f"/me/gifts/{cancelled['token']}", claims=customer("u2")), 200)
    # The import: the file lands where the form said, its queue message reaches the function
    from coupon_service.aws import client

    bucket = os.environ["IMPORT_BUCKET"]
    data = b"code\nPOS-00001\nPOS-00001\n"
    put = client("s3").put_object(Bucket=bucket, Key=form["key"], Body=data)
    uploaded = {"key": form["key"], "versionId": put["VersionId"], "size": len(data)}
    message = sqs_message(json.dumps(s3_notification(bucket, uploaded)))
    handler = load_function("import_worker").lambda_handler
    assert handler({"Records": [message]}, FakeContext(900_000)) == {"batchItemFailures": []}
    jobs = ok(call("GET", f"/coupons/{imported_id}/imports", claims=m1), 200)["items"]
    assert jobs and jobs[0]["status"] == "finished", jobs
    ok(call("GET", f"/coupons/{imported_id}/imports/{jobs[0]['job_id']}", claims=m1), 200)
    # The schedule and the outbox
    invoke("reminders", scheduled("RemindersFunction"))
    records = StreamReader(os.environ["AWS_ENDPOINT_URL"], os.environ["TABLE_NAME"]).drain()
    assert invoke("publisher", {"Records": records}) == {"batchItemFailures": []}
    consumers(records)
    figure_routes(coupon_id)
    return {
        "gift": [cancelled["token"]],
        "presigned": [
            jobs[0]["failed_codes_url"].split("?", 1)[1],
            exported(imported_id).split("?", 1)[1],
            *grant_form,
        ],
        "codes": [other["code"], held["code"], "POS-00001"],
    }


def points_flow(m1: dict[str, str]) -> None:
    """Points: the programme's settings, a check-in, an adjustment, both sides' views of the ledger, the
    hourly run (expiry, and a birthday credited)."""
    earning = {"order": {"points": 1, "per_amount": 100}, "birthday": 3}
    rules = {"expiry": {"type": "end_of_year"}, "earning": earning}
    ok(call("PUT", "/merchant/points/settings", claims=m1, body=rules), 200)
    ok(call("GET", "/merchant/points/settings", claims=m1), 200)
    ok(call("POST", "/me/check-ins", claims=customer("u1"), body={"programme": "m1"}))
    body = {"points": 5, "reason": "welcome"}
    ok(call("POST", "/merchant/points/customers/u1/adjustments", claims=m1, body=body))
    ok(call("GET", "/merchant/points/customers/u1", claims=m1), 200)
    ok(call("GET", "/merchant/points/customers/u1/entries", claims=m1), 200)
    mine = {"programme": "m1", "limit": "1"}
    page = ok(call("GET", "/me/points/entries", claims=customer("u1"), query=mine), 200)
    if page["next_token"]:
        more = {**mine, "next_token": page["next_token"]}
        ok(call("GET", "/me/points/entries", claims=customer("u1"), query=more), 200)
    ok(call("GET", "/me/points", claims=customer("u1"), query={"programme": "m1"}), 200)
    today = datetime.now(UTC).strftime("%m-%d")  # m1's day (its time zone is UTC)
    ok(call("PUT", "/merchant/customers/u1", claims=m1, body={"birthday": today}), 200)
    hourly = invoke("points_expiry", scheduled("PointsExpiryFunction"), remaining_ms=300_000)
    assert hourly["birthdays"]["credited"] == 1, hourly
    placed = {
        "order_id": "o-points",
        "merchant_id": "m1",
        "customer_id": "u1",
        "amount": 5000,
        "currency": "CNY",
    }
    assert invoke("points_worker", {"Records": [bus_message("OrderPlaced", placed)]}) == {
        "batchItemFailures": []
    }
    due_points_flow(m1)


def due_points_flow(m1: dict[str, str]) -> None:
    """Points fallen due before the hourly run: a claim priced in points and a merchant's debit each expire
    the ledger's due lots first (the claim and points functions' own expiry of one ledger)."""
    from coupon_service.store.table import Table

    from tests.integration.test_points_due import instants, ledger

    due, later = instants()
    Table().batch_write([*ledger("u-due", {due: 20, later: 50}), *ledger("u-due2", {due: 20, later: 50})])
    priced = ok(call("POST", "/coupons", claims=m1, body=coupon_body(options={"points_price": 30})))
    ok(call("POST", f"/coupons/{priced['coupon_id']}/claims", claims=customer("u-due")))
    body = {"points": -30, "reason": "correction"}
    ok(call("POST", "/merchant/points/customers/u-due2/adjustments", claims=m1, body=body))


def consumers(records: list[dict[str, Any]]) -> None:
    """The functions fed by what the table committed: over the stream, and through the bus's rules."""
    # The stream's other reader: the stock watch, over the same changes (claims moved the shards)
    assert invoke("stock", {"Records": records}) == {"batchItemFailures": []}
    # The holders function, extending held coupons to the longer validity: the bus's rule queued the edit
    from coupon_service.aws import client

    sqs, queue_url = client("sqs"), os.environ["HOLDERS_QUEUE_URL"]
    queued = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    changes = {"Records": [sqs_message(m["Body"], m["MessageId"]) for m in queued]}
    assert len(queued) == 1 and invoke("holders", changes, 900_000) == {"batchItemFailures": []}
    # The figures aggregator, fed from the bus (its rule's queue) with the events the outbox published
    from coupon_service.events import derive

    events = [found for record in records for found in derive(record)]
    messages = [bus_message(e.detail_type, e.model_dump(mode="json"), str(i)) for i, e in enumerate(events)]
    assert invoke("aggregator", {"Records": messages}) == {"batchItemFailures": []}
    # The rules worker, fed from the bus (its rule's queue): the service's events it applies, and a merchant's
    # customer event as it arrives from the merchant's account
    applied = [
        m for e, m in zip(events, messages, strict=True) if e.detail_type in ("OrderPlaced", "CustomerJoined")
    ]
    outside = {
        "version": "0",
        "id": "bus-customer-1",
        "detail-type": "TierUpgraded",
        "source": "coupons.customers",
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "event_id": "crm-2",
            "merchant_id": "m1",
            "customer_id": "u-joined",
            "tier": "gold",
            "upgraded_at": "2026-01-01T00:00:00Z",
        },
    }
    assert len(applied) >= 2, [e.detail_type for e in events]
    batch = {"Records": [*applied, sqs_message(json.dumps(outside), "outside-1")]}
    assert invoke("issuance_worker", batch) == {"batchItemFailures": []}
    # The scheduled rules run (birthdays, packs)
    invoke("issuance_daily", scheduled("ScheduledRulesFunction"))


def exported(imported_id: str) -> str:
    """The imported pool exported: the request, its message run by the worker, the job read with its link."""
    m1 = merchant("m1")
    keyed = {"Idempotency-Key": "export-codes-0001"}
    job = ok(
        call("POST", f"/coupons/{imported_id}/exports", claims=m1, body={"kind": "codes"}, headers=keyed), 202
    )
    from coupon_service.aws import client

    sqs = client("sqs")
    (message,) = sqs.receive_message(QueueUrl=os.environ["EXPORT_QUEUE_URL"])["Messages"]
    handler = load_function("export_worker").lambda_handler
    event = {"Records": [sqs_message(message["Body"])]}
    assert handler(event, FakeContext(900_000)) == {"batchItemFailures": []}
    done = ok(call("GET", f"/exports/{job['job_id']}", claims=m1), 200)
    assert done["state"] == "done" and done["rows"] == 1, done
    return str(done["url"])


def granted(m1: dict[str, str], coupon_id: str) -> list[str]:
    """Grants of a coupon: to listed customers, to a tag, to an uploaded file of ids, run by the worker from
    its queue; read and listed. Returns the upload form's signature."""
    from coupon_service.aws import client

    base = f"/coupons/{coupon_id}/grants"
    ok(call("POST", base, claims=m1, body={"customer_ids": ["u7", "u8"]}), 202)
    ok(call("POST", base, claims=m1, body={"tag": "vip"}), 202)
    uploading = ok(call("POST", base, claims=m1, body={"upload": {"file_name": "ids.csv"}}), 202)
    form = uploading["upload"]
    bucket = os.environ["IMPORT_BUCKET"]
    put = client("s3").put_object(Bucket=bucket, Key=form["key"], Body=b"customer_id\nu9\n")
    uploaded = {"key": form["key"], "versionId": put["VersionId"], "size": 15}
    sqs, queue_url = client("sqs"), os.environ["GRANT_QUEUE_URL"]
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]]
    bodies.append(json.dumps(s3_notification(bucket, uploaded)))
    event = {"Records": [sqs_message(body, str(n)) for n, body in enumerate(bodies)]}
    assert invoke("grant_worker", event, 900_000) == {"batchItemFailures": []}
    ok(call("GET", base, claims=m1), 200)
    done = ok(call("GET", f"{base}/{uploading['grant_id']}", claims=m1), 200)
    assert done["status"] == "done" and done["granted"] == 1, done
    signing = {"policy", "signature", "x-amz-signature"}
    return [value for name, value in form["fields"].items() if name.lower() in signing]


def figure_routes(coupon_id: str) -> None:
    """The figures routes read what the aggregator counted (it ran among the consumers)."""
    m1 = merchant("m1")
    ok(call("GET", f"/coupons/{coupon_id}/figures", claims=m1, query={"by": "channel"}), 200)
    ok(call("GET", "/merchant/overview", claims=m1, query={"limit": "1"}), 200)


def main(out: str) -> None:
    emitter = KeepingEmitter()
    xray_recorder.emitter = emitter
    calls = CallLog()
    original = load_function

    def loading(name: str) -> Any:
        calls.entering(name)
        return original(name)

    support.load_function = loading
    globals()["load_function"] = loading
    secrets = journey()
    with open(out, "w") as file:
        recorded = {function: sorted(found) for function, found in calls.calls.items()}
        json.dump({"secrets": secrets, "entities": emitter.sent, "calls": recorded}, file)


if __name__ == "__main__":
    main(sys.argv[1])
