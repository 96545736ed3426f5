"""The sample events in events/ (also used with `sam local invoke`) drive the handlers as they are."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.parser.models import S3SqsEventNotificationModel
from coupon_service import keys, settings
from coupon_service.aws import client
from coupon_service.store.table import Table

from bench.reminders import seeded
from devstack.clock_event import scheduled
from devstack.streams import published
from tests.support import invoke

pytestmark = pytest.mark.usefixtures("stack")
EVENTS = Path(__file__).resolve().parents[2] / "events"
SAMPLE_COUPON = "0123456789abcdef0123456789abcdef"


def sample(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


def with_coupon(event: dict, coupon_id: str) -> dict:
    old = event["pathParameters"]["couponId"]
    event["pathParameters"]["couponId"] = coupon_id
    event["path"] = event["path"].replace(old, coupon_id)
    return event


def test_merchant_samples_create_list_and_show_an_offer():
    created = invoke("coupons", sample("coupons-create.json"))
    assert created["statusCode"] == 201, created["body"]
    coupon_id = json.loads(created["body"])["coupon_id"]
    listed = json.loads(invoke("coupons", sample("coupons-list.json"))["body"])
    assert [c["coupon_id"] for c in listed["items"]] == [coupon_id]
    offer = invoke("coupons", with_coupon(sample("offer-get.json"), coupon_id))
    assert offer["statusCode"] == 200
    center = invoke("coupons", sample("offers-list.json"))
    assert center["statusCode"] == 200, center["body"]
    assert [o["coupon_id"] for o in json.loads(center["body"])["items"]] == [coupon_id]


def test_customer_samples_claim_and_list_the_wallet():
    coupon_id = json.loads(invoke("coupons", sample("coupons-create.json"))["body"])["coupon_id"]
    claimed = invoke("claim", with_coupon(sample("claim-create.json"), coupon_id))
    assert claimed["statusCode"] == 201, claimed["body"]
    wallet = json.loads(invoke("claim", sample("wallet-list.json"))["body"])
    assert [c["claim_id"] for c in wallet["items"]] == [json.loads(claimed["body"])["claim_id"]]


def test_publisher_sample_puts_one_event(emulator, stack):
    assert invoke("publisher", sample("publisher-stream.json")) == {"batchItemFailures": []}
    events = published(emulator.url, stack.events_queue_url)
    assert [e["detail-type"] for e in events] == ["CouponCreated"]


def test_publisher_sample_of_an_issued_coupon_puts_its_claim_and_its_grant(emulator, stack):
    assert invoke("publisher", sample("publisher-granted.json")) == {"batchItemFailures": []}
    events = published(emulator.url, stack.events_queue_url)
    assert sorted(e["detail-type"] for e in events) == ["CouponClaimed", "CouponGranted"]
    (granted,) = [e["detail"] for e in events if e["detail-type"] == "CouponGranted"]
    assert granted["reason"]["kind"] == "grant" and granted["channel"] == "grant"
    assert "code" not in granted


def test_checkout_sample_quotes_the_claimed_coupon():
    coupon_id = json.loads(invoke("coupons", sample("coupons-create.json"))["body"])["coupon_id"]
    claimed = json.loads(invoke("claim", with_coupon(sample("claim-create.json"), coupon_id))["body"])
    quoted = invoke("redeem", sample("checkout-quote.json"))
    assert quoted["statusCode"] == 200, quoted["body"]
    applicable = json.loads(quoted["body"])["applicable"]
    # 10 off 100 on a cart of 200.00 + 12.00 shipping
    assert [(q["claim_id"], q["discount"], q["payable"]) for q in applicable] == [
        (claimed["claim_id"], 1000, 20200)
    ]


def test_till_and_gift_samples_redeem_and_give():
    body = json.loads(sample("coupons-create.json")["body"])
    giftable = sample("coupons-create.json")
    giftable["body"] = json.dumps({**body, "options": {"giftable": True}})
    coupon_id = json.loads(invoke("coupons", giftable)["body"])["coupon_id"]
    claimed = json.loads(invoke("claim", with_coupon(sample("claim-create.json"), coupon_id))["body"])
    # The gift sample, for the claimed coupon
    give = sample("gift-create.json")
    old = give["pathParameters"]["claimId"]
    give["pathParameters"]["claimId"] = claimed["claim_id"]
    give["path"] = give["path"].replace(old, claimed["claim_id"])
    created = invoke("gift", give)
    assert created["statusCode"] == 201, created["body"]
    # The till sample scanning a coupon: refused while the coupon is in a pending gift
    scan = sample("redemption-staff.json")
    scan["body"] = json.dumps({**json.loads(scan["body"]), "code": claimed["code"]})
    refused = invoke("redeem", scan)
    assert refused["statusCode"] == 409 and json.loads(refused["body"])["error"]["code"] == "in_pending_gift"


def with_body(event: dict, *bodies: str) -> dict:
    """The sample's SQS record, once per body given, each with a message id of its own."""
    (record,) = event["Records"]
    event["Records"] = [
        {**record, "messageId": f"{record['messageId']}-{n}", "body": body} for n, body in enumerate(bodies)
    ]
    return event


