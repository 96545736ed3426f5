"""An import's report, as bytes and object keys: the failed codes CSV (in parts, one per batch, then joined)
and the summary. No S3 here: `import_files` stores what this module renders."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from coupon_service.import_reader import REASONS, Failure
from coupon_service.models.imports import ImportJobItem
from coupon_service.spreadsheet import safe_cell

REPORTS = "reports/"
HEADER = b"line,code,reason\n"


def report_cell(text: str) -> str:
    """A report cell a spreadsheet shows as text: one that would start a formula gets a leading quote."""
    return safe_cell(text)


def parts_prefix(job_id: str) -> str:
    return f"{REPORTS}{job_id}/parts/"


def part_key(job_id: str, batch: int) -> str:
    """A batch's part: named by the batch's number, so a batch run again writes the same part again."""
    return f"{parts_prefix(job_id)}{batch:06d}.csv"


def failed_codes_key(job_id: str) -> str:
    return f"{REPORTS}{job_id}/failed-codes.csv"


def summary_key(job_id: str) -> str:
    return f"{REPORTS}{job_id}/summary.json"


def part(failures: Iterable[Failure]) -> bytes:
    """A batch's failed lines as CSV rows (no header: the joined file has one), every cell quoted."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerows([report_cell(str(cell)) for cell in row] for row in failures)
    return out.getvalue().encode()


def reason_counts(failures: Iterable[Failure]) -> dict[str, int]:
    counts = dict.fromkeys(REASONS, 0)
    for _, _, reason in failures:
        counts[reason] += 1
    return counts


def summary(
    job: ImportJobItem, status: str, *, reason: str | None, duration_ms: int, failed_key: str | None
) -> bytes:
    """The job's summary document, as the merchant downloads it."""
    document = {
        "job_id": job.job_id,
        "status": status,
        "reason": reason,
        "file": job.key,
        "codes": job.codes,
        "imported": job.imported,
        "failed": job.failed,
        "counts": job.counts(),
        "duration_seconds": duration_ms / 1000,
        "failed_codes": failed_key,
    }
    return json.dumps(document, indent=1).encode()
