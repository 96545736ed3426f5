"""`make bench`: run the benchmarks on the serialized emulator and write docs/benchmarks.md."""

from __future__ import annotations

import logging
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from devstack.emulator import CLIENT_ENVIRONMENT, Emulator
from devstack.provision import REGION, Stack, drop, provision

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def start() -> tuple[Emulator, Stack]:
    """The emulator and the stack every section runs on."""
    os.environ.update(
        AWS_DEFAULT_REGION=REGION,
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_LOG_LEVEL="WARNING",
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    emulator = Emulator().start()
    os.environ["AWS_ENDPOINT_URL"] = emulator.url
    os.environ.update(CLIENT_ENVIRONMENT)
    stack = provision(emulator.url, "bench")
    os.environ.update(stack.environment())
    return emulator, stack


def one_section(name: str, size: int | None) -> None:
    """`python -m bench grants [customers]`: one section alone, printed (docs/benchmarks.md untouched); `claims`
    prints the claims' throughput rows."""
    emulator, stack = start()
    from bench import center, grants, issuance

    try:
        if name == "center":
            print("\n".join(center.section(center.measure())))
            return
        if name == "issuance":
            print("\n".join(issuance.section(issuance.measure())))
            return
        if name == "points":
            from bench import points

            print("\n".join(points.section(points.measure())))
            return
        if name == "claims":
            from bench import claims

            for mode in ("random_on_claim", "generated"):
                rate = claims.throughput(mode, size or 600)
                print(f"| {mode} | {rate['ours']:.0f} | {rate['floor']:.0f} | {rate['ratio']:.2f} |")
            return
        if name != "grants":
            raise SystemExit(
                f"no section {name!r} runs alone (claims, grants, center, issuance and points do)"
            )
        grants.use_stack(stack)
        print("\n".join(grants.section(grants.measure(size or grants.SIZE))))
    finally:
        drop(stack)
        emulator.stop()


def main() -> None:
    if len(sys.argv) > 1:
        one_section(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else None)
        return
    emulator, stack = start()
    from bench import (
        center,
        claims,
        coldstart,
        exports,
        figures,
        grants,
        imports,
        issuance,
        points,
        reminders,
    )

    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` on {datetime.now(UTC):%Y-%m-%d} ({platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}), against the serialized emulator. "
        "Ratios compare with a floor measured in the same run; absolute rates on the emulator say little "
        "about AWS.",
        "",
        "## Claims",
        "",
        "DynamoDB requests and write units per successful claim (write units from item sizes by DynamoDB's",
        "sizing rules; a transactional write costs two per KB):",
        "",
        "| code mode | requests per claim | write requests | WCU shard | WCU holder | WCU claim | WCU |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    costs = {}
    for mode in ("random_on_claim", "generated"):
        cost = claims.per_claim_cost(mode)
        costs[mode] = cost
        requests = ", ".join(f"{op} {n:.2f}" for op, n in sorted(cost["requests"].items()))
        lines.append(
            f"| {mode} | {requests} | {cost['write_requests']:.2f} | {cost['wcu']['shard']} | "
            f"{cost['wcu']['holder']} | {cost['wcu']['claim']} | {cost['wcu_total']} |"
        )
    lines += [
        "",
        f"Throughput on the emulator, {claims.THREADS} threads, against one bare conditional `UpdateItem`",
        "decrement per claim on the same table:",
        "",
        "| code mode | claims/s | floor/s | ratio |",
        "| --- | --- | --- | --- |",
    ]
    for mode in ("random_on_claim", "generated"):
        rate = claims.throughput(mode)
        lines.append(f"| {mode} | {rate['ours']:.0f} | {rate['floor']:.0f} | {rate['ratio']:.2f} |")
    lines += [
        "",
        "Claim ceiling of one coupon on DynamoDB: every claim writes one of the coupon's shards, each its",
        f"own partition (about {claims.PARTITION_WCU} WCU/s); the holder and claim items are keyed by customer",
        "and claim, so they spread. Ceiling = shards × 1,000 / (WCU a claim spends on its shard):",
        "",
        "| shards | random_on_claim claims/s | generated / imported claims/s |",
        "| --- | --- | --- |",
    ]
    rows_random = claims.ceiling_rows(costs["random_on_claim"])
    rows_pool = claims.ceiling_rows(costs["generated"])
    for (n, random_rate), (_, pool_rate) in zip(rows_random, rows_pool, strict=True):
        lines.append(f"| {n} | {random_rate:,} | {pool_rate:,} |")
    lines += [
        "",
        "Not in the WCU columns: each claim item is also written to GSI1 (wallet), GSI2 (code lookup) and GSI4",
        "(claim records), one write unit each at this item size. GSI4's partition is per coupon shard, so it",
        "takes one unit per claim on the same shard: below the shard's own cost for `random_on_claim` (two",
        "units, transactional) and equal to it for code pools; neither lowers the ceilings above.",
    ]
    lines += [
        "",
        "## Reminder runs",
        "",
        "Items read by one run (counted from DynamoDB's responses: `ScannedCount`, items got) per item due,",
        "1% of the claimed coupons due since the previous run, beside a run that scans the table for due",
        "coupons, on the same data in the same run:",
        "",
        "| claimed | due | items read, ours | per due | items read, scan | per due | seconds, ours | seconds, scan |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for claimed in (10_000, 100_000):
        r = reminders.measure(emulator.url, claimed)
        lines.append(
            f"| {claimed:,} | {r['due']:,} | {r['ours_read']:,} | {r['ours_per_due']:.3f} | "
            f"{r['scan_read']:,} | {r['scan_per_due']:.0f} | {r['ours_seconds']:.2f} | {r['scan_seconds']:.2f} |"
        )
    lines += [
        "",
        "Ours reads the due index entries and the checkpoint, whatever the table holds; the scan reads every",
        "item. Seconds are emulator seconds (the run also writes one update per due coupon).",
    ]
    lines += [
        "",
        "## Imports",
        "",
        "One file of distinct codes into a coupon of 4 shards (the emulator in a process of its own, so the",
        "peak is the import's own Python memory, measured with `tracemalloc`). The floor writes the same",
        "registry items and pool chunks with plain `BatchWriteItem`, in the same run. Write units by",
        "DynamoDB's sizing rules (transactional writes count double):",
        "",
        "| codes | seconds | requests per code | WCU per code | peak MB | floor seconds | floor requests per code "
        "| floor WCU per code | time vs floor |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in imports.measure_all():
        lines.append(
            f"| {r['codes']:,} | {r['seconds']:.1f} | {r['requests_per_code']:.4f} | {r['units_per_code']:.2f} | "
            f"{r['peak_mb']:.1f} | {r['floor_seconds']:.1f} | {r['floor_requests_per_code']:.4f} | "
            f"{r['floor_units_per_code']:.2f} | {r['ratio']:.2f} |"
        )
    lines += [
        "",
        "The import reads the file twice (a whole-file check first, so a bad file writes nothing), puts",
        "registry items conditionally, 100 per transaction (two write units each, which is the price of",
        "telling new, resumed, duplicate and existing codes apart without a read), and commits each batch",
        "of 500 lines with its pool chunks and checkpoint. Peak memory stays flat with the file's size.",
    ]
    lines += ["", *exports.lines()]
    lines += figures.section(figures.measure())
    lines += issuance.section(issuance.measure())
    grants.use_stack(stack)
    lines += ["", *grants.section(grants.measure())]
    lines += center.section(center.measure())
    lines += points.section(points.measure())
    lines += coldstart.section(coldstart.measure(coldstart.stack_environment(stack, emulator.url)))
    DOC.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    drop(stack)
    emulator.stop()


if __name__ == "__main__":
    main()
