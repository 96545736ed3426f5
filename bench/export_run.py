"""One export job run by the export worker's handler in this process, as Lambda runs it, measured.

`python -m bench.export_run JOB_ID OUT [tracemalloc]`: loads functions/export_worker/app.py (the function's
init), records the process's peak resident set so far, hands the handler the job's SQS message with 15 minutes
left, and writes to OUT the peak resident set after it (VmHWM), and with `tracemalloc` the peak of the
Python memory allocated while the handler ran. Nothing else is imported first, so the figures are the
function's own.
"""

from __future__ import annotations

import importlib.util
import json
import resource
import sys
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class _Context:
    function_name = "ExportWorkerFunction"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ExportWorkerFunction"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.deadline = time.monotonic() + 900

    def get_remaining_time_in_millis(self) -> int:
        return int((self.deadline - time.monotonic()) * 1000)


def peak_kb() -> int:
    """This process's peak resident set so far, in KB: Linux's VmHWM (the high-water mark of this very
    program's memory; `ru_maxrss` would also carry the parent's, whose copy the process was forked from)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(job_id: str, out: str, traced: bool) -> None:
    spec = importlib.util.spec_from_file_location(
        "export_worker_app", ROOT / "functions/export_worker/app.py"
    )
    assert spec and spec.loader
    app: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    before_kb = peak_kb()
    # The worker's sample event (events/, as `sam local invoke` sends it), carrying this job.
    event = json.loads((ROOT / "events" / "export-requested.json").read_text())
    event["Records"][0]["body"] = json.dumps({"job_id": job_id})
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    answer = app.lambda_handler(event, _Context())
    seconds = time.perf_counter() - started
    python_peak = tracemalloc.get_traced_memory()[1] if traced else None
    peak = peak_kb()
    result = {
        "answer": answer,
        "seconds": seconds,
        "before_kb": before_kb,
        "peak_kb": peak,
        "python_peak_bytes": python_peak,
    }
    Path(out).write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], len(sys.argv) > 3 and sys.argv[3] == "tracemalloc")
