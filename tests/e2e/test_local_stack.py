"""End to end over HTTP against the whole local stack, which the tests start and stop."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime
from http.client import HTTPConnection
from pathlib import Path

import jwt
import pytest
import urllib3

from devstack import template
from devstack.__main__ import STOP_LIMIT
from devstack.apigw import routes
from devstack.stack import LocalStack
from devstack.tokens import ISSUER, mint
from tests.support import concurrently, coupon_body, make_run, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
http = urllib3.PoolManager(retries=False, timeout=30)


@pytest.fixture(scope="module")
def local(emulator):
    # The stack starts an emulator of its own; the session emulator's endpoint must not leak into it.
    saved = os.environ.pop("AWS_ENDPOINT_URL", None)
    stack = LocalStack(port=0, processes=1).start()
    if saved:
        os.environ["AWS_ENDPOINT_URL"] = saved
    yield stack
    stack.stop()


def send(local, method, path, token=None, body=None, *, headers=None):
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    if data is not None:
        headers.setdefault("Content-Type", "application/json")
    return http.request(method, local.url + path, body=data, headers=headers)


def as_json(response):
    return json.loads(response.data or b"null")


def test_create_see_offer_and_the_event_on_the_bus(local):
    merchant = mint("merchant", "owner-m1", merchant="m1")
    created = send(local, "POST", "/coupons", merchant, coupon_body())
    assert created.status == 201, created.data
    coupon_id = as_json(created)["coupon_id"]

    offer = send(local, "GET", f"/offers/{coupon_id}")
    assert offer.status == 200 and as_json(offer)["coupon_id"] == coupon_id

    def published():
        events = as_json(http.request("GET", local.url.rsplit("/", 1)[0] + "/_local/events"))
        return [
            e for e in events if e["detail-type"] == "CouponCreated" and e["detail"]["coupon_id"] == coupon_id
        ]

    events = wait_for(published)
    assert events and len(events) == 1 and events[0]["detail"]["merchant_id"] == "m1"


def test_low_stock_and_sold_out_reach_the_bus_once_each_through_the_stock_watch(local):
    # Given a coupon of 6 units over 2 shards that warns at 2 left, claimed out over HTTP
    merchant = mint("merchant", "owner-m1", merchant="m1")
    body = coupon_body(
        codes={"mode": "random_on_claim", "inventory": 6}, shard_count=2, options={"low_stock_threshold": 2}
    )
    coupon_id = as_json(send(local, "POST", "/coupons", merchant, body))["coupon_id"]
    for n in range(7):
        claimed = send(local, "POST", f"/coupons/{coupon_id}/claims", mint("customer", f"stock-{n}"))
        assert claimed.status == (201 if n < 6 else 409), claimed.data

    # Then the stack's stock watch and publisher put one of each on the bus
    def stock_events():
        events = as_json(http.request("GET", local.url.rsplit("/", 1)[0] + "/_local/events"))
        found = Counter(
            e["detail-type"]
            for e in events
            if e["detail-type"] in ("CouponLowStock", "CouponSoldOut")
            and e["detail"]["coupon_id"] == coupon_id
        )
        return found if len(found) == 2 else None

    assert wait_for(stock_events) == {"CouponLowStock": 1, "CouponSoldOut": 1}
    time.sleep(3)  # later stream batches add none
    assert stock_events() == {"CouponLowStock": 1, "CouponSoldOut": 1}


def test_the_reminder_schedule_runs_on_demand(local):
    # The scheduled run answers with its summary: the buckets it read since its last run
    fired = http.request("POST", local.url.rsplit("/", 1)[0] + "/_local/schedules")
    assert fired.status == 200, fired.data
    summary = as_json(fired)["RemindersFunction"]
    assert summary["buckets_scanned"] >= 8 and summary["reminded"] == summary["due"] == 0


def test_a_file_uploaded_with_the_form_is_imported(local):
    # Given a merchant's coupon with imported codes and the upload form the API issues
    owner = mint("merchant", "owner-m1", merchant="m1")
    body = coupon_body(codes={"mode": "imported"}, shard_count=1)
    coupon_id = as_json(send(local, "POST", "/coupons", owner, body))["coupon_id"]
    form = send(local, "POST", f"/coupons/{coupon_id}/imports", owner, {"file_name": "pos.csv"})
    assert form.status == 201, form.data
    form = as_json(form)
    # When the file is posted with the form, as a browser would
    fields = {**form["fields"], "file": ("pos.csv", b"code\nPOS-0001\nPOS-0002\nbad code\nPOS-0001\n")}
    uploaded = http.request("POST", form["url"], fields=fields)
    assert uploaded.status in (200, 201, 204), uploaded.data
    # Then the job finishes on its own, with its counts and a failed-codes file to download

    def finished():
        jobs = as_json(send(local, "GET", f"/coupons/{coupon_id}/imports", owner))["items"]
        return [j for j in jobs if j["status"] == "finished"]

    jobs = wait_for(finished, timeout=30)
    assert jobs, as_json(send(local, "GET", f"/coupons/{coupon_id}/imports", owner))
    job = jobs[0]
    assert (job["imported"], job["failed"], job["counts"]["malformed"]) == (2, 2, 1)
    report = http.request("GET", job["failed_codes_url"])
    assert report.status == 200 and b"duplicate_in_file" in report.data


def test_a_reported_profile_earns_its_points_once_through_the_bus_and_the_points_worker(local):
    # Given a merchant whose programme gives 50 points for a completed profile
    merchant_id, customer_id = "m-points-e2e", "profile-u1"
    owner = mint("merchant", f"owner-{merchant_id}", merchant=merchant_id)
    rules = {"earning": {"profile_completed": 50}}
    assert send(local, "PUT", "/merchant/points/settings", owner, rules).status == 200
    me = mint("customer", customer_id)

    def report(event_id):
        detail = {"event_id": event_id, "customer_id": customer_id, "completed_at": "2026-05-01T09:00:00Z"}
        body = {"detail_type": "ProfileCompleted", "detail": detail}
        reply = send(local, "POST", "/merchant/customer-events", owner, body)
        assert reply.status == 202, reply.data

    def points():
        reply = send(local, "GET", f"/me/points?programme={merchant_id}", me)
        assert reply.status == 200, reply.data
        return as_json(reply)["balance"]

    # When its app reports the customer completed their profile
    report("profile-1")
    # Then the stream's publisher puts the service's ProfileCompleted on the bus, its rule fills the points
    # queue, and the points worker credits them
    assert wait_for(points, timeout=10) == 50

    # When the same report comes again (a replay), and a second completion under a new id
    report("profile-1")
    report("profile-2")

    def published():
        events = as_json(http.request("GET", local.url.rsplit("/", 1)[0] + "/_local/events"))
        return {
            e["detail"]["reported_id"]
            for e in events
            if e["source"] == "coupons"
            and e["detail-type"] == "ProfileCompleted"
            and e["detail"]["customer_id"] == customer_id
        } == {"profile-1", "profile-2"}

    assert wait_for(published, timeout=10)  # the replay stored nothing: no third event

    # Then once the points worker's queue is drained (the bus delivered the second event into it before
    # the event log saw it), nothing more was earned
    from devstack.provision import client

    sqs = client("sqs", local.emulator.url)
    queue = local.stack.refs["PointsQueue"]
    counts = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]

    def drained():
        found = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=counts)["Attributes"]
        return all(int(found[name]) == 0 for name in counts)

    assert wait_for(drained, timeout=10)
    assert points() == 50
    entries = as_json(send(local, "GET", f"/me/points/entries?programme={merchant_id}", me))["items"]
    assert [(e["reason"], e["points"]) for e in entries] == [("profile_completed", 50)]


def test_tokens_are_verified(local):
    good = mint("merchant", "owner-m1", merchant="m1")
    header, _, signature = good.split(".")
    tampered_payload = jwt.utils.base64url_encode(
        json.dumps(
            {**jwt.decode(good, options={"verify_signature": False}), "custom:merchant_id": "m2"}
        ).encode()
    ).decode()
    unsigned = jwt.encode(
        {
            "sub": "x",
            "cognito:groups": ["merchants"],
            "iss": ISSUER,
            "token_use": "id",
            "exp": int(time.time()) + 60,
        },
        key=None,
        algorithm="none",
    )
    for token in [
        f"{header}.{tampered_payload}.{signature}",
        unsigned,
        mint("merchant", "o", merchant="m1", ttl=-10),
        "not-a-token",
        None,
    ]:
        reply = send(local, "GET", "/coupons", token)
        assert reply.status == 401, (token, reply.status)
    assert send(local, "GET", "/coupons", good).status == 200


def test_one_merchant_never_reaches_anothers_data(local):
    m1 = mint("merchant", "owner-m1", merchant="m1")
    m2 = mint("merchant", "owner-m2", merchant="m2")
    coupon_id = as_json(send(local, "POST", "/coupons", m1, coupon_body()))["coupon_id"]
    assert send(local, "GET", f"/coupons/{coupon_id}", m2).status == 404
    assert send(local, "PATCH", f"/coupons/{coupon_id}", m2, {"version": 1, "status": "paused"}).status == 404
    assert send(local, "DELETE", f"/coupons/{coupon_id}", m2).status == 404
    assert coupon_id not in {c["coupon_id"] for c in as_json(send(local, "GET", "/coupons", m2))["items"]}
    assert as_json(send(local, "GET", f"/coupons/{coupon_id}", m1))["status"] == "active"


def test_binary_responses_are_bytes(local):
    m1 = mint("merchant", "owner-m1", merchant="m1")
    coupon_id = as_json(send(local, "POST", "/coupons", m1, coupon_body()))["coupon_id"]
    png = send(local, "GET", f"/coupons/{coupon_id}/promotion/qr?size=s", m1)
    assert png.status == 200 and png.headers["Content-Type"] == "image/png" and png.data[:4] == b"\x89PNG"


def test_every_template_route_is_served_and_every_function_folder_is_in_the_template(local):
    tokens = {
        "merchant": mint("merchant", "owner-m1", merchant="m1"),
        "customer": mint("customer", "u1"),
    }
    for route in routes():
        path = route["path"].replace("{couponId}", "0" * 32).replace("{claimId}", "0" * 32)
        path = (
            path.replace("{redemptionId}", "0" * 32).replace("{token}", "t" * 43).replace("{jobId}", "0" * 32)
        )
        for token in tokens.values():
            reply = send(
                local, route["method"], path, token, body={} if route["method"] in ("POST", "PATCH") else None
            )
            # Served: an answer from the function, not the gateway's unknown-route 403 or a crash.
            assert b"Missing Authentication Token" not in reply.data, route
            assert reply.status < 500, (route, reply.status, reply.data[:200])
    in_template = {
        r["Properties"]["CodeUri"].rstrip("/").split("/")[-1]
        for r in template.resources("AWS::Serverless::Function").values()
    }
    folders = {p.name for p in (template.ROOT / "functions").iterdir() if (p / "app.py").exists()}
    assert folders == in_template


@pytest.mark.parametrize("role", ["merchant", "customer", "staff", "platform", "anonymous"])
def test_schemathesis_finds_no_server_error_and_no_schema_violation(local, role, tmp_path: Path):
    tokens = {
        "merchant": mint("merchant", "owner-m1", merchant="m1"),
        "customer": mint("customer", "u1"),
        "staff": mint("staff", "staff-m1", merchant="m1"),
        "platform": mint("platform", "operator"),
    }
    schema = tmp_path / "openapi.json"
    schema.write_text(json.dumps(local.merged_openapi()))
    command = [
        sys.executable,
        str(Path(__file__).with_name("schemathesis_cli.py")),
        "run",
        str(schema),
        "--url",
        local.url,
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        "--max-examples",
        "15",
        "--max-time",
        "40",
        "--workers",
        "1",
        "--phases",
        "examples,coverage,fuzzing",
        "--suppress-health-check",
        "all",
        "--no-color",
    ]
    if role in tokens:
        command += ["--header", f"Authorization: Bearer {tokens[role]}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
    assert result.returncode == 0, _failures(result.stdout) + result.stderr[-2000:]


def _failures(output: str) -> str:
    """The part of schemathesis' report that names what failed."""
    start = output.find("=== FAILURES") if "=== FAILURES" in output else output.find("=== ERRORS")
    return output[start : start + 12000] if start >= 0 else output[-8000:]


