"""A stream record's `SizeBytes` measured when the record is read, not at every write.

moto measures each new stream record by dumping it to JSON as it is made: ~10% of the emulator's CPU
for a write, paid on every put, update and delete of a table with a stream, though most records are
never read (only tests that drain the stream, and the local stack's publisher, read them). The record
is made exactly as before with its size left at moto's placeholder (1), and measured the same way (the
JSON of its `dynamodb` part, the placeholder included, as moto measures it) the first time it is read;
nothing changes a record between its making and its reading.
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.models import table as moto_table
from moto.dynamodb.models.table import StreamRecord
from moto.dynamodb.models.utilities import dynamo_json_dump

_PLACEHOLDER = "1"  # what the deferred measure returns at making: len 1, moto's own placeholder size


def _deferred(dynamo_object: Any) -> str:
    return _PLACEHOLDER


def _to_json(self: StreamRecord) -> dict[str, Any]:
    dynamodb = self.record["dynamodb"]
    if not getattr(self, "_measured", False):
        dynamodb["SizeBytes"] = 1
        dynamodb["SizeBytes"] = len(dynamo_json_dump(dynamodb))
        self._measured = True  # type: ignore[attr-defined]
    return self.record


def install() -> None:
    # moto's table module uses `dynamo_json_dump` only to measure a new stream record
    setattr(moto_table, "dynamo_json_dump", _deferred)  # noqa: B010 - a module global moto reads
    StreamRecord.to_json = _to_json  # type: ignore[method-assign]