def test_import_samples_import_an_upload_hand_the_job_on_and_list_it(stack, monkeypatch):
    for name, value in stack.environment("ImportWorkerFunction").items():
        monkeypatch.setenv(name, value)
    settings.settings.cache_clear()
    # Given a coupon of imported codes, from the create sample
    create = sample("coupons-create.json")
    create["body"] = json.dumps({**json.loads(create["body"]), "codes": {"mode": "imported"}})
    coupon_id = json.loads(invoke("coupons", create)["body"])["coupon_id"]
    # And a file of 600 codes and a bad line uploaded where the upload sample's notification says
    uploaded = sample("import-uploaded.json")
    notice = json.loads(uploaded["Records"][0]["body"])
    (entity,) = [record["s3"] for record in notice["Records"]]
    key = entity["object"]["key"].replace(SAMPLE_COUPON, coupon_id)
    data = "\n".join(f"SAMPLE{i:04d}" for i in range(600)).encode() + b"\nbad!\n"
    bucket = os.environ["IMPORT_BUCKET"]
    put = client("s3").put_object(Bucket=bucket, Key=key, Body=data)
    entity["bucket"]["name"] = bucket
    entity["object"].update(key=key, size=len(data), versionId=put["VersionId"])
    with_body(uploaded, json.dumps(notice))
    # (the sample is a notification as S3 sends it: Powertools' full model of one reads it)
    assert (
        S3SqsEventNotificationModel.model_validate(uploaded).Records[0].body.Records[0].s3.object.key == key
    )

    # When the worker gets it with 20 seconds left
    assert invoke("import_worker", uploaded, remaining_ms=20_000) == {"batchItemFailures": []}
    # Then it imported one batch and handed the job on, in the continuation sample's shape
    queued = client("sqs").receive_message(QueueUrl=os.environ["IMPORT_QUEUE_URL"], MaxNumberOfMessages=10)
    handed_on = [json.loads(m["Body"]) for m in queued["Messages"] if "continue" in json.loads(m["Body"])]
    expected = {"bucket": bucket, "key": key, "version": put["VersionId"], "size": len(data)}
    assert handed_on == [{"continue": expected}]
    assert set(json.loads(sample("import-continued.json")["Records"][0]["body"])["continue"]) == set(expected)

    # When the continuation sample brings it back, next to a message that is not one of ours
    continued = with_body(sample("import-continued.json"), json.dumps(handed_on[0]), "not json")
    answer = invoke("import_worker", continued, remaining_ms=900_000)
    # Then only the broken message is reported failed, and the job finished from its checkpoint
    assert answer == {"batchItemFailures": [{"itemIdentifier": continued["Records"][1]["messageId"]}]}
    listed = invoke("imports", with_coupon(sample("imports-list.json"), coupon_id))
    assert listed["statusCode"] == 200, listed["body"]
    (job,) = json.loads(listed["body"])["items"]
    assert (job["status"], job["codes"], job["imported"], job["failed"]) == ("finished", 601, 600, 1)
    assert job["counts"]["malformed"] == 1 and job["failed_codes_url"]


