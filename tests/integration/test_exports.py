"""CSV exports: each kind writes exactly what the store holds; a file made in parts and runs is the file one
run makes; a redelivered message or a retried request makes one file and one done state; the link lives 15
minutes and is never logged; another merchant finds nothing; formulas are shown as text."""

from __future__ import annotations

import csv
import io
import json
import os
import time
import urllib.parse
import urllib.request

import pytest
from coupon_service import keys, settings
from coupon_service.aws import client
from coupon_service.exports import Exports
from coupon_service.store.table import Table, values

from devstack.functions import load_function
from tests.builders import claim, claim_items, make_coupon, redemptions_of, scan, seed_held, shards
from tests.support import call, concurrently, invoke, merchant, sqs_message

pytestmark = pytest.mark.usefixtures("stack", "exporting")

MERCHANT = merchant("m1")


@pytest.fixture
def exporting(stack, monkeypatch):
    """The export functions' environment (bucket, queue, retention), as the template gives it."""
    for function in ("ExportFunction", "ExportWorkerFunction"):
        for name, value in stack.environment(function).items():
            monkeypatch.setenv(name, value)
    settings.settings.cache_clear()
    yield
    settings.settings.cache_clear()


# --- helpers ------------------------------------------------------------------------------------------


def ask(coupon_id, body, *, key=None, who=MERCHANT):
    headers = {"Idempotency-Key": key} if key else None
    return call("POST", f"/coupons/{coupon_id}/exports", claims=who, body=body, headers=headers)


def queued():
    """The messages on the export queue (taken off it): their job ids, in order."""
    sqs, found = client("sqs"), []
    while True:
        got = sqs.receive_message(QueueUrl=os.environ["EXPORT_QUEUE_URL"], MaxNumberOfMessages=10)
        messages = got.get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append(json.loads(message["Body"])["job_id"])
            sqs.delete_message(
                QueueUrl=os.environ["EXPORT_QUEUE_URL"], ReceiptHandle=message["ReceiptHandle"]
            )


def work(remaining_ms=900_000):
    """Deliver every queued message to the worker, as the queue does, until none is left."""
    runs = 0
    while batch := queued():
        for job_id in batch:
            answer = invoke(
                "export_worker", {"Records": [sqs_message(json.dumps({"job_id": job_id}))]}, remaining_ms
            )
            assert answer == {"batchItemFailures": []}
            runs += 1
    return runs


def job_item(job_id):
    return Table().get(keys.export_job(job_id))


def file_of(job_id):
    job = job_item(job_id)
    return client("s3").get_object(Bucket=job["bucket"], Key=job["key"])["Body"].read()


def rows_of(data: bytes):
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def export(coupon_id, body, **run):
    """Ask for an export and run it through the layer (`run`: part size, page size, time left)."""
    reply = ask(coupon_id, body)
    assert reply.status == 202, reply.json
    assert queued() == [reply.json["job_id"]]
    job_id = reply.json["job_id"]
    time_left = run.pop("time_left", lambda: 900.0)
    while (status := Exports().run(job_id, time_left, **run)) == "continue":
        pass
    assert status == "done", status
    return job_id


