"""Read a table's stream from the emulator as Lambda's event source mapping would deliver it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from devstack.provision import client


class StreamReader:
    """Follows every shard of one table's stream from its start; each call returns the new records."""

    def __init__(self, endpoint: str, table_name: str) -> None:
        self._streams = client("dynamodbstreams", endpoint)
        self._arn = client("dynamodb", endpoint).describe_table(TableName=table_name)["Table"][
            "LatestStreamArn"
        ]
        self._iterators: dict[str, str | None] = {}

    def _refresh_shards(self) -> None:
        shards = self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]["Shards"]
        for shard in shards:
            if shard["ShardId"] not in self._iterators:
                self._iterators[shard["ShardId"]] = self._streams.get_shard_iterator(
                    StreamArn=self._arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]

    def poll(self, limit: int = 1000) -> list[dict[str, Any]]:
        self._refresh_shards()
        records: list[dict[str, Any]] = []
        for shard_id, iterator in list(self._iterators.items()):
            if iterator is None:
                continue
            response = self._streams.get_records(ShardIterator=iterator, Limit=limit)
            self._iterators[shard_id] = response.get("NextShardIterator")
            records.extend(lambda_record(r, self._arn) for r in response.get("Records", []))
        return records

    def drain(self) -> list[dict[str, Any]]:
        """Every record beyond what this reader already returned, however many polls that takes."""
        records: list[dict[str, Any]] = []
        while batch := self.poll():
            records.extend(batch)
        return records


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record in the shape Lambda delivers (JSON-safe, with the event source ARN)."""
    shaped: dict[str, Any] = json.loads(json.dumps(record, default=_json_default))
    shaped["eventSourceARN"] = stream_arn
    return shaped


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp())
    raise TypeError(type(value))


def published(endpoint: str, queue_url: str, wait: float = 0.0) -> list[dict[str, Any]]:
    """Drain the catch-all queue behind the bus: the events as EventBridge delivered them."""
    sqs = client("sqs", endpoint)
    found: list[dict[str, Any]] = []
    while True:
        response = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=int(wait) if not found else 0
        )
        messages = response.get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
