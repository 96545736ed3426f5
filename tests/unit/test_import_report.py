"""Unit tests for an import's report as rendered (no S3) and the import queue's messages as parsed."""

from __future__ import annotations

import csv
import io
import json

import pytest
from coupon_service import import_report
from coupon_service.models.imports import ImportJobItem, ImportMessage, ImportObject, continuation
from pydantic import ValidationError

from tests.support import s3_notification

JOB = ImportJobItem(
    job_id="f" * 32,
    bucket="b",
    key="imports/m1/" + "c" * 32 + "/x-codes.csv",
    version="v1",
    size=120,
    merchant_id="m1",
    coupon_id="c" * 32,
    file_name="x-codes.csv",
    status="running",
    created_at="2030-01-01T00:00:00.000000Z",
    started_ms=0,
    codes=7,
    imported=4,
    failed=3,
    malformed=1,
    duplicate_in_file=2,
)


def test_a_part_quotes_every_cell_and_neutralises_what_a_spreadsheet_would_run():
    # Given failed lines, some of whose codes start a formula
    failures = [
        (3, "=HYPERLINK(x)", "malformed"),
        (5, "-12345678", "too_guessable"),
        (9, "GOOD,1", "malformed"),
    ]
    # When a part is rendered
    rendered = import_report.part(failures).decode()
    # Then each row reads back as the line, the code (a formula made text) and the reason
    rows = list(csv.reader(io.StringIO(rendered)))
    assert rows == [
        ["3", "'=HYPERLINK(x)", "malformed"],
        ["5", "'-12345678", "too_guessable"],
        ["9", "GOOD,1", "malformed"],
    ]
    assert all(line.startswith('"') for line in rendered.splitlines())
    # And the joined file's header names the same columns
    assert import_report.HEADER.decode().strip().split(",") == ["line", "code", "reason"]


def test_parts_are_named_by_batch_so_their_order_is_the_files_and_a_rerun_overwrites_its_own():
    keys = [import_report.part_key(JOB.job_id, n) for n in (10, 2, 1)]
    assert sorted(keys) == [import_report.part_key(JOB.job_id, n) for n in (1, 2, 10)]
    assert all(k.startswith(import_report.parts_prefix(JOB.job_id)) for k in keys)
    assert import_report.part_key(JOB.job_id, 2) == import_report.part_key(JOB.job_id, 2)
    assert import_report.failed_codes_key(JOB.job_id) == f"reports/{JOB.job_id}/failed-codes.csv"


def test_counts_per_reason_cover_every_reason():
    counts = import_report.reason_counts(
        [(1, "a", "malformed"), (2, "b", "malformed"), (4, "c", "already_exists")]
    )
    assert counts == {"malformed": 2, "too_guessable": 0, "duplicate_in_file": 0, "already_exists": 1}


def test_the_summary_tells_the_outcome_and_the_counts_of_the_job():
    document = json.loads(
        import_report.summary(JOB, "finished", reason=None, duration_ms=2500, failed_key="reports/x.csv")
    )
    assert document == {
        "job_id": JOB.job_id,
        "status": "finished",
        "reason": None,
        "file": JOB.key,
        "codes": 7,
        "imported": 4,
        "failed": 3,
        "counts": {"malformed": 1, "too_guessable": 0, "duplicate_in_file": 2, "already_exists": 0},
        "duration_seconds": 2.5,
        "failed_codes": "reports/x.csv",
    }


def test_an_s3_notification_names_the_objects_under_the_prefix_with_their_keys_decoded():
    # Given a notification of two uploads, one outside imports/, keys encoded as S3 encodes them
    body = s3_notification(
        "b",
        {"key": "imports/m1/c/a+b%2B.csv", "size": 12},
        {"key": "reports/x.csv", "size": 1, "versionId": "v"},
    )
    # When it is parsed
    objects = ImportMessage.validate_json(json.dumps(body)).objects("imports/")
    # Then only the upload is named, its key decoded, an unversioned object as version "null"
    assert objects == [ImportObject(bucket="b", key="imports/m1/c/a b+.csv", version="null", size=12)]


def test_a_continuation_comes_back_as_it_was_sent_and_a_test_event_names_nothing():
    found = ImportObject(bucket="b", key="imports/m1/c/x.csv", version="v7", size=99)
    assert json.loads(continuation(found)) == {"continue": found.model_dump()}
    assert ImportMessage.validate_json(continuation(found)).objects("imports/") == [found]
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"}
    assert ImportMessage.validate_json(json.dumps(test_event)).objects("imports/") == []


@pytest.mark.parametrize(
    "body", ["not json", "[]", '{"Records": [{"s3": {}}]}', '{"continue": {"key": "k"}}']
)
def test_a_message_that_is_neither_a_whole_notification_nor_a_whole_continuation_is_refused(body):
    with pytest.raises(ValidationError):
        ImportMessage.validate_json(body)