BURST = 250  # connections opened at once, as a flash sale's first second
BURST_CLAIMS = 60  # of them claims, for fewer units than claimers


def test_a_burst_of_connections_is_answered_every_one(local):
    # Given a coupon on sale with fewer units than the customers who want it
    owner = mint("merchant", "owner-m1", merchant="m1")
    body = coupon_body(codes={"mode": "random_on_claim", "inventory": BURST_CLAIMS // 2})
    coupon_id = as_json(send(local, "POST", "/coupons", owner, body))["coupon_id"]
    tokens = [mint("customer", f"burst-{i}") for i in range(BURST_CLAIMS)]
    host, port = local.gateway.server_address[:2]

    claimed: list[str] = []

    def one(index: int) -> tuple[str, int]:
        # A connection of its own for every request, all opened together.
        connection = HTTPConnection(host, port, timeout=240)
        try:
            if index < BURST_CLAIMS:
                headers = {"Authorization": f"Bearer {tokens[index]}", "Content-Type": "application/json"}
                connection.request("POST", f"/v1/coupons/{coupon_id}/claims", body=b"{}", headers=headers)
                kind = "claim"
            else:
                connection.request("GET", f"/v1/offers/{coupon_id}")
                kind = "offer"
            response = connection.getresponse()
            data = response.read()
            if kind == "claim" and response.status == 201:
                claimed.append(json.loads(data)["claim_id"])
            return kind, response.status
        finally:
            connection.close()

    # When they all arrive at once
    started = time.monotonic()
    results = concurrently(one, BURST, threads=BURST)
    elapsed = time.monotonic() - started

    # Then every connection got an HTTP answer: none reset, refused or timed out
    errors = Counter(type(r).__name__ for r in results if isinstance(r, BaseException))
    assert not errors, f"{sum(errors.values())} of {BURST} connections got no answer: {errors}"
    answers = Counter(results)
    assert answers[("offer", 200)] == BURST - BURST_CLAIMS, answers
    # and the claims sold the units, no more: the rest were told it is sold out (or busy, cleanly)
    assert answers[("claim", 201)] == BURST_CLAIMS // 2, answers
    assert all(status in (201, 409, 503) for kind, status in answers if kind == "claim"), answers
    assert len(set(claimed)) == BURST_CLAIMS // 2
    stats = as_json(send(local, "GET", f"/coupons/{coupon_id}/stats", owner))
    assert stats["inventory"]["claimed"] == BURST_CLAIMS // 2, stats
    print(f"{BURST} concurrent connections answered in {elapsed:.1f} s: {dict(answers)}")


def test_the_local_clock_moves_forward_over_http_and_every_function_reads_it(local):
    # Given a coupon valid for one hour, claimed now
    owner = mint("merchant", "owner-m1", merchant="m1")
    buyer = mint("customer", "clock-u1")
    body = coupon_body(validity={"type": "hours", "hours": 1})
    coupon_id = as_json(send(local, "POST", "/coupons", owner, body))["coupon_id"]
    held = send(local, "POST", f"/coupons/{coupon_id}/claims", buyer, {})
    assert held.status == 201, held.data
    claim_id = as_json(held)["claim_id"]
    assert as_json(send(local, "GET", f"/me/coupons/{claim_id}", buyer))["status"] == "available"
    clock_url = local.url.rsplit("/", 1)[0] + "/_local/clock"
    # When the stack's clock is moved back, by a fraction, or by something that is not a number
    for bad in (b'{"advance_seconds": -1}', b'{"advance_seconds": 1.5}', b'{"advance_seconds": "2h"}', b"[]"):
        refused = http.request("POST", clock_url, body=bad)
        # Then it is refused, naming the field, and the clock stays where it was
        assert refused.status == 422 and as_json(refused)["error"]["field"] == "advance_seconds", refused.data
    assert as_json(send(local, "GET", f"/me/coupons/{claim_id}", buyer))["status"] == "available"
    # When it is moved two hours forward
    moved = http.request("POST", clock_url, body=json.dumps({"advance_seconds": 7200}).encode())
    assert moved.status == 200, moved.data

    # Then it answers its new time, and the functions (in their own processes) read that time
    def instant(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    assert instant(as_json(moved)["now"]) > instant(as_json(held)["valid_until"])
    assert as_json(send(local, "GET", f"/me/coupons/{claim_id}", buyer))["status"] == "expired"


def _group(pgid: int) -> list[str]:
    """The processes of a process group still running (a zombie has exited: it only awaits its reaper)."""
    listing = subprocess.run(["ps", "-A", "-o", "pid=,pgid=,stat=,args="], capture_output=True, text=True)
    rows = [line.split(None, 3) for line in listing.stdout.splitlines()]
    return [" ".join(row) for row in rows if int(row[1]) == pgid and not row[2].startswith("Z")]


def _can_bind(port: int) -> bool:
    # As the stack binds its servers: SO_REUSEADDR, so only a socket still listening refuses the port.
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_ctrl_c_stops_every_process_make_run_started(tmp_path):
    # Given the stack started as `make run` starts it, in a process group of its own as in a terminal
    output = tmp_path / "run.log"
    process, port, emulator_port = make_run(output)
    pgid = process.pid
    offer_url = f"http://127.0.0.1:{port}/v1/offers/{'0' * 32}"
    try:
        # serving: a function has answered through the gateway
        def serves():
            try:
                return urllib3.request("GET", offer_url, retries=False).status == 404
            except urllib3.exceptions.HTTPError:
                return False

        assert wait_for(serves, timeout=180), output.read_text()[-3000:]
        assert len(_group(pgid)) > 3  # the stack, its workers and multiprocessing's resource tracker

        # and busy: workers are mid-invocation when the interrupt arrives
        def ask():
            # Stopping: an answer or a closed connection are both fine here.
            with contextlib.suppress(urllib3.exceptions.HTTPError):
                urllib3.request("GET", offer_url, retries=False, timeout=30)

        for _ in range(30):
            threading.Thread(target=ask, daemon=True).start()
        time.sleep(0.2)

        # When Ctrl-C reaches the group, as a terminal sends it
        started = time.monotonic()
        os.killpg(pgid, signal.SIGINT)

        # Then the stack has exited cleanly (before its own bound on stopping), no process of its group is
        # left and its ports are free
        def stopped():
            return process.poll() is not None and not _group(pgid)

        wait_for(stopped, timeout=STOP_LIMIT + 10)
        elapsed = time.monotonic() - started
        assert process.poll() == 0, output.read_text()[-6000:]
        assert not _group(pgid), _group(pgid)
        assert elapsed < STOP_LIMIT + 10
        assert _can_bind(port) and _can_bind(emulator_port)
        # and said so, without a traceback from a worker or a request it cut short
        said = output.read_text()
        assert "stopping…" in said and "Traceback" not in said.split("stopping…", 1)[1], said[-3000:]
        print(f"Ctrl-C stopped the stack and its {pgid} group in {elapsed:.1f} s")
    finally:
        if process.poll() is None or _group(pgid):
            os.killpg(pgid, signal.SIGKILL)
            process.wait(timeout=10)
