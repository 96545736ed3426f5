"""Exports: a code pool of 1,000,000 codes (and one of 100,000) exported to CSV, with the worker's peak memory.

The pool is seeded with BatchWriteItem as an import leaves it (100-code chunks on 50 shards, each shard's
size), with claim records holding some positions (a share of them used). The emulator runs in a process of
its own, and so does each export: a fresh interpreter that loads the worker's handler (the function's init),
is measured (its peak resident set so far), runs the whole job in one invocation, and is measured again. The
peak resident set (Linux's VmHWM) is the whole process's: Python, boto3, Powertools, the layer and the export.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from coupon_service import aws, keys, settings
from coupon_service.store.table import Table, values

from bench.claims import coupon
from bench.imports import emulator_apart
from devstack.provision import drop, provision

ROOT = Path(__file__).resolve().parents[1]
SHARDS = 50
CLAIMED_SHARE = 50  # one position in 50 is held by a claim; one claim in 4 of those is used


def _seed(coupon_id: str, total: int) -> int:
    """The pool's chunks and claim records, with BatchWriteItem; each shard's size set. Returns items written."""
    per_shard = total // SHARDS
    table, written = Table(), 0
    for shard in range(SHARDS):
        items: list[dict[str, Any]] = []
        for chunk in range(per_shard // keys.CHUNK):
            start = chunk * keys.CHUNK
            codes = [f"B{shard:02d}X{p:08d}" for p in range(start, start + keys.CHUNK)]
            items.append({**keys.pool_chunk(coupon_id, shard, chunk), "type": "pool", "codes": codes})
        for position in range(0, per_shard, CLAIMED_SHARE):
            claim_id = f"bench-{shard:02d}-{position:08d}"
            items.append(
                {
                    **keys.claim(claim_id),
                    **keys.claim_record_index(coupon_id, shard, "2030-01-01T00:00:00Z", claim_id),
                    "type": "claim",
                    "claim_id": claim_id,
                    "coupon_id": coupon_id,
                    "shard": shard,
                    "position": position,
                    "state": "used" if position % (CLAIMED_SHARE * 4) == 0 else "available",
                }
            )
        table.batch_write(items)
        written += len(items)
        table.update(
            keys.shard(coupon_id, shard),
            UpdateExpression="SET pool_size = :n, remaining = :n, units = :n",
            ExpressionAttributeValues=values(n=per_shard),
        )
    return written


def _run(job_id: str, traced: bool) -> dict[str, Any]:
    """The job run by the worker's handler in a fresh interpreter (`bench.export_run`); its figures."""
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "run.json"
        command = [sys.executable, "-m", "bench.export_run", job_id, str(out)] + (
            ["tracemalloc"] if traced else []
        )
        environment = {**os.environ, "PYTHONPATH": str(ROOT / "layers" / "shared" / "python")}
        subprocess.run(command, cwd=ROOT, env=environment, check=True, capture_output=True, timeout=3600)
        result: dict[str, Any] = json.loads(out.read_text())
    assert result["answer"] == {"batchItemFailures": []}, result
    return result


def _measure(endpoint: str, total: int) -> dict[str, Any]:
    stack = provision(endpoint, f"bench-export-{total}")
    os.environ.update(stack.environment("ExportFunction"))
    os.environ.update(stack.environment("ExportWorkerFunction"))
    settings.settings.cache_clear()
    try:
        coupon_id = coupon({"mode": "imported"}, shards=SHARDS, merchant_id="m1")
        started = time.perf_counter()
        seeded = _seed(coupon_id, total)
        seed_seconds = time.perf_counter() - started
        from coupon_service.exports import Exports
        from coupon_service.models.exports import ExportRequest

        job = Exports().request("m1", coupon_id, ExportRequest(kind="codes"), None)
        result = _run(job.job_id, traced=False)
        # The same export again, its Python allocations traced (tracemalloc slows it and adds its own memory)
        again = Exports().request("m1", coupon_id, ExportRequest(kind="codes"), None)
        traced = _run(again.job_id, traced=True)
        stored = Table().get(keys.export_job(job.job_id)) or {}
        head = aws.client("s3").head_object(Bucket=stored["bucket"], Key=stored["key"])
        assert stored["state"] == "done" and stored["rows"] == total, stored
        return {
            **result,
            "python_peak_mb": traced["python_peak_bytes"] / 2**20,
            "traced_seconds": traced["seconds"],
            "rows": int(stored["rows"]),
            "bytes": int(head["ContentLength"]),
            "parts": int(head["ETag"].strip('"').rsplit("-", 1)[1]) if "-" in head["ETag"] else 1,
            "seeded_items": seeded,
            "seed_seconds": seed_seconds,
        }
    finally:
        drop(stack)


def measure_all(sizes: tuple[int, ...] = (100_000, 1_000_000)) -> list[dict[str, Any]]:
    with emulator_apart() as endpoint:
        return [_measure(endpoint, n) for n in sizes]


def lines(sizes: tuple[int, ...] = (100_000, 1_000_000)) -> list[str]:
    """The benchmark's section of docs/benchmarks.md."""
    found = measure_all(sizes)
    out = [
        "## Exports",
        "",
        "A code pool exported to CSV (`kind: codes`): the pool seeded with BatchWriteItem as an import leaves",
        f"it (100-code chunks on {SHARDS} shards; one position in {CLAIMED_SHARE} held by a claim record, a",
        "quarter of those used); the emulator in a process of its own. Each job is run whole, in one",
        "invocation, by the export worker's handler (`functions/export_worker/app.py`) loaded in a fresh",
        "interpreter as Lambda loads it (`bench/export_run.py`). Peak RSS is that process's peak resident set",
        "(Linux's VmHWM: Python, boto3, Powertools, the layer and the export); 'after init' is the same once the",
        "function is loaded, before the message is handed to it. Python peak is `tracemalloc`'s peak of the",
        "memory Python allocated while the handler ran (a second run of the same export, traced). Seconds are",
        "emulator seconds (every chunk goes through moto).",
        "",
        "| rows | bytes | parts | seconds | peak RSS (MB) | after init (MB) | Python peak during the run (MB) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in found:
        out.append(
            f"| {r['rows']:,} | {r['bytes']:,} | {r['parts']} | {r['seconds']:.1f} | {r['peak_kb'] / 1024:.1f} | "
            f"{r['before_kb'] / 1024:.1f} | {r['python_peak_mb']:.1f} |"
        )
    largest = found[-1]
    verdict = "under" if largest["peak_kb"] / 1024 < 128 else "over"
    out += [
        "",
        f"The {largest['rows']:,}-row export's whole process peaked at {largest['peak_kb'] / 1024:.1f} MB "
        f"({verdict} 128 MB),",
        f"{(largest['peak_kb'] - largest['before_kb']) / 1024:.0f} MB over the function's init. What the export "
        "holds at once is a page (10,000 codes),",
        "the part being filled and the copy of it sent (8 MiB each) and one byte per position of the shard",
        "being read, whatever the number of rows.",
    ]
    return out