def pool_state(coupon):
    """(code, state, shard, position) of every pool position, read straight from the store."""
    table, expected = Table(), []
    claimed = {}
    for item in table._db.scan(TableName=table.name)["Items"]:
        if item.get("type", {}).get("S") == "claim" and item["coupon_id"]["S"] == coupon["coupon_id"]:
            claimed[(int(item["shard"]["N"]), int(item["position"]["N"]))] = item["state"]["S"]
    for shard in shards(coupon):
        size = int(shard["pool_size"])
        codes = []
        for chunk in range(-(-size // keys.CHUNK)):
            codes += table.get(keys.pool_chunk(coupon["coupon_id"], shard["shard"], chunk))["codes"]
        for position, code in enumerate(codes[:size]):
            state = claimed.get((shard["shard"], position))
            named = "free" if state is None else state if state in ("used", "void") else "held"
            shown = "*" * (len(code) - 4) + code[-4:] if named == "held" else code  # a held code: its end
            expected.append([shown, named, str(shard["shard"]), str(position)])
    return expected


def seed_pool(coupon, codes_by_shard):
    """An imported pool as the import writes it (chunks, and each shard's size), with BatchWriteItem."""
    table, items = Table(), []
    for index, codes in enumerate(codes_by_shard):
        for chunk in range(0, len(codes), keys.CHUNK):
            items.append(
                {
                    **keys.pool_chunk(coupon["coupon_id"], index, chunk // keys.CHUNK),
                    "type": "pool",
                    "codes": codes[chunk : chunk + keys.CHUNK],
                }
            )
    table.batch_write(items)
    for index, codes in enumerate(codes_by_shard):
        table.update(
            keys.shard(coupon["coupon_id"], index),
            UpdateExpression="SET pool_size = :n, remaining = :n, units = :n",
            ExpressionAttributeValues=values(n=len(codes)),
        )


def seed_redemptions(coupon_id, count, *, order_id=lambda i: f"o-{i:05d}"):
    """`count` redemptions of the coupon, one second apart, written as the redemption writes them."""
    items = []
    for i in range(count):
        at = f"2030-01-{1 + i // 86400:02d}T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z"
        redemption_id = f"r{i:06d}-{coupon_id[:6]}"
        items.append(
            {
                **keys.redemption(redemption_id),
                **keys.redemption_index(coupon_id, at, redemption_id),
                "type": "redemption",
                "redemption_id": redemption_id,
                "claim_id": f"c{i:06d}",
                "coupon_id": coupon_id,
                "merchant_id": "m1",
                "customer_id": f"u{i}",
                "method": "staff",
                "redeemed_by": f"till-{i % 3}",
                "store_id": f"sh-{i % 4:03d}",
                "order_id": order_id(i),
                "currency": "CNY",
                "order_amount": 10_000 + i,
                "discount": 1000,
                "redeemed_at": at,
                **({"reversed_at": "2030-02-01T00:00:00Z"} if i % 50 == 7 else {}),
            }
        )
    Table().batch_write(items)
    return items


def redemption_rows(items):
    columns = [
        "redeemed_at",
        "redemption_id",
        "claim_id",
        "order_id",
        "order_amount",
        "discount",
        "currency",
        "store_id",
        "method",
        "redeemed_by",
        "reversed_at",
    ]
    ordered = sorted(items, key=lambda i: f"{i['redeemed_at']}#{i['redemption_id']}")
    return [[str(item.get(column, "")) for column in columns] for item in ordered]


# --- each kind writes what the store holds -------------------------------------------------------------


def test_a_generated_pool_exports_every_code_with_its_state_as_the_store_holds_it(emulator):
    # Given a generated pool of 250 codes on 3 shards: 4 claimed, 2 of them redeemed, 1 voided
    coupon = make_coupon(codes={"mode": "generated", "inventory": 250}, shard_count=3)
    held = [claim(coupon["coupon_id"], user=f"u{i}").json for i in range(4)]
    for i, order in ((0, "o-1"), (1, "o-2")):
        assert scan(held[i]["code"], order_id=order).status == 201
    void = call(
        "POST",
        f"/coupons/{coupon['coupon_id']}/claims/{held[2]['claim_id']}/void",
        claims=MERCHANT,
        body={"reason": "resold"},
    )
    assert void.status == 200, void.json

    # When its merchant exports the code pool, through the API and the worker
    reply = ask(coupon["coupon_id"], {"kind": "codes"}, key="export-codes-1")
    assert reply.status == 202, reply.json
    assert (reply.json["state"], reply.json["kind"], reply.json["url"]) == ("queued", "codes", None)
    assert work() == 1

    # Then the file holds every position of every shard, with the state the store gives it
    data = file_of(reply.json["job_id"])
    found = rows_of(data)
    assert found[0] == ["code", "state", "shard", "position"]
    assert found[1:] == pool_state(coupon)
    states = [row[1] for row in found[1:]]
    assert (states.count("used"), states.count("void"), states.count("held"), len(states)) == (2, 1, 1, 250)
    # And the code a customer still holds is not in it whole (the spent and voided ones are)
    assert held[3]["code"] not in data.decode() and held[0]["code"] in data.decode()
    # And the job is done with its rows and size
    done = call("GET", f"/exports/{reply.json['job_id']}", claims=MERCHANT).json
    assert (done["state"], done["rows"], done["size_bytes"]) == ("done", 250, len(data))


def test_an_imported_pool_exports_the_codes_its_chunks_hold():
    coupon = make_coupon(codes={"mode": "imported"}, shard_count=2)
    seed_pool(coupon, [[f"IMP-{s}-{i:05d}" for i in range(130 + s)] for s in range(2)])
    job_id = export(coupon["coupon_id"], {"kind": "codes"}, page_rows=100)
    assert rows_of(file_of(job_id))[1:] == pool_state(coupon)


def test_a_coupon_without_a_pool_has_no_codes_to_export():
    coupon = make_coupon()
    reply = ask(coupon["coupon_id"], {"kind": "codes"})
    assert (reply.status, reply.json["error"]["code"], reply.json["error"]["field"]) == (
        409,
        "no_code_pool",
        "kind",
    )
    assert queued() == []


def test_redemptions_export_every_redemption_of_the_coupon_with_its_order_in_time_order():
    # Given 300 redemptions of the coupon (6 reversed) and 30 of another coupon
    coupon = make_coupon()
    other = make_coupon()
    items = seed_redemptions(coupon["coupon_id"], 300)
    seed_redemptions(other["coupon_id"], 30)

    # When they are exported, 70 to a page
    job_id = export(coupon["coupon_id"], {"kind": "redemptions"}, page_rows=70)

    # Then the file holds each of the coupon's redemptions once, oldest first, as stored
    found = rows_of(file_of(job_id))
    assert found[0][:6] == [
        "redeemed_at",
        "redemption_id",
        "claim_id",
        "order_id",
        "order_amount",
        "discount",
    ]
    assert found[1:] == redemption_rows(items)
    assert job_item(job_id)["rows"] == 300


def test_a_time_range_exports_the_redemptions_from_its_start_to_before_its_end():
    coupon = make_coupon()
    items = seed_redemptions(coupon["coupon_id"], 200)
    body = {"kind": "redemptions", "from": "2030-01-01T00:01:00Z", "to": "2030-01-01T08:03:00+08:00"}
    job_id = export(coupon["coupon_id"], body, page_rows=50)
    inside = [i for i in items if "2030-01-01T00:01:00Z" <= i["redeemed_at"] < "2030-01-01T00:03:00Z"]
    assert len(inside) == 120
    assert rows_of(file_of(job_id))[1:] == redemption_rows(inside)


# --- parts, checkpoints and runs make one file ------------------------------------------------------------


@pytest.fixture
def small_parts(monkeypatch):
    """The emulated S3's least part lowered from 5 MiB to 1 KiB, so a test's file of a few hundred kilobytes
    is made of many parts (the export's part size is a parameter: 8 MiB unless a caller gives another)."""
    import moto.s3.models

    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", 1024)


def parts_in(job_id):
    """How many parts the file was joined from (S3's ETag of a multipart object ends with `-{parts}`)."""
    head = client("s3").head_object(Bucket=job_item(job_id)["bucket"], Key=job_item(job_id)["key"])
    etag = head["ETag"].strip('"')
    return int(etag.rsplit("-", 1)[1]) if "-" in etag else 1


def test_a_file_in_several_parts_and_runs_is_the_file_one_run_makes(small_parts):
    # Given an imported pool of 1,600 codes on 2 shards
    coupon = make_coupon(codes={"mode": "imported"}, shard_count=2)
    seed_pool(coupon, [[f"{s}-CODE-{i:06d}" for i in range(800)] for s in range(2)])

    # When it is exported in one part, in 4 KiB parts, and in 4 KiB parts over runs short of time
    whole = export(coupon["coupon_id"], {"kind": "codes"}, page_rows=100)
    parted = export(coupon["coupon_id"], {"kind": "codes"}, part_bytes=4 * 1024, page_rows=100)
    calls = {"n": 0}

    def short_of_time():  # after a run's first page (no part yet: from the start), then after some parts
        calls["n"] += 1
        return 0.0 if calls["n"] in (1, 8) else 900.0

    resumed = ask(coupon["coupon_id"], {"kind": "codes"}).json["job_id"]
    queued()
    runs = 0
    while Exports().run(resumed, short_of_time, part_bytes=4 * 1024, page_rows=100) == "continue":
        runs += 1
        job = job_item(resumed)
        assert job["state"] == "running" and "runner" not in job  # handed on, its lease given up
        assert job["rows"] == len(rows_of(file_of(whole))[1:][: job["rows"]])
    assert runs == 2 and job_item(resumed)["state"] == "done"

    # Then the three files are the same bytes, rows and size; the parted ones joined from many parts
    assert file_of(parted) == file_of(whole) == file_of(resumed)
    assert parts_in(whole) == 1 and parts_in(parted) >= 5 and parts_in(resumed) >= 5
    for job_id in (whole, parted, resumed):
        assert (job_item(job_id)["rows"], job_item(job_id)["size"]) == (1600, len(file_of(whole)))
    assert rows_of(file_of(whole))[1:] == pool_state(coupon)


# --- exactly one file and one done state ----------------------------------------------------------------


def _versions(job_id):
    job = job_item(job_id)
    listed = client("s3").list_object_versions(Bucket=job["bucket"], Prefix=job["key"])
    return listed.get("Versions", [])


def test_a_redelivered_message_and_a_retried_request_make_one_file_and_one_done_state(emulator):
    coupon = make_coupon()
    seed_redemptions(coupon["coupon_id"], 40)
    # Given a request whose job was stored but whose answer was lost (the put applied, a 500 answered)
    emulator.faults.set(1.0, ("lost",), operations=frozenset({"PutItem"}), limit=1)
    first = ask(coupon["coupon_id"], {"kind": "redemptions"}, key="export-key-0001")
    emulator.faults.set(0.0)
    assert first.status == 202, first.json
    # And the client sending it again before the worker ran (its message is sent again: harmless)
    again = ask(coupon["coupon_id"], {"kind": "redemptions"}, key="export-key-0001")
    assert again.json["job_id"] == first.json["job_id"]
    messages = queued()
    assert messages == [first.json["job_id"]] * 2

    # When both messages reach the worker at once, and one of them again afterwards
    body = json.dumps({"job_id": first.json["job_id"]})
    load_function("export_worker")  # imported once, as each execution environment does before its first call
    answers = concurrently(
        lambda i: invoke("export_worker", {"Records": [sqs_message(body, f"m-{i}")]}, 900_000), 2, threads=2
    )
    assert answers == [{"batchItemFailures": []}] * 2
    assert invoke("export_worker", {"Records": [sqs_message(body)]}, 900_000) == {"batchItemFailures": []}
    # And the client asks once more after the export finished: the same job, no new message
    late = ask(coupon["coupon_id"], {"kind": "redemptions"}, key="export-key-0001")
    assert (late.status, late.json["job_id"], late.json["state"]) == (202, first.json["job_id"], "done")
    assert queued() == []

    # Then there is one file (one version of its object), one job, done once with its 40 rows
    assert len(_versions(first.json["job_id"])) == 1
    job = job_item(first.json["job_id"])
    assert (job["state"], job["rows"], job["runs"]) == ("done", 40, 1)
    assert len(rows_of(file_of(first.json["job_id"]))) == 41


def test_the_same_key_with_another_request_is_refused_naming_the_key():
    coupon = make_coupon()
    assert ask(coupon["coupon_id"], {"kind": "redemptions"}, key="export-key-0002").status == 202
    other = ask(coupon["coupon_id"], {"kind": "records"}, key="export-key-0002")
    assert (other.status, other.json["error"]["field"]) == (422, "Idempotency-Key")


def test_lost_answers_on_the_workers_writes_still_make_one_file_and_one_done_state(emulator):
    coupon = make_coupon()
    items = seed_redemptions(coupon["coupon_id"], 30)
    reply = ask(coupon["coupon_id"], {"kind": "redemptions"})
    queued()
    # When half of the worker's updates (lease, checkpoints, end) apply and lose their answer
    emulator.faults.set(0.5, ("lost", "timeout"), operations=frozenset({"UpdateItem"}))
    try:
        status = Exports().run(reply.json["job_id"], lambda: 900.0, page_rows=10)
        injected = emulator.faults.injected
    finally:
        emulator.faults.set(0.0)
    # Then the run still ends done, with one file of every row
    assert status == "done"
    assert injected >= 2
    assert rows_of(file_of(reply.json["job_id"]))[1:] == redemption_rows(items)
    assert len(_versions(reply.json["job_id"])) == 1


def test_a_run_that_failed_is_resumed_by_the_message_delivered_again(monkeypatch):
    coupon = make_coupon()
    items = seed_redemptions(coupon["coupon_id"], 20)
    job_id = ask(coupon["coupon_id"], {"kind": "redemptions"}).json["job_id"]
    queued()
    # Given a run whose completion fails (S3 refused it)
    from coupon_service.exports import files

    complete = files.complete

    def refused(*args, **kwargs):
        raise RuntimeError("S3 answered 500")

    monkeypatch.setattr(files, "complete", refused)
    with pytest.raises(RuntimeError):
        Exports().run(job_id, lambda: 900.0)
    assert job_item(job_id)["completing"] is True and "runner" not in job_item(job_id)
    # When the queue delivers its message again
    monkeypatch.setattr(files, "complete", complete)
    assert Exports().run(job_id, lambda: 900.0) == "done"
    # Then the file is whole and done once
    assert rows_of(file_of(job_id))[1:] == redemption_rows(items)
    assert job_item(job_id)["runs"] == 2


# --- the link ------------------------------------------------------------------------------------------


def test_the_link_is_signed_for_15_minutes_on_each_read_and_never_logged(capsys):
    coupon = make_coupon()
    seed_redemptions(coupon["coupon_id"], 5)
    job_id = export(coupon["coupon_id"], {"kind": "redemptions"})
    capsys.readouterr()
    # When the merchant reads the finished job twice
    first = call("GET", f"/exports/{job_id}", claims=MERCHANT)
    time.sleep(1.1)
    second = call("GET", f"/exports/{job_id}", claims=MERCHANT)
    logged = capsys.readouterr()
    assert first.status == second.status == 200
    # Then each answer carries a link signed for it, valid 900 seconds
    for reply in (first, second):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(reply.json["url"]).query)
        if "X-Amz-Expires" in query:
            assert query["X-Amz-Expires"] == ["900"]
        else:  # SigV2: the moment it expires
            assert abs(int(query["Expires"][0]) - time.time() - 900) < 5
    assert first.json["url"] != second.json["url"]
    # And the link downloads the file
    with urllib.request.urlopen(first.json["url"]) as downloaded:
        assert downloaded.read() == file_of(job_id)
    # And neither the link nor its signature is in the logs, and no job item holds it
    for reply in (first, second):
        signature = reply.json["url"].split("?", 1)[1]
        assert signature not in logged.out + logged.err
        assert signature not in json.dumps(job_item(job_id))


# --- another merchant, guesses, and bad input ------------------------------------------------------------


def test_another_merchant_finds_neither_the_coupon_nor_the_job():
    coupon = make_coupon()
    job_id = ask(coupon["coupon_id"], {"kind": "redemptions"}).json["job_id"]
    m2 = merchant("m2")
    assert ask(coupon["coupon_id"], {"kind": "redemptions"}, who=m2).status == 404
    assert call("GET", f"/exports/{job_id}", claims=m2).status == 404
    assert call("GET", f"/exports/{'0' * 32}", claims=MERCHANT).status == 404
    assert call("GET", "/exports/not-a-job", claims=MERCHANT).status == 422
    assert queued() == [job_id]


BAD_BODIES = [
    ({"kind": "everything"}, "body.kind"),
    ({}, "body.kind"),
    ({"kind": "codes", "format": "xlsx"}, "body.format"),
    ({"kind": "redemptions", "from": "2030-02-01T00:00:00Z", "to": "2030-01-01T00:00:00Z"}, "body.to"),
    ({"kind": "redemptions", "from": "2030-01-01T00:00:00Z", "to": "2030-01-01T00:00:00Z"}, "body.to"),
    ({"kind": "redemptions", "from": "yesterday"}, "body.from"),
    ({"kind": "redemptions", "from": "2030-01-01T00:00:00"}, "body.from"),
    ({"kind": "redemptions", "to": "1999-12-31T00:00:00Z"}, "body.to"),
    ({"kind": "redemptions", "to": 1893456000}, "body.to"),
    ({"kind": "codes", "from": "2030-01-01T00:00:00Z"}, "body.from"),
]


def test_bad_input_is_a_422_naming_the_field_and_starts_nothing():
    coupon = make_coupon(codes={"mode": "generated", "inventory": 10})
    for body, field in BAD_BODIES:
        reply = ask(coupon["coupon_id"], body, key="export-bad-0001")
        assert (reply.status, reply.json["error"]["field"]) == (422, field), (body, reply.json)
    assert queued() == []
    # And the key is still free: the same key with a good request makes a job
    assert ask(coupon["coupon_id"], {"kind": "codes"}, key="export-bad-0001").status == 202


# --- formulas --------------------------------------------------------------------------------------------


def test_cells_a_spreadsheet_would_run_are_shown_as_text():
    # Given codes and order ids that a spreadsheet would read as formulas
    hostile = [
        '=HYPERLINK("http://x.example")',
        "+SUM(1,2)",
        "-2+3",
        "@cmd",
        "\tTAB",
        "\rCR",
        "  =1+1",
        "SAFE-CODE-1",
    ]
    coupon = make_coupon(codes={"mode": "imported"}, shard_count=1)
    seed_pool(coupon, [hostile])
    paid = make_coupon()
    seed_redemptions(paid["coupon_id"], len(hostile), order_id=lambda i: hostile[i])

    # When both are exported
    codes = rows_of(file_of(export(coupon["coupon_id"], {"kind": "codes"})))
    orders = rows_of(file_of(export(paid["coupon_id"], {"kind": "redemptions"})))

    # Then each such cell starts with a quote, and the others are as they were
    neutral = [f"'{text}" for text in hostile[:-1]] + ["SAFE-CODE-1"]
    assert [row[0] for row in codes[1:]] == neutral
    assert [row[3] for row in orders[1:]] == neutral
    assert all(row[1] == "free" for row in codes[1:])


def test_a_deleted_coupon_still_exports_for_its_merchant():
    coupon = make_coupon()
    seed_redemptions(coupon["coupon_id"], 3)
    assert call("DELETE", f"/coupons/{coupon['coupon_id']}", claims=MERCHANT).status == 200
    job_id = export(coupon["coupon_id"], {"kind": "redemptions"})
    assert len(rows_of(file_of(job_id))) == 4


def test_two_workers_on_one_job_at_once_make_one_file():
    coupon = make_coupon()
    items = seed_redemptions(coupon["coupon_id"], 60)
    job_id = ask(coupon["coupon_id"], {"kind": "redemptions"}).json["job_id"]
    queued()
    # When four runs of it start together (a message delivered four times at once)
    outcomes = concurrently(lambda _: Exports().run(job_id, lambda: 900.0, page_rows=10), 4, threads=4)
    # Then one ran it, the others left it to that one
    assert sorted(outcomes).count("done") >= 1 and set(outcomes) <= {"done", "elsewhere"}, outcomes
    assert len(_versions(job_id)) == 1
    assert rows_of(file_of(job_id))[1:] == redemption_rows(items)


# --- records: claims and redemptions -----------------------------------------------------------------------


def test_records_export_every_claim_and_redemption_newest_first_a_phone_only_masked():
    # Given customers whose profiles a spreadsheet would run (a nickname, a name), one with a phone
    coupon = make_coupon(shard_count=2)
    coupon_id = coupon["coupon_id"]
    phone = "+86 138 0013 8000"
    hostile = claim(
        coupon_id, user="p1", nickname='=HYPERLINK("http://x.example")', name=" +Bob", phone_number=phone
    )
    assert hostile.status == 201, hostile.json
    held = [claim(coupon_id, user=f"u{i}", nickname=f"n{i}").json for i in range(3)]
    for code, order in ((hostile.json["code"], "o-1"), (held[0]["code"], "o-2")):
        assert scan(code, order_id=order).status == 201
    seed_held(coupon_id, 30, prefix="s", claimed_at=lambda i: f"2030-01-01T00:00:{i:02d}Z", nickname="@cmd")

    # When the records are exported, 7 to a page
    job_id = export(coupon_id, {"kind": "records"}, page_rows=7)
    data = file_of(job_id)
    found = rows_of(data)

    # Then every claim and every redemption of the coupon is a row, once, newest first
    header, body = found[0], found[1:]
    assert header[:5] == ["kind", "at", "state", "claim_id", "redemption_id"]
    column = {name: i for i, name in enumerate(header)}
    claims = claim_items(coupon_id)
    redemptions = redemptions_of(coupon_id)
    assert sorted(
        (r[column["kind"]], r[column["claim_id"]], r[column["redemption_id"]]) for r in body
    ) == sorted(
        [("claim", c["claim_id"], c.get("redemption_id", "")) for c in claims]
        + [("redemption", r["claim_id"], r["redemption_id"]) for r in redemptions]
    )
    stored_at = {c["claim_id"]: c["claimed_at"] for c in claims} | {
        r["redemption_id"]: r["redeemed_at"] for r in redemptions
    }
    for row in body:
        key = row[column["claim_id"]] if row[column["kind"]] == "claim" else row[column["redemption_id"]]
        assert row[column["at"]] == stored_at[key]
    ats = [row[column["at"]] for row in body]
    assert ats == sorted(ats, reverse=True) and len(body) == 36
    assert {row[column["state"]] for row in body} == {"available", "used", "redeemed"}
    # And the profile cells a spreadsheet would run are text; the phone is there only masked
    mine = [row for row in body if row[column["customer_id"]] == "p1"]
    assert {row[column["nickname"]] for row in mine} == {'\'=HYPERLINK("http://x.example")'}
    assert {row[column["name"]] for row in mine} == {"' +Bob"}
    assert {row[column["nickname"]] for row in body if row[column["customer_id"]].startswith("s")} == {
        "'@cmd"
    }
    masked = {c["phone_masked"] for c in claims if c.get("phone_masked")}
    # (a masked number starts with its "+": a spreadsheet would compute it, so it is quoted too)
    assert masked and {row[column["phone_masked"]] for row in mine} == {f"'{m}" for m in masked}
    hashed = {c["phone_hash"] for c in claims if c.get("phone_hash")}
    text = data.decode("utf-8-sig")
    assert "13800138000" not in text.replace(" ", "") and not any(h in text for h in hashed)


def test_a_records_range_exports_the_records_made_inside_it():
    coupon = make_coupon()
    seed_held(coupon["coupon_id"], 20, claimed_at=lambda i: f"2030-01-01T00:{i:02d}:00Z")
    body = {"kind": "records", "from": "2030-01-01T00:05:00Z", "to": "2030-01-01T08:15:00+08:00"}
    found = rows_of(file_of(export(coupon["coupon_id"], body, page_rows=4)))[1:]
    assert [row[1] for row in found] == [f"2030-01-01T00:{i:02d}:00Z" for i in range(14, 4, -1)]


def test_a_records_file_made_over_parts_and_runs_is_the_file_one_run_makes(small_parts):
    coupon = make_coupon(shard_count=3)
    seed_held(coupon["coupon_id"], 45, claimed_at=lambda i: f"2030-01-01T00:00:{i:02d}Z", nickname="Ann")
    whole = export(coupon["coupon_id"], {"kind": "records"}, page_rows=6)
    calls = {"n": 0}

    def short_of_time():
        calls["n"] += 1
        return 0.0 if calls["n"] in (1, 5) else 900.0

    resumed = export(
        coupon["coupon_id"], {"kind": "records"}, part_bytes=1024, page_rows=6, time_left=short_of_time
    )
    assert calls["n"] > 5 and parts_in(resumed) >= 3
    assert file_of(resumed) == file_of(whole) and len(rows_of(file_of(whole))) == 46


def test_a_job_whose_message_fails_its_last_delivery_is_failed_not_left_running(monkeypatch):
    from coupon_service.exports import files

    coupon = make_coupon()
    seed_redemptions(coupon["coupon_id"], 3)
    job_id = ask(coupon["coupon_id"], {"kind": "redemptions"}).json["job_id"]
    queued()

    def refused(*args, **kwargs):
        raise RuntimeError("S3 answered 500")

    monkeypatch.setattr(files, "complete", refused)
    body = json.dumps({"job_id": job_id})
    # When its runs fail on the first delivery, then on the fifth (the last before the dead-letter queue)
    for receives in (1, 5):
        message = sqs_message(body, f"m-{receives}")
        message["attributes"]["ApproximateReceiveCount"] = str(receives)
        answer = invoke("export_worker", {"Records": [message]}, 900_000)
        assert answer == {"batchItemFailures": [{"itemIdentifier": f"m-{receives}"}]}
        state = call("GET", f"/exports/{job_id}", claims=MERCHANT).json
        # Then it stays to be retried after the first, and is failed after the last, with no link
        expected = ("running", None) if receives == 1 else ("failed", "internal")
        assert (state["state"], state["reason"], state["url"]) == (*expected, None)


def test_a_link_to_a_file_of_customers_records_is_an_audited_read_and_unaudited_it_is_no_link(emulator):
    # Given a done export of a coupon's redemptions and one of its code pool
    coupon = make_coupon(codes={"mode": "generated", "inventory": 40})
    seed_redemptions(coupon["coupon_id"], 12)
    redemptions = export(coupon["coupon_id"], {"kind": "redemptions", "from": "2020-01-01T00:00:00Z"})
    codes = export(coupon["coupon_id"], {"kind": "codes"})

    def audits():
        items, _ = Table().query(
            index="GSI1",
            key_condition="GSI1PK = :p",
            ExpressionAttributeValues={":p": {"S": keys.merchant_audit("m1")}},
        )
        return items

    # When the merchant's user reads each job's link
    for job_id in (redemptions, codes):
        reply = call("GET", f"/exports/{job_id}", claims=merchant("m1", user="clerk-7"))
        assert reply.status == 200 and reply.json["url"], reply.json

    # Then each link is one audit entry (who, which coupon, which file, its rows)
    by_kind = {e["filters"]["export"]: e for e in audits()}
    assert set(by_kind) == {"redemptions", "codes"} and by_kind["codes"]["rows"] == 40
    entry = by_kind["redemptions"]
    assert (entry["by"], entry["coupon_id"], entry["rows"]) == ("clerk-7", coupon["coupon_id"], 12)
    assert entry["filters"]["export"] == "redemptions" and entry["filters"]["from"].startswith("2020-01-01")
    assert (
        call("GET", "/merchant/audit", claims=MERCHANT).json["items"][0]["coupon_id"] == coupon["coupon_id"]
    )

    # And when the audit cannot be written, the answer is a 503 without a link, and nothing is recorded
    emulator.faults.set(1.0, ("throttle",), operations=frozenset({"PutItem"}))
    try:
        reply = call("GET", f"/exports/{redemptions}", claims=MERCHANT, remaining_ms=1_500)
    finally:
        emulator.faults.set(0.0)
    assert reply.status == 503 and "url" not in reply.json, reply.json
    assert len(audits()) == 2
