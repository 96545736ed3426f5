"""Cold start: each function's whole-process import, as Lambda imports its handler, against two baselines
measured in the same run (`python -m bench.coldstart` runs this part alone).

Each sample is a fresh interpreter that imports one thing and reports the CPU time the import took
(`time.process_time`, so a machine busy with other work slows the sample's wall time, not its figure);
the figure is the least of `RUNS` samples, taken in turns so drift hits every target alike. A handler is
imported as Lambda does: `import app` from the function's folder, the layer on the path (/opt/python).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LAYER = ROOT / "layers" / "shared" / "python"
FUNCTIONS = ("coupons", "claim", "redeem", "gift", "imports", "reminders", "publisher")
RUNS = int(os.environ.get("BENCH_COLDSTART_RUNS", "9"))

BASELINES = {
    # A bare Powertools REST resolver plus boto3.
    "bare": (
        "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\n"
        "import boto3\n"
        "app = APIGatewayRestResolver()\n"
    ),
    # The full Powertools stack: the resolver with validation, Tracer, Logger, Metrics and one boto3 client.
    "full": (
        "from aws_lambda_powertools import Logger, Metrics, Tracer\n"
        "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\n"
        "import boto3\n"
        "app = APIGatewayRestResolver(enable_validation=True)\n"
        "tracer, logger, metrics = Tracer(), Logger(), Metrics()\n"
        "client = boto3.client('dynamodb')\n"
    ),
}

_PROBE = (
    "import json, time\n"
    "started = time.process_time()\n"
    "exec(compile({code!r}, 'probe', 'exec'), {{}})\n"
    "print(json.dumps({{'cpu': time.process_time() - started}}))\n"
)


def _environment(tracing: bool, function_dir: Path | None) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("POWERTOOLS_", "AWS_", "_X_AMZN", "LAMBDA_")) and key != "PYTHONPATH"
    }
    environment.update(
        PYTHONPATH=str(LAYER),
        PYTHONDONTWRITEBYTECODE="1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        POWERTOOLS_SERVICE_NAME="bench",
        POWERTOOLS_METRICS_NAMESPACE="Coupons",
        POWERTOOLS_TRACE_DISABLED="false" if tracing else "true",
    )
    if tracing:  # what Lambda sets: with it, Powertools' tracer is on and patches botocore
        environment["LAMBDA_TASK_ROOT"] = str(function_dir or ROOT)
    return environment


def sample(target: str, tracing: bool) -> float:
    """Seconds of CPU one fresh process spends importing `target` (a function's name or a baseline's)."""
    function_dir = ROOT / "functions" / target if target in FUNCTIONS else None
    code = "import app\n" if function_dir else BASELINES[target]
    run = subprocess.run(
        [sys.executable, "-c", _PROBE.format(code=code)],
        cwd=function_dir or ROOT,
        env=_environment(tracing, function_dir),
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(f"importing {target} failed:\n{run.stderr[-2000:]}")
    return float(json.loads(run.stdout.strip().splitlines()[-1])["cpu"])


def measure(runs: int = RUNS) -> dict[str, Any]:
    """Least CPU seconds per target and tracing mode, and each function's ratio to its baseline: the bare
    resolver plus boto3 with tracing off, the full Powertools stack with tracing on."""
    targets = [*BASELINES, *FUNCTIONS]
    samples: dict[tuple[str, bool], list[float]] = {
        (t, tracing): [] for t in targets for tracing in (False, True)
    }
    for _ in range(runs):
        for target, tracing in samples:
            samples[(target, tracing)].append(sample(target, tracing))
    least = {key: min(found) for key, found in samples.items()}
    rows = [
        {
            "target": target,
            "off": least[(target, False)],
            "on": least[(target, True)],
            "vs_bare": least[(target, False)] / least[("bare", False)],
            "vs_full": least[(target, True)] / least[("full", True)],
        }
        for target in targets
    ]
    return {"runs": runs, "python": sys.version.split()[0], "rows": rows}


def table(measured: dict[str, Any]) -> list[str]:
    lines = [
        "| imports | tracing off, ms CPU | vs bare | tracing on, ms CPU | vs full |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in measured["rows"]:
        name = {"bare": "baseline: bare resolver + boto3", "full": "baseline: full Powertools stack"}.get(
            row["target"], f"`functions/{row['target']}`"
        )
        lines.append(
            f"| {name} | {row['off'] * 1000:.0f} | {row['vs_bare']:.2f} | {row['on'] * 1000:.0f} | "
            f"{row['vs_full']:.2f} |"
        )
    return lines


# Before issue 13 (commit b6121be), measured in one run beside the code after it (`python -m bench.coldstart`
# on each tree, interleaved): ms of CPU with tracing off, its ratio to that run's bare baseline, ms with
# tracing on, its ratio to that run's full stack. Kept here because `make bench` rewrites
# docs/benchmarks.md and can no longer import the code of then.
BEFORE: dict[str, tuple[float, float, float, float]] = {
    "coupons": (1195, 2.66, 1038, 1.32),
    "claim": (1188, 2.64, 931, 1.19),
    "redeem": (1285, 2.86, 1099, 1.40),
    "gift": (1032, 2.29, 932, 1.19),
    "imports": (1103, 2.45, 909, 1.16),
    "reminders": (946, 2.10, 798, 1.02),
    "publisher": (825, 1.83, 720, 0.92),
}


def section(measured: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "## Cold start",
        "",
        "Each function's whole-process import, as Lambda imports its handler (`import app` from the function's",
        "folder, the layer on the path), in a fresh interpreter: CPU milliseconds (`time.process_time`, so a",
        f"busy machine does not inflate them), the least of {measured['runs']} runs taken in turns, "
        f"Python {measured['python']}.",
        "Baselines in the same run: a bare Powertools `APIGatewayRestResolver` plus `import boto3` (against",
        "tracing off), and the full Powertools stack: the resolver with validation, `Tracer`, `Logger`,",
        "`Metrics` and one boto3 client (against tracing on, as deployed).",
        "",
        *table(measured),
        "",
        "What remains over the bare baseline with tracing off: pydantic and the routes' models, the OpenAPI",
        "parameter types the handlers' signatures need, and the layer's own modules (`secret` loads",
        "Powertools' parameters utility at import).",
    ]
    if BEFORE:
        lines += [
            "",
            "Before issue 13 (commit b6121be), measured in one run beside the code after it and that run's",
            "baselines:",
            "",
            "| function | before, tracing off | vs bare | before, tracing on | vs full |",
            "| --- | --- | --- | --- | --- |",
        ]
        for name, (off, vs_bare, on, vs_full) in BEFORE.items():
            lines.append(f"| `functions/{name}` | {off:.0f} | {vs_bare:.2f} | {on:.0f} | {vs_full:.2f} |")
    return lines


if __name__ == "__main__":
    print("\n".join(section(measure())))
