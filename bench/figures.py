"""The figures aggregator's cost: DynamoDB requests and write units per event counted, by event type (one
event at a time) and for the queue's batches of 10; write units by DynamoDB's sizing rules from the items
each transaction wrote, read back right after it (a transactional write costs two units per KB)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from coupon_service import aws
from coupon_service.figures.aggregator import Aggregator
from coupon_service.store.table import Table, from_item

from bench.sizing import write_units
from devstack.metering import RequestCounter

CLAIMS = 200


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def history(prefix: str) -> list[tuple[str, dict[str, Any]]]:
    """A coupon's events in the order they happened: claims over a day on 4 channels, half redeemed at 3
    stores with an order each (a tenth of those reversed), a tenth voided, a tenth given away, each
    redemption's order and a later one reported by the orders feed."""
    now = datetime.now(UTC) - timedelta(days=2)
    common = {"coupon_id": f"{prefix}-coupon", "merchant_id": "bench-m", "version": "1"}
    events: list[tuple[str, dict[str, Any]]] = []
    for i in range(CLAIMS):
        at, claim = _iso(now + timedelta(minutes=i)), f"{prefix}-k{i}"
        customer = f"{prefix}-u{i}"
        events.append(("CouponClaimed", {**common, "event_id": f"{prefix}-c{i}", "occurred_at": at,
                       "claim_id": claim, "customer_id": customer, "channel": ("wechat", "poster", "sms", "other")[i % 4],
                       "valid_from": at, "valid_until": _iso(now + timedelta(days=7))}))  # fmt: skip
        if i % 10 == 1:
            events.append(("GiftAccepted", {**common, "event_id": f"{prefix}-g{i}", "occurred_at": at,
                           "claim_id": claim}))  # fmt: skip
        if i % 10 == 3:
            events.append(("CouponVoided", {**common, "event_id": f"{prefix}-v{i}", "occurred_at": at,
                           "claim_id": claim}))  # fmt: skip
        if i % 2 == 0:
            order = {"merchant_id": "bench-m", "customer_id": customer, "store_id": f"sh-00{i % 3}",
                     "currency": "CNY", "line_count": 2, "amount": 12000}  # fmt: skip
            events.append(("OrderPlaced", {**order, "event_id": f"{prefix}-o{i}", "occurred_at": at,
                           "version": "1", "order_id": f"{prefix}-order{i}", "placed_at": at}))  # fmt: skip
            events.append(("CouponRedeemed", {**common, "event_id": f"{prefix}-r{i}", "occurred_at": at,
                           "redemption_id": f"{prefix}-red{i}", "claim_id": claim, "customer_id": customer,
                           "store_id": order["store_id"], "order_id": f"{prefix}-order{i}",
                           "order_amount": 12000, "discount": 1000}))  # fmt: skip
            later = _iso(now + timedelta(days=1, minutes=i))
            events.append(("OrderPlaced", {**order, "event_id": f"{prefix}-p{i}", "occurred_at": later,
                           "version": "1", "order_id": f"{prefix}-later{i}", "placed_at": later}))  # fmt: skip
            if i % 20 == 0:
                events.append(("RedemptionReversed", {**common, "event_id": f"{prefix}-x{i}",
                               "occurred_at": later, "redemption_id": f"{prefix}-red{i}", "claim_id": claim}))  # fmt: skip
    return events


class Written:
    """The items each `TransactWriteItems` wrote, as keys to read back and the units they cost."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.reads = 0  # the read-backs' own GetItems, left out of the requests counted
        aws.client("dynamodb").meta.events.register("provide-client-params.dynamodb.TransactWriteItems", self)

    def __call__(self, params: dict[str, Any], **_: Any) -> None:
        for operation in params["TransactItems"]:
            body = next(iter(operation.values()))
            self.keys.append(from_item(body.get("Key") or {k: body["Item"][k] for k in ("PK", "SK")}))

    def units(self) -> int:
        """Write units of what was written since the last call (items read back now, transactional)."""
        table, total = Table(), 0
        for key in self.keys:
            item = table.get(key)
            total += write_units(item or key, transactional=True)
        self.reads += len(self.keys)
        self.keys = []
        return total


def measure() -> dict[str, Any]:
    aggregator, written = Aggregator(), Written()
    requests = RequestCounter().attach(aws.client("dynamodb"))
    per_type: dict[str, list[int]] = defaultdict(list)
    requests.reset()
    single = history("one")
    for kind, detail in single:
        aggregator.apply(kind, detail)
        per_type[kind].append(written.units())
    single_requests = Counter(requests.calls)
    single_requests["GetItem"] -= written.reads
    batched, units, written.reads = history("ten"), 0, 0
    requests.reset()
    for start in range(0, len(batched), 10):
        aggregator.apply_all(batched[start : start + 10])
        units += written.units()
    batched_requests = Counter(requests.calls)
    batched_requests["GetItem"] -= written.reads
    return {
        "events": len(single),
        "per_type": {k: (len(v), sum(v) / len(v)) for k, v in sorted(per_type.items())},
        "single_units": sum(sum(v) for v in per_type.values()) / len(single),
        "single_requests": {op: n / len(single) for op, n in single_requests.items() if n},
        "batched_units": units / len(batched),
        "batched_requests": {op: n / len(batched) for op, n in batched_requests.items() if n},
    }


def section(result: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "## Figures aggregator",
        "",
        f"One coupon's history of {result['events']:,} events ({CLAIMS} claims over four channels, half redeemed",
        "with an order at three stores, a tenth of those reversed, a tenth voided, a tenth given away, every",
        "redemption's order and a later one reported by the orders feed), counted in the order they happened.",
        "DynamoDB write units per event by DynamoDB's sizing rules (items read back after each transaction;",
        "transactional writes count double): the records the event changes, its counter cells and the",
        "coupon's totals, all in one transaction.",
        "",
        "| event | events | WCU per event, one at a time |",
        "| --- | --- | --- |",
    ]
    for kind, (count, units) in result["per_type"].items():
        lines.append(f"| {kind} | {count} | {units:.2f} |")
    single = ", ".join(f"{op} {n:.2f}" for op, n in sorted(result["single_requests"].items()))
    batched = ", ".join(f"{op} {n:.2f}" for op, n in sorted(result["batched_requests"].items()))
    lines += [
        "",
        "| delivery | WCU per event | requests per event |",
        "| --- | --- | --- |",
        f"| one at a time | {result['single_units']:.2f} | {single} |",
        f"| batches of 10 (the queue's) | {result['batched_units']:.2f} | {batched} |",
        "",
        "A re-delivered event costs one `BatchGetItem` of its records and no write. Reads (`GetItem`) are the",
        "merchant's time zone, once a minute per merchant and environment.",
    ]
    return lines


if __name__ == "__main__":  # `python -m bench.figures`: this section alone, printed
    import logging
    import os

    from devstack.emulator import CLIENT_ENVIRONMENT, Emulator
    from devstack.provision import REGION, drop, provision

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    os.environ.update(AWS_DEFAULT_REGION=REGION, AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local")
    emulator = Emulator().start()
    os.environ["AWS_ENDPOINT_URL"] = emulator.url
    os.environ.update(CLIENT_ENVIRONMENT)
    stack = provision(emulator.url, "benchfigures")
    os.environ.update(stack.environment())
    print("\n".join(section(measure())))
    drop(stack)
    emulator.stop()