def test_the_reminder_schedule_sample_reminds_a_due_coupon():
    # Given a claimed coupon whose reminder fell due ten minutes ago
    now = datetime.now(UTC)
    due = seeded(1, now - timedelta(minutes=10), now + timedelta(hours=6))
    Table().batch_write([due])
    # When the reminder function gets the schedule sample (the event the local stack fires, too)
    event = sample("reminders-schedule.json")
    assert set(event) == set(scheduled("RemindersFunction"))
    summary = invoke("reminders", event)
    # Then the coupon is reminded, once
    assert (summary["due"], summary["reminded"]) == (1, 1)
    assert Table().get(keys.claim(due["claim_id"]))["reminded_at"]


def test_aggregator_sample_counts_a_claim_once():
    from coupon_service.figures.reading import summed
    from coupon_service.store.figures import FiguresStore

    assert invoke("aggregator", sample("aggregator-queue.json")) == {"batchItemFailures": []}
    assert invoke("aggregator", sample("aggregator-queue.json")) == {"batchItemFailures": []}  # again
    cells = summed(FiguresStore().cells(SAMPLE_COUPON, "2030-05-01", "2030-06-30"))
    assert cells[("2030-05-09", "wechat", "-")]["claimed"] == 1


def test_export_samples_ask_for_an_export_and_the_worker_writes_it(stack, monkeypatch):
    for function in ("ExportFunction", "ExportWorkerFunction"):
        for name, value in stack.environment(function).items():
            monkeypatch.setenv(name, value)
    settings.settings.cache_clear()
    # Given a coupon from the create sample, redeemed twice in January 2030 (Shanghai) and once after
    coupon_id = json.loads(invoke("coupons", sample("coupons-create.json"))["body"])["coupon_id"]
    redeemed = [
        ("r1", "2029-12-31T16:00:00Z"),
        ("r2", "2030-01-15T09:30:00Z"),
        ("r3", "2030-01-31T16:00:00Z"),
    ]
    Table().batch_write(
        {
            **keys.redemption(rid),
            **keys.redemption_index(coupon_id, at, rid),
            "type": "redemption",
            "redemption_id": rid,
            "claim_id": f"c-{rid}",
            "coupon_id": coupon_id,
            "merchant_id": "m1",
            "customer_id": "u1",
            "method": "staff",
            "redeemed_by": "till-1",
            "order_id": f"o-{rid}",
            "order_amount": 12_000,
            "discount": 1000,
            "redeemed_at": at,
        }
        for rid, at in redeemed
    )
    # When the merchant asks for the export sample (redemptions in January, Shanghai time)
    asked = invoke("exports", with_coupon(sample("export-create.json"), coupon_id))
    assert asked["statusCode"] == 202, asked["body"]
    job_id = json.loads(asked["body"])["job_id"]
    # Then the queue holds the job in the worker sample's shape
    queued = client("sqs").receive_message(QueueUrl=os.environ["EXPORT_QUEUE_URL"], MaxNumberOfMessages=10)
    bodies = [json.loads(m["Body"]) for m in queued["Messages"]]
    assert bodies == [{"job_id": job_id}]
    assert set(json.loads(sample("export-requested.json")["Records"][0]["body"])) == set(bodies[0])
    # When the worker sample brings it, next to a message that is not one of ours
    requested = with_body(sample("export-requested.json"), json.dumps(bodies[0]), '{"job_id": "../etc"}')
    answer = invoke("export_worker", requested, remaining_ms=900_000)
    # Then only the broken message failed, and the job is done with January's two redemptions
    assert answer == {"batchItemFailures": [{"itemIdentifier": requested["Records"][1]["messageId"]}]}
    read = sample("export-create.json")
    read.update(
        resource="/exports/{jobId}",
        path=f"/exports/{job_id}",
        httpMethod="GET",
        body=None,
        pathParameters={"jobId": job_id},
    )
    done = json.loads(invoke("exports", read)["body"])
    assert (done["state"], done["rows"]) == ("done", 2) and done["url"]


