"""The outbox: committed item changes, read from the table's stream, published as domain events on the bus."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from coupon_service.events import derive, put_events


@dataclass(frozen=True)
class Published:
    """What one batch of stream records became: the events sent, those that failed, and where the
    stream must resume (the sequence number of the first record with an unsent event; None if all went)."""

    published: int
    failed: int
    resume_from: str | None


def publish(records: Sequence[DynamoDBRecord]) -> Published:
    derived = [(record, found) for record in records for found in derive(record)]
    failed = put_events([found for _, found in derived])
    if not failed:
        return Published(published=len(derived), failed=0, resume_from=None)
    # Streams retry from the first reported record onwards; later events go again with the same event_id.
    stream = derived[min(failed)][0].dynamodb
    sequence = stream.sequence_number if stream is not None else None
    return Published(published=len(derived) - len(failed), failed=len(failed), resume_from=sequence)
