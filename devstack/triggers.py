"""The template's triggers, run locally: the table's stream, queues (S3 uploads reach one) and schedules."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from devstack import template
from devstack.provision import Stack, client
from devstack.streams import StreamReader, published
from devstack.workers import Stopping

log = logging.getLogger("devstack.triggers")
Invoke = Callable[[str, dict[str, Any]], Any]
UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


def function_events(kind: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name, resource in template.resources("AWS::Serverless::Function").items():
        for event in (resource["Properties"].get("Events") or {}).values():
            if event.get("Type") == kind:
                found.append((name, event["Properties"]))
    return found


class Loop(threading.Thread):
    """A daemon thread calling `step` every `interval` seconds until stopped."""

    def __init__(self, name: str, interval: float, step: Callable[[], None]) -> None:
        super().__init__(name=name, daemon=True)
        self.interval, self.step, self.stopped = interval, step, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                self.step()
            except Exception:
                if self.stopped.is_set():  # the stack stopped the function under this step
                    return
                log.exception("%s failed", self.name)

    def stop(self) -> None:
        self.stopped.set()


class StreamTrigger:
    """Delivers the table's stream to its function in batches; a reported failure is retried from there."""

    def __init__(self, stack: Stack, function: str, properties: dict[str, Any], invoke: Invoke) -> None:
        stream = properties["Stream"]["Fn::GetAtt"][0]
        self.reader = StreamReader(stack.endpoint, stack.refs[stream])
        self.function, self.invoke = function, invoke
        self.batch_size = int(properties.get("BatchSize", 100))
        self.retries = int(properties.get("MaximumRetryAttempts", 10))
        self.pending: list[dict[str, Any]] = []
        self.attempts = 0
        destination = (properties.get("DestinationConfig") or {}).get("OnFailure", {}).get("Destination")
        self.dead_letter = stack.resolve(destination) if destination else None
        self.endpoint = stack.endpoint

    def step(self) -> None:
        self.pending.extend(self.reader.poll())
        while self.pending:
            batch = self.pending[: self.batch_size]
            result = self.invoke(self.function, {"Records": batch}) or {}
            failures = result.get("batchItemFailures") or []
            if not failures:
                self.pending, self.attempts = self.pending[len(batch) :], 0
                continue
            first = failures[0]["itemIdentifier"]
            index = next((i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] == first), 0)
            self.pending = self.pending[index:]
            self.attempts += 1
            if self.attempts > self.retries:
                self._dead_letter(self.pending[:1])
                self.pending, self.attempts = self.pending[1:], 0
            return

    def _dead_letter(self, records: list[dict[str, Any]]) -> None:
        log.error(
            "stream records to the dead-letter queue: %s", [r["dynamodb"]["SequenceNumber"] for r in records]
        )
        if self.dead_letter:
            queue_url = self.dead_letter if self.dead_letter.startswith("http") else None
            if queue_url:
                client("sqs", self.endpoint).send_message(QueueUrl=queue_url, MessageBody=json.dumps(records))


class SqsTrigger:
    """Polls a queue the template connects to a function and invokes it with SQS events; the messages a
    function reports as failed (or all, if it raises) come back after a short visibility timeout."""

    VISIBILITY = 30  # seconds, locally: the template's own timeout is sized for the longest run

    def __init__(self, stack: Stack, function: str, properties: dict[str, Any], invoke: Invoke) -> None:
        self.function, self.invoke = function, invoke
        self.sqs = client("sqs", stack.endpoint)
        self.arn = stack.resolve(properties["Queue"])
        self.batch = int(properties.get("BatchSize", 10))
        self.queue_url = next(
            stack.refs[logical]
            for logical in template.resources("AWS::SQS::Queue")
            if stack.refs.get(f"{logical}.Arn") == self.arn
        )

    def step(self) -> None:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(self.batch, 10),
            VisibilityTimeout=self.VISIBILITY,
            AttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return
        records = [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": self.arn,
                "awsRegion": self.arn.split(":")[3],
            }
            for m in messages
        ]
        try:
            result = self.invoke(self.function, {"Records": records}) or {}
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Stopping:
            raise  # not the batch's failure: the loop ends
        except Exception:
            log.exception("%s failed on its queue batch", self.function)
            return
        for message in messages:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


def rate_seconds(expression: str) -> float:
    found = re.fullmatch(r"rate\((\d+)\s+(\w+)\)", expression.strip())
    if not found:
        raise ValueError(f"only rate() schedules run locally: {expression}")
    return int(found.group(1)) * UNITS[found.group(2)]


class EventLog:
    """Keeps the last events the bus delivered to the catch-all queue, for developers to read."""

    def __init__(self, stack: Stack, size: int = 1000) -> None:
        self.stack = stack
        self.events: deque[dict[str, Any]] = deque(maxlen=size)
        self.lock = threading.Lock()

    def step(self) -> None:
        found = published(self.stack.endpoint, self.stack.events_queue_url)
        with self.lock:
            self.events.extend(found)

    def snapshot(self) -> list[dict[str, Any]]:
        self.step()
        with self.lock:
            return list(self.events)