def test_orders_worker_sample_stores_an_order_and_its_refund_once(monkeypatch, stack):
    from coupon_service.order_feed import OrderFeed

    for name, value in stack.environment("OrdersWorkerFunction").items():
        monkeypatch.setenv(name, value)
    settings.settings.cache_clear()
    assert invoke("orders_worker", sample("orders-queue.json")) == {"batchItemFailures": []}
    assert invoke("orders_worker", sample("orders-queue.json")) == {"batchItemFailures": []}  # again
    order = OrderFeed().get("m1", "order-sample-1")
    assert (order.amount, order.refunded, order.refund_count, order.placed_at) == (
        16000,
        4000,
        1,
        "2026-05-09T12:00:00Z",
    )
    settings.settings.cache_clear()


def test_issuance_worker_sample_stores_a_customer_event_and_issues_on_an_order_once(monkeypatch, stack):
    from tests.builders import claim_items, make_coupon
    from tests.support import call, merchant

    for name, value in stack.environment("IssuanceWorkerFunction").items():
        monkeypatch.setenv(name, value)
    settings.settings.cache_clear()
    coupon_id = make_coupon()["coupon_id"]
    trigger = {"type": "order_placed", "min_amount": 10000, "coupon_id": coupon_id}
    assert (
        call(
            "POST", "/merchant/issuance-rules", claims=merchant(), body={"name": "R", "trigger": trigger}
        ).status
        == 201
    )
    assert invoke("issuance_worker", sample("issuance-queue.json")) == {"batchItemFailures": []}
    assert invoke("issuance_worker", sample("issuance-queue.json")) == {"batchItemFailures": []}  # again
    stored = [i for i in Table().scan()[0] if i.get("type") == "customer_event"]
    assert [(i["event_id"], i["reported_via"]) for i in stored] == [("crm-join-0001", "bus")]
    (issued,) = claim_items(coupon_id)
    assert (issued["owner_id"], issued["issue_reason"]["detail"]) == ("u-sample-1", "order order-sample-9")
    body = json.loads((EVENTS / "bodies" / "customer-joined.json").read_text())
    assert call("POST", "/merchant/customer-events", claims=merchant(), body=body).status == 202
    settings.settings.cache_clear()


def test_grant_samples_ask_for_a_grant_and_the_worker_runs_it(stack, monkeypatch):
    for name, value in stack.environment("GrantFunction").items():
        monkeypatch.setenv(name, value)
    settings.settings.cache_clear()
    client("sqs").purge_queue(QueueUrl=os.environ["GRANT_QUEUE_URL"])  # S3's test event
    # Given a coupon from the create sample, granted to three customers by the grant sample
    coupon_id = json.loads(invoke("coupons", sample("coupons-create.json"))["body"])["coupon_id"]
    asked = invoke("grants", with_coupon(sample("grant-create.json"), coupon_id))
    assert asked["statusCode"] == 202, asked["body"]
    grant_id = json.loads(asked["body"])["grant_id"]
    # Then the queue holds the grant in the worker sample's shape
    queued = client("sqs").receive_message(QueueUrl=os.environ["GRANT_QUEUE_URL"], MaxNumberOfMessages=10)
    bodies = [json.loads(m["Body"]) for m in queued["Messages"]]
    assert bodies == [{"grant_id": grant_id}]
    assert set(json.loads(sample("grant-queued.json")["Records"][0]["body"])) == set(bodies[0])
    # When the worker sample brings it, next to a message that is not one of ours
    queued_sample = with_body(sample("grant-queued.json"), json.dumps(bodies[0]), '{"grant_id": "../etc"}')
    answer = invoke("grant_worker", queued_sample, remaining_ms=900_000)
    # Then only the broken message failed, and the three customers hold the coupon
    assert answer == {"batchItemFailures": [{"itemIdentifier": queued_sample["Records"][1]["messageId"]}]}
    read = sample("grant-create.json")
    read.update(
        resource="/coupons/{couponId}/grants/{grantId}",
        path=f"/coupons/{coupon_id}/grants/{grant_id}",
        httpMethod="GET",
        body=None,
        pathParameters={"couponId": coupon_id, "grantId": grant_id},
    )
    done = json.loads(invoke("grants", read)["body"])
    assert (done["status"], done["granted"], done["requested"]) == ("done", 3, 3)
    settings.settings.cache_clear()


