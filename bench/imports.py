"""Imports: wall time, requests, write units and peak memory per file, against a plain BatchWriteItem floor.

The emulator runs in a process of its own here, so the memory measured is the import's alone.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from coupon_service import aws, keys, settings
from coupon_service.imports import Imports
from coupon_service.store.table import Table, from_item

from bench.claims import coupon
from bench.sizing import write_units
from devstack.metering import RequestCounter
from devstack.provision import drop, provision


def _serve(ready: Any) -> None:
    import logging

    from devstack.emulator import Emulator

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    emulator = Emulator().start()
    ready.put(emulator.url)
    while True:
        time.sleep(3600)


class _Units:
    """Write units of committed transactions, by DynamoDB's sizing rules (updates: the items' size)."""

    def __init__(self) -> None:
        self.units = 0
        self.lock = threading.Lock()
        self.original = Table.transact

    def __enter__(self) -> _Units:
        counter = self

        def transact(table: Table, operations: list[dict[str, Any]], **options: Any) -> None:
            counter.original(table, operations, **options)
            units = sum(
                write_units(from_item(op["Put"]["Item"]) or {}, transactional=True) if "Put" in op else 2
                for op in operations  # updates: the shard and the job, each well under 1 KB
            )
            with counter.lock:
                counter.units += units

        Table.transact = transact  # type: ignore[method-assign]
        return self

    def __exit__(self, *_: Any) -> None:
        Table.transact = self.original  # type: ignore[method-assign]


def _floor(codes: list[str], merchant_id: str, coupon_id: str) -> dict[str, float]:
    """The same accepted codes written with plain BatchWriteItem: registry items and pool chunks."""
    registry = [
        {**keys.code_registry(merchant_id, c), "type": "code", "code": c, "coupon_id": coupon_id, "line": i}
        for i, c in enumerate(codes)
    ]
    chunks = [
        {**keys.pool_chunk(coupon_id, 0, n), "type": "pool", "codes": codes[start : start + keys.CHUNK]}
        for n, start in enumerate(range(0, len(codes), keys.CHUNK))
    ]
    requests = RequestCounter().attach(aws.client("dynamodb"))
    started = time.perf_counter()
    Table().batch_write([*registry, *chunks])
    return {
        "seconds": time.perf_counter() - started,
        "requests": requests.total(),
        "units": sum(write_units(i) for i in [*registry, *chunks]),
    }


@contextmanager
def emulator_apart() -> Iterator[str]:
    """An emulator in a process of its own (so this process's memory is the measured code's), as the
    endpoint of this process's clients while the block runs."""
    ready: Any = multiprocessing.get_context("spawn").Queue()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(ready,), daemon=True)
    server.start()
    endpoint = ready.get(timeout=60)
    saved = dict(os.environ)
    try:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        aws.reset_clients()
        yield endpoint
    finally:
        os.environ.clear()
        os.environ.update(saved)
        aws.reset_clients()
        settings.settings.cache_clear()
        server.kill()


def measure_all(sizes: tuple[int, ...] = (10_000, 100_000)) -> list[dict[str, float]]:
    with emulator_apart() as endpoint:
        return [_measure(endpoint, n) for n in sizes]


def _measure(endpoint: str, count: int) -> dict[str, float]:
    stack = provision(endpoint, f"bench-import-{count}")
    os.environ.update(stack.environment("ImportFunction"))
    settings.settings.cache_clear()
    try:
        coupon_id = coupon({"mode": "imported"}, shards=4, merchant_id="m1")
        codes = [f"IMP{i:08d}" for i in range(count)]
        data = ("\n".join(codes) + "\n").encode()
        bucket = os.environ["IMPORT_BUCKET"]
        key = f"imports/m1/{coupon_id}/bench.csv"
        put = aws.client("s3").put_object(Bucket=bucket, Key=key, Body=data)
        meter = RequestCounter().attach(aws.client("dynamodb"))
        tracemalloc.start()
        started = time.perf_counter()
        with _Units() as units:
            status = Imports().process(bucket, key, put["VersionId"], len(data), time_left=lambda: 900.0)
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert status == "finished", status
        requests = meter.total()
        floor = _floor(codes, "m9", "f" * 32)
        return {
            "codes": count,
            "seconds": seconds,
            "requests_per_code": requests / count,
            "units_per_code": units.units / count,
            "peak_mb": peak / 2**20,
            "floor_seconds": floor["seconds"],
            "floor_requests_per_code": floor["requests"] / count,
            "floor_units_per_code": floor["units"] / count,
            "ratio": seconds / floor["seconds"],
        }
    finally:
        drop(stack)
