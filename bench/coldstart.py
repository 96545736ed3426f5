"""Cold start: each function's whole-process import, as Lambda imports its handler, and that import plus the
function's first request, against baselines measured in the same run (`python -m bench.coldstart` runs this
part alone, on an emulator of its own).

Each sample is a fresh interpreter that imports one thing, then hands one request to its handler, and
reports the CPU time both took (`time.process_time`, so a machine busy with other work slows the sample's
wall time, not its figure; the emulator answers from another process or thread, and is not counted); the
figure is the least of `RUNS` samples, taken in turns so drift hits every target alike. A handler is
imported as Lambda does: `import app` from the function's folder, the layer on the path (/opt/python).

The import is what a deployment sees at init; import plus the first request is what the first customer of
a new execution environment waits for. Whatever a function leaves out of its import (models built on first
use, validation set up by the first request, clients made on first use) shows in the second figure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LAYER = ROOT / "layers" / "shared" / "python"
EVENTS = ROOT / "events"
RUNS = int(os.environ.get("BENCH_COLDSTART_RUNS", "9"))
TRACE_HEADER = "Root=1-6744a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"

# Each function's first request: a sample of events/ as API Gateway, SQS, the schedule or the stream sends
# it. Every sample gets its own Idempotency-Key, and a claim its own customer, so each is a first of its kind
# (a coupon created, a coupon claimed), on a coupon made for the run where a sample names one.
REQUESTS = {
    "coupons": "coupons-create.json",
    "claim": "claim-create.json",
    "redeem": "checkout-quote.json",
    "gift": "gift-create.json",
    "imports": "imports-list.json",
    "stores": "coupons-list.json",  # as GET /stores: the merchant's stores, listed
    "import_worker": "import-uploaded.json",
    "reminders": "reminders-schedule.json",
    "publisher": "publisher-stream.json",
    "stock": "publisher-stream.json",  # a batch of the table's stream, as the stock watch gets it too
    "orders": "coupons-list.json",  # as GET /orders/{orderId}: an order never reported, a 404
    "exports": "export-create.json",
    "figures": "coupons-list.json",  # as GET /merchant/overview: the merchant's coupons by a key figure
    "export_worker": "export-requested.json",
    "aggregator": "aggregator-queue.json",
}
# A sample sent to another route of the same shape (a merchant's GET without parameters).
PATHS = {"stores": "/stores", "orders": "/orders/bench-order-1", "figures": "/merchant/overview"}
FUNCTIONS = tuple(REQUESTS)

BASELINES = {
    # A bare Powertools REST resolver plus boto3; its first request reads the claim sample's body and gets
    # one item with a client made on first use, answering JSON.
    "bare": (
        "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\n"
        "import boto3\n"
        "app = APIGatewayRestResolver()\n"
        "import os\n"
        "@app.post('/coupons/<couponId>/claims')\n"
        "def claim(couponId):\n"
        "    note = (app.current_event.json_body or {}).get('note')\n"
        "    key = {'PK': {'S': 'COUPON#' + couponId}, 'SK': {'S': 'COUPON'}}\n"
        "    item = boto3.client('dynamodb').get_item(TableName=os.environ['TABLE_NAME'], Key=key).get('Item')\n"
        "    return {'coupon_id': couponId, 'found': item is not None, 'note': note}, 201\n"
        "handler = app.resolve\n"
    ),
    # The full Powertools stack: the resolver with validation, Tracer, Logger, Metrics and one boto3 client;
    # its first request, the same, through a validated pydantic body and answer, traced, logged and counted.
    "full": (
        "from aws_lambda_powertools import Logger, Metrics, Tracer\n"
        "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\n"
        "import boto3\n"
        "app = APIGatewayRestResolver(enable_validation=True)\n"
        "tracer, logger, metrics = Tracer(), Logger(), Metrics()\n"
        "client = boto3.client('dynamodb')\n"
        "import os\n"
        "from typing import Annotated\n"
        "from aws_lambda_powertools.event_handler.openapi.params import Body\n"
        "from pydantic import BaseModel\n"
        "class Note(BaseModel):\n"
        "    note: str | None = None\n"
        "class Claimed(BaseModel):\n"
        "    coupon_id: str\n"
        "    found: bool\n"
        "@app.post('/coupons/<couponId>/claims')\n"
        "@tracer.capture_method\n"
        "def claim(couponId: str, body: Annotated[Note | None, Body()] = None) -> Claimed:\n"
        "    key = {'PK': {'S': 'COUPON#' + couponId}, 'SK': {'S': 'COUPON'}}\n"
        "    item = client.get_item(TableName=os.environ['TABLE_NAME'], Key=key).get('Item')\n"
        "    return Claimed(coupon_id=couponId, found=item is not None)\n"
        "@logger.inject_lambda_context\n"
        "@tracer.capture_lambda_handler\n"
        "@metrics.log_metrics\n"
        "def handler(event, context):\n"
        "    return app.resolve(event, context)\n"
    ),
}
# Where the baselines' code ends its import (what follows defines the route and the entry point).
_BASELINE_IMPORT_ENDS = "import os\n"

_PROBE = (
    "import json, sys, time\n"
    "class Context:\n"
    "    function_name, memory_limit_in_mb, aws_request_id = 'bench', 512, 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef'\n"
    "    invoked_function_arn = 'arn:aws:lambda:us-east-1:123456789012:function:bench'\n"
    "    def get_remaining_time_in_millis(self):\n"
    "        return 10_000\n"
    "event = json.loads(sys.stdin.read())\n"
    "scope = {{}}\n"
    "started = time.process_time()\n"
    "exec(compile({imports!r}, 'probe', 'exec'), scope)\n"
    "imported = time.process_time()\n"
    "exec(compile({entry!r}, 'probe', 'exec'), scope)\n"
    "reply = scope['handler'](event, Context())\n"
    "answered = time.process_time()\n"
    "reply = reply or {{}}\n"
    "status = reply.get('statusCode', 'failures: %d' % len(reply.get('batchItemFailures', [])))\n"
    "print(json.dumps({{'import': imported - started, 'first': answered - started, 'status': status,"
    " 'body': str(reply.get('body'))[:2000]}}))\n"
)


def _environment(tracing: bool, function_dir: Path | None, stack: dict[str, str]) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("POWERTOOLS_", "AWS_", "_X_AMZN", "LAMBDA_")) and key != "PYTHONPATH"
    }
    environment.update(stack)
    environment.update(
        PYTHONPATH=str(LAYER),
        PYTHONDONTWRITEBYTECODE="1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        POWERTOOLS_SERVICE_NAME="bench",
        POWERTOOLS_METRICS_NAMESPACE="Coupons",
        POWERTOOLS_LOG_LEVEL="WARNING",
        POWERTOOLS_TRACE_DISABLED="false" if tracing else "true",
    )
    if tracing:  # what Lambda sets: with them, Powertools' tracer is on, patches botocore and sends segments
        environment["LAMBDA_TASK_ROOT"] = str(function_dir or ROOT)
        environment["_X_AMZN_TRACE_ID"] = TRACE_HEADER
    return environment


def _event(target: str, coupon_id: str | None) -> dict[str, Any]:
    sample_file = REQUESTS.get(target.removesuffix("-seed"), "claim-create.json")
    event: dict[str, Any] = json.loads((EVENTS / sample_file).read_text())
    headers = event.get("headers") or {}
    if "Idempotency-Key" in headers:
        key = f"bench-{uuid.uuid4().hex}"
        headers["Idempotency-Key"] = key
        event.get("multiValueHeaders", {})["Idempotency-Key"] = [key]
    claims = (event.get("requestContext") or {}).get("authorizer", {}).get("claims")
    if target == "claim" and claims:
        claims["sub"] = f"bench-{uuid.uuid4().hex[:12]}"
    if target in PATHS:
        event["path"] = event["resource"] = PATHS[target]
        event["requestContext"].update(path=f"/v1{PATHS[target]}", resourcePath=PATHS[target])
    parameters = event.get("pathParameters") or {}
    if coupon_id and "couponId" in parameters:
        old, parameters["couponId"] = parameters["couponId"], coupon_id
        event["path"] = event["path"].replace(old, coupon_id)
        event["requestContext"]["path"] = event["requestContext"]["path"].replace(old, coupon_id)
    if target == "coupons-seed":  # the run's coupon: enough inventory for every sample's claim
        body = json.loads(event["body"])
        body["codes"]["inventory"] = 10_000
        event["body"] = json.dumps(body)
    return event


def sample(target: str, tracing: bool, stack: dict[str, str], coupon_id: str | None = None) -> dict[str, Any]:
    """CPU seconds one fresh process spends importing `target` (a function's name or a baseline's), and
    importing it then answering its first request; the request's status."""
    function = target.removesuffix("-seed")
    function_dir = ROOT / "functions" / function if function in FUNCTIONS else None
    if function_dir:
        imports, entry = "import app\n", "handler = app.lambda_handler\n"
    else:
        imports, _, rest = BASELINES[target].partition(_BASELINE_IMPORT_ENDS)
        entry = _BASELINE_IMPORT_ENDS + rest
    run = subprocess.run(
        [sys.executable, "-c", _PROBE.format(imports=imports, entry=entry)],
        input=json.dumps(_event(target, coupon_id)),
        cwd=function_dir or ROOT,
        env=_environment(tracing, function_dir, stack),
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(f"importing {target} failed:\n{run.stderr[-2000:]}")
    found: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return found


def measure(stack: dict[str, str], runs: int = RUNS) -> dict[str, Any]:
    """Least CPU seconds per target and tracing mode, for the import and for the import plus the first
    request, and each function's ratios to its baseline: the bare resolver plus boto3 with tracing off, the
    full Powertools stack with tracing on (each with the same first request, for the second figure)."""
    seeded = sample("coupons-seed", False, stack)
    assert seeded["status"] == 201, seeded
    coupon_id = json.loads(seeded["body"])["coupon_id"]
    targets = [*BASELINES, *FUNCTIONS]
    samples: dict[tuple[str, bool], list[dict[str, Any]]] = {
        (t, tracing): [] for t in targets for tracing in (False, True)
    }
    for _ in range(runs):
        for target, tracing in samples:
            samples[(target, tracing)].append(sample(target, tracing, stack, coupon_id))
    rows = least_rows(samples, targets)
    return {"runs": runs, "python": sys.version.split()[0], "rows": rows, "breakdown": breakdown(stack, runs)}


def least_rows(
    samples: dict[tuple[str, bool], list[dict[str, Any]]], targets: list[str]
) -> list[dict[str, Any]]:
    """Per target: the least of its samples for each figure and tracing mode, and their ratios to the
    baselines' least (the bare resolver with tracing off, the full stack with tracing on)."""
    least = {
        (key, figure): min(s[figure] for s in found)
        for key, found in samples.items()
        for figure in ("import", "first")
    }
    rows = []
    for target in targets:
        row: dict[str, Any] = {"target": target, "status": samples[(target, False)][-1]["status"]}
        for figure in ("import", "first"):
            off, on = least[((target, False), figure)], least[((target, True), figure)]
            row[figure] = {
                "off": off,
                "on": on,
                "vs_bare": off / least[(("bare", False), figure)],
                "vs_full": on / least[(("full", True), figure)],
            }
        rows.append(row)
    return rows


# What the claim function's cold start is made of, in the order it pays for it: each step imports what the one
# before did and more, in one process per sample like the rest (in the claim function's folder, tracing off);
# a step's cost is its least CPU less the step before's. The bare baseline is measured beside them, for scale.
BREAKDOWN = (
    (
        "Powertools' REST resolver, Logger and Metrics",
        "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\n"
        "from aws_lambda_powertools import Logger, Metrics\n",
    ),
    ("the function's import: the API module, the resolver, the routes registered", "import app\n"),
    ("pydantic, with one model", "import pydantic\nclass One(pydantic.BaseModel):\n    one: int\n"),
    (
        "the routes' models and the table's items, classes made, none built",
        "import coupon_service.items, coupon_service.models.claims\n",
    ),
    (
        "the claim service, the store, boto3 and the rest of the layer it uses",
        "import coupon_service.claims\n",
    ),
    (
        "the routes, validation and every model built (what the SnapStart hook does)",
        "import coupon_service.api\ncoupon_service.api.build_everything(app.app)\n",
    ),
)


def breakdown(stack: dict[str, str], runs: int = RUNS) -> list[tuple[str, float, float]]:
    """The bare baseline's import, then each step of BREAKDOWN: its name, the least CPU seconds of the
    import up to it (tracing off), and what it adds to the step before."""
    bare = BASELINES["bare"].partition(_BASELINE_IMPORT_ENDS)[0]
    codes, code = [bare], ""
    for _, more in BREAKDOWN:
        code += more
        codes.append(code)
    function_dir = ROOT / "functions" / "claim"
    least = [float("inf")] * len(codes)
    for _ in range(runs):
        for index, imports in enumerate(codes):
            run = subprocess.run(
                [sys.executable, "-c", _PROBE.format(imports=imports, entry="handler = lambda e, c: {}\n")],
                input="null",
                cwd=function_dir,
                env=_environment(False, function_dir, stack),
                capture_output=True,
                text=True,
                check=True,
            )
            found = json.loads(run.stdout.strip().splitlines()[-1])
            least[index] = min(least[index], found["import"])
    names = ["a bare resolver + boto3 (the baseline, for scale)", *(name for name, _ in BREAKDOWN)]
    return [(name, least[i], least[i] - (least[i - 1] if i > 1 else 0.0)) for i, name in enumerate(names)]


def _name(target: str) -> str:
    return {"bare": "baseline: bare resolver + boto3", "full": "baseline: full Powertools stack"}.get(
        target, f"`functions/{target}`"
    )


def table(measured: dict[str, Any], figure: str) -> list[str]:
    first = figure == "first"
    lines = [
        f"| {'function (first request, its answer)' if first else 'imports'} | tracing off, ms CPU | vs bare | "
        "tracing on, ms CPU | vs full |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in measured["rows"]:
        name = _name(row["target"])
        if first:
            request = REQUESTS.get(row["target"], "claim-create.json (one GetItem)")
            name += f" ({request}: {row['status']})"
        found = row[figure]
        lines.append(
            f"| {name} | {found['off'] * 1000:.0f} | {found['vs_bare']:.2f} | {found['on'] * 1000:.0f} | "
            f"{found['vs_full']:.2f} |"
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


# Before each route loaded what it calls on its first request (commit 3aeed09: the function's import made every
# route's models and imported pydantic, the services, the store and boto3), measured in one run beside the code
# after it (both trees' samples interleaved, the baselines of that run): per function, for the import and for
# the import plus the first request, ms of CPU with tracing off, its ratio to the bare baseline, ms with
# tracing on, its ratio to the full stack.
BEFORE_LAZY: dict[str, dict[str, tuple[float, float, float, float]]] = {
    "coupons": {"import": (543, 1.92, 624, 1.17), "first": (1001, 2.43, 1071, 1.95)},
    "claim": {"import": (535, 1.89, 661, 1.23), "first": (851, 2.06, 1042, 1.90)},
    "redeem": {"import": (628, 2.23, 706, 1.32), "first": (755, 1.83, 847, 1.54)},
    "gift": {"import": (556, 1.97, 683, 1.28), "first": (810, 1.97, 898, 1.64)},
    "imports": {"import": (692, 2.45, 663, 1.24), "first": (845, 2.05, 803, 1.46)},
    "stores": {"import": (456, 1.62, 528, 0.99), "first": (609, 1.48, 644, 1.17)},
    "import_worker": {"import": (511, 1.81, 536, 1.00), "first": (727, 1.76, 794, 1.45)},
    "reminders": {"import": (362, 1.28, 550, 1.03), "first": (559, 1.36, 772, 1.41)},
    "publisher": {"import": (357, 1.27, 549, 1.02), "first": (494, 1.20, 690, 1.26)},
    "stock": {"import": (389, 1.38, 486, 0.91), "first": (398, 0.97, 495, 0.90)},
    "orders": {"import": (544, 1.93, 593, 1.11), "first": (677, 1.64, 712, 1.30)},
    "exports": {"import": (703, 2.49, 676, 1.26), "first": (976, 2.37, 894, 1.63)},
    "figures": {"import": (658, 2.33, 766, 1.43), "first": (830, 2.01, 922, 1.68)},
    "export_worker": {"import": (644, 2.28, 698, 1.30), "first": (763, 1.85, 812, 1.48)},
    "aggregator": {"import": (603, 2.14, 635, 1.19), "first": (705, 1.71, 738, 1.34)},
}


def _goals(measured: dict[str, Any], figure: str) -> list[str]:
    """Which functions meet issue 13's goals in this run, for `figure`: at most 1.3 times the bare baseline
    with tracing off, at most 1.0 times the full stack with tracing on."""
    functions = [row for row in measured["rows"] if row["target"] in FUNCTIONS]
    lines = []
    for key, limit, mode in (("vs_bare", 1.3, "tracing off"), ("vs_full", 1.0, "tracing on")):
        met = [f"`{r['target']}`" for r in functions if r[figure][key] <= limit]
        missed = [f"`{r['target']}` {r[figure][key]:.2f}" for r in functions if r[figure][key] > limit]
        baseline = "bare" if key == "vs_bare" else "full"
        lines.append(
            f"- {mode}, at most {limit:.1f}x {baseline}: {len(met)} of {len(functions)} functions"
            + (f" ({', '.join(met)})" if met else "")
            + (f"; over: {', '.join(missed)}" if missed else "")
        )
    return lines


def section(measured: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "## Cold start",
        "",
        "Each function's whole-process import, as Lambda imports its handler (`import app` from the function's",
        "folder, the layer on the path), in a fresh interpreter: CPU milliseconds (`time.process_time`: a busy",
        "machine inflates them far less than wall time, and every target of a run alike), the least of",
        f"{measured['runs']} runs taken in turns, Python {measured['python']}.",
        "Baselines in the same run: a bare Powertools `APIGatewayRestResolver` plus `import boto3` (against",
        "tracing off), and the full Powertools stack: the resolver with validation, `Tracer`, `Logger`,",
        "`Metrics` and one boto3 client (against tracing on, as deployed).",
        *([measured["note"]] if measured.get("note") else []),
        "",
        *table(measured, "import"),
        "",
        "Issue 13's goals, for the import, in this run:",
        "",
        *_goals(measured, "import"),
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
    lines += [
        "",
        "### Import plus the first request",
        "",
        "What the first customer of a new execution environment waits for (the CPU of it): the same",
        "processes, after the import, hand the function one request, a sample of `events/` against the",
        "emulator (a coupon made for the run where the sample names one; each sample its own Idempotency-Key,",
        "each claim its own customer, so every create and claim is a real one). The baselines answer the claim",
        "sample with one `GetItem` (the bare resolver with a client made then; the full stack through a",
        "validated pydantic body and answer, traced, logged and counted). A 404 is a sample naming nothing",
        "stored: the request is read, validated and looked up, and answered in the error shape. What a",
        "function leaves out of its import (its models, validation, clients) is paid here.",
        "",
        *table(measured, "first"),
        "",
        "The same goals held against the import plus the first request:",
        "",
        *_goals(measured, "first"),
        *_before_lazy(measured),
        "",
        "### What the claim function's cold start is made of",
        "",
        "Each step imports what the one before did and more, in the order the function pays for it (tracing",
        "off, the least of the same number of runs): its import, then what its routes' first requests load,",
        "then what they build; a step's cost is what it adds to the step before, and its share of the bare",
        "baseline (measured beside them, for scale):",
        "",
        "| step | ms CPU, cumulative | adds, ms | adds, of bare |",
        "| --- | --- | --- | --- |",
    ]
    bare = measured["breakdown"][0][1]
    for name, cumulative, added in measured["breakdown"]:
        lines.append(f"| {name} | {cumulative * 1000:.0f} | {added * 1000:.0f} | {added / bare:.2f} |")
    lines += ["", *EXPLAINED]
    return lines


def _before_lazy(measured: dict[str, Any]) -> list[str]:
    """Each function's import and import plus first request beside BEFORE_LAZY's, with their ratios."""
    if not BEFORE_LAZY:
        return []
    lines = [
        "",
        "### Before and after routes loaded what they call on first use",
        "",
        "Before: commit 3aeed09, whose import made every route's models and imported pydantic, the services,",
        "the store and boto3; measured once, its samples interleaved with this code's, each against that run's",
        "baselines (its ratios compare across runs; its milliseconds less so). ms of CPU (ratio):",
        "",
        "| function | tracing | import, before | import, now | import + first request, before | "
        "import + first request, now |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    rows = {row["target"]: row for row in measured["rows"]}
    notes = [
        "",
        "With tracing off the import falls to about a third of before or less for every function; with",
        "tracing on (the tracer and its SDK stay at init) to about two thirds or less. The import plus the",
        "first request is within the noise of before for most (least of few samples on a shared machine: rows within about",
        "a tenth are not told apart); for some stream and queue functions (reminders, import_worker,",
        "export_worker, aggregator with tracing on) it came out a tenth to a quarter higher in this run, not",
        "explained yet. The exports sample answers 500 in both trees (the bench's stack lacks what an export",
        "request needs), so its row measures a refused request.",
    ]
    for name, before in BEFORE_LAZY.items():
        now = rows[name]
        for mode, (ms, ratio, key) in (("off (vs bare)", (0, 1, "off")), ("on (vs full)", (2, 3, "on"))):
            ratio_key = "vs_bare" if key == "off" else "vs_full"
            cells = [
                f"{before['import'][ms]:.0f} ({before['import'][ratio]:.2f})",
                f"{now['import'][key] * 1000:.0f} ({now['import'][ratio_key]:.2f})",
                f"{before['first'][ms]:.0f} ({before['first'][ratio]:.2f})",
                f"{now['first'][key] * 1000:.0f} ({now['first'][ratio_key]:.2f})",
            ]
            lines.append(f"| `functions/{name}` | {mode} | {' | '.join(cells)} |")
    return lines + notes


EXPLAINED = [
    "A function's import registers its routes and loads none of what they call (docs/decisions.md): no",
    "pydantic, no model, no service, no store or boto3, no QR code, no X-Ray SDK with tracing off. Each route's",
    "first request imports what that route uses (its models and service, pydantic and the store with them),",
    "builds the models and Powertools' validation, and makes the DynamoDB client; the functions' other routes",
    "load nothing. So the import is under both goals for every function, and the first request pays what",
    "moved: the import plus the first request, what a new environment's first customer waits for, stays",
    "above both goals (it was before too). Under SnapStart (claim, redeem) the before-snapshot hook imports",
    "and builds all of it into the snapshot, so a resumed environment pays none. On a busy machine a step",
    "within the noise can come out negative, and least-of-few figures move by a tenth between runs (the",
    "baselines, the same code in both trees, did).",
]


def stack_environment(stack: Any, endpoint: str) -> dict[str, str]:
    """What a function's process needs to reach the emulator's copy of the stack."""
    from devstack.emulator import CLIENT_ENVIRONMENT

    return {
        **stack.environment(),
        **CLIENT_ENVIRONMENT,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "PUBLIC_BASE_URL": stack.environment().get("PUBLIC_BASE_URL") or "http://localhost/v1",
    }


def main() -> None:
    import logging

    from devstack.emulator import Emulator
    from devstack.provision import drop, provision

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    os.environ.update(
        AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local"
    )
    emulator = Emulator().start()
    stack = provision(emulator.url, "coldstart")
    try:
        print("\n".join(section(measure(stack_environment(stack, emulator.url)))))
    finally:
        drop(stack)
        emulator.stop()


if __name__ == "__main__":
    main()