def test_segment_worker_sample_evaluates_the_segment_it_names(stack, monkeypatch):
    from coupon_service.customers import CustomerDirectory
    from coupon_service.models.segments import SegmentCreate
    from coupon_service.segments import Segments

    for name, value in stack.environment("CustomersFunction").items():
        monkeypatch.setenv(name, value)
    settings.settings.cache_clear()
    # Given a segment of the tagged customers, asked to be evaluated
    CustomerDirectory().record("m1", "u1", tags={"vip"})
    body = SegmentCreate.model_validate({"name": "VIP", "conditions": [{"type": "has_tag", "tag": "vip"}]})
    segment_id = Segments().create("m1", body).segment_id
    assert Segments().evaluate("m1", segment_id).generation == 1
    # When the worker sample brings its message (the sample's fields), next to one that is not ours
    message = json.loads(sample("segment-requested.json")["Records"][0]["body"])
    ours = json.dumps({**message, "segment_id": segment_id})
    event = with_body(sample("segment-requested.json"), ours, '{"segment_id": "../etc", "generation": 1}')
    answer = invoke("segment_worker", event, remaining_ms=900_000)
    # Then only the broken message failed, and the segment's membership is the tagged customer
    assert answer == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]}
    assert list(Segments().members("m1", segment_id)) == ["u1"]
    settings.settings.cache_clear()


def test_points_samples_check_in_and_run_the_expiry():
    from coupon_service.point_items import PointsSettingsItem
    from coupon_service.store.point_settings import PointSettingsStore

    # Given m1 runs points with a daily check-in, and a lot of u1's that expired an hour ago
    PointSettingsStore().replace(PointsSettingsItem(merchant_id="m1", updated_at="2026-11-25T00:00:00Z"))
    checked = invoke("points", sample("points-check-in.json"))
    assert checked["statusCode"] == 201, checked["body"]
    assert json.loads(checked["body"])["points"] == 1
    expired_at = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    Table().batch_write(
        [
            {**keys.points_balance("u2", "m1"), "customer_id": "u2", "programme": "m1", "balance": 4},
            {
                **keys.points_lot("u2", "m1", expired_at),
                **keys.points_due_index("u2", "m1", expired_at),
                "customer_id": "u2",
                "programme": "m1",
                "expires_at": expired_at,
                "points": 4,
            },
        ]
    )
    # When the expiry function gets the schedule sample
    event = sample("points-expiry-schedule.json")
    assert set(event) == set(scheduled("PointsExpiryFunction"))
    summary = invoke("points_expiry", event)
    # Then the lot expired
    assert (summary["ledgers"], summary["points_expired"]) == (1, 4)
    assert Table().get(keys.points_balance("u2", "m1"))["balance"] == 0


def test_points_queue_sample_earns_an_orders_points_once():
    from coupon_service.point_items import PointsSettingsItem
    from coupon_service.store.point_settings import PointSettingsStore

    rule = {"order": {"points": 1, "per_amount": 100}, "content_shared": 5}
    PointSettingsStore().replace(
        PointsSettingsItem(merchant_id="m1", earning=rule, updated_at="2026-05-09T00:00:00Z")
    )
    for _ in range(2):  # delivered twice: earned once
        assert invoke("points_worker", sample("points-queue.json")) == {"batchItemFailures": []}
    assert Table().get(keys.points_balance("u1", "m1"))["balance"] == 160 + 5  # the order, the share


def test_profile_completed_body_sample_is_accepted_once(stack):
    from tests.support import call, merchant

    body = json.loads((EVENTS / "bodies" / "profile-completed.json").read_text())
    first = call("POST", "/merchant/customer-events", claims=merchant(), body=body)
    assert first.status == 202, first.json
    assert call("POST", "/merchant/customer-events", claims=merchant(), body=body).json == first.json
