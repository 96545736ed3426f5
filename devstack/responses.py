"""DynamoDB's (and its streams') JSON answers from moto without its generic serializer's cost: the same
bytes, far cheaper.

moto 5 serializes every result by walking the operation's output shape and, for each member of each
structure, asking a chain of alias providers under which name the value may be stored (the member's
name, its snake_case form, the model's prefixes...). A query answer of a hundred items costs thousands
of such look-ups, about half of the emulator's own time; a stream's GetRecords of 1,000 records (every
image's attributes) costs seconds. DynamoDB's and DynamoDB Streams' handlers already build their results
as dicts keyed by the wire names, so this walks the same shape with plain dict look-ups and does what
moto's JSON serializer does with each type (members in the shape's order, `None` left out, blobs in
base64, numbers as int or float, timestamps by moto's own timestamp serializer). Anything else (an
error, a value that is not a dict where the shape wants a structure, a serialization alias) goes to
moto's own serializer, as does every answer of other services. `DEVSTACK_CHECK_SERIALIZER=1`
serializes every answer both ways and fails on any difference (how this was checked against the test
suite).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from enum import Enum
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape
from moto import settings
from moto.core.responses import ActionResult, BaseResponse
from moto.core.serialize import BaseJSONSerializer, JSONSerializer, TimestampSerializer, get_serializer_class
from moto.core.utils import get_service_model
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

CHECK = os.environ.get("DEVSTACK_CHECK_SERIALIZER") == "1"


class _Unsupported(Exception):
    """The fast path does not cover this value: moto's serializer answers instead."""


def _walk(value: Any, shape: Shape) -> Any:
    walker = _WALKERS.get(shape.type_name)
    return walker(value, shape) if walker is not None else value


def _structure(value: Any, shape: Shape) -> Any:
    assert isinstance(shape, StructureShape)
    if shape.is_document_type or type(value) is not dict:
        raise _Unsupported
    out = {}
    for key, member in shape.members.items():
        found = value.get(key)
        if found is not None:
            if "name" in member.serialization:
                raise _Unsupported
            out[key] = _walk(found, member)
    return out


def _list(value: Any, shape: Shape) -> Any:
    assert isinstance(shape, ListShape)
    member = shape.member
    if "name" in member.serialization or not isinstance(value, list):
        raise _Unsupported
    return [
        None if item is None and member.type_name == "structure" else _walk(item, member) for item in value
    ]


def _map(value: Any, shape: Shape) -> Any:
    assert isinstance(shape, MapShape)
    if "name" in shape.value.serialization or type(value) is not dict:
        raise _Unsupported
    return {key: _walk(item, shape.value) for key, item in value.items()}


def _string(value: Any, shape: Shape) -> Any:
    if isinstance(value, Enum):
        value = value.value
    return str(value) if value not in [None, {}, []] else value


def _blob(value: Any, shape: Shape) -> Any:
    data = value.encode("utf-8") if isinstance(value, str) else value
    return base64.b64encode(data).strip().decode("utf-8")


_TIMESTAMPS = TimestampSerializer(BaseJSONSerializer.DEFAULT_TIMESTAMP_FORMAT)


def _timestamp(value: Any, shape: Shape) -> Any:
    """As moto's JSON serializer writes a timestamp: in the shape's format (by default epoch seconds)."""
    form = shape.serialization.get("timestampFormat", _TIMESTAMPS.default_format)
    return _TIMESTAMPS._convert_timestamp_to_str(value, form)


# What moto's JSON serializer does with a value of each shape type; any other type is passed as it is.
_WALKERS: dict[str, Callable[[Any, Shape], Any]] = {
    "structure": _structure,
    "list": _list,
    "map": _map,
    "string": _string,
    "blob": _blob,
    "integer": lambda value, shape: int(value),
    "long": lambda value, shape: int(value),
    "float": lambda value, shape: float(value),
    "double": lambda value, shape: float(value),
    "timestamp": _timestamp,
}


def _fast(handler: BaseResponse, action_result: ActionResult) -> tuple[int, dict[str, str], str] | None:
    result = action_result.result
    if type(result) is not dict or settings.PRETTIFY_RESPONSES:
        return None
    service_model = get_service_model(handler.boto3_service_name)
    operation_model = service_model.operation_model(handler._get_action())
    protocol = handler.determine_response_protocol(service_model)
    if get_serializer_class(service_model.service_name, protocol) is not JSONSerializer:
        return None
    shape = operation_model.output_shape
    try:
        body = json.dumps(_walk(result, shape) if shape is not None else {})
    except _Unsupported:
        return None
    version = service_model.metadata.get("jsonVersion", "1.0")
    headers = {"Content-Type": f"application/x-amz-json-{version}"}
    headers.update(handler.response_headers)
    return operation_model.http.get("responseCode", 200), headers, body


_moto_serialized = BaseResponse.serialized


def serialized(self: BaseResponse, action_result: ActionResult) -> Any:
    answer = _fast(self, action_result)
    if answer is None:
        return _moto_serialized(self, action_result)
    if CHECK:
        expected = _moto_serialized(self, action_result)
        assert answer == expected, (self._get_action(), answer, expected)
    return answer


def install() -> None:
    DynamoHandler.serialized = serialized  # type: ignore[method-assign]
    DynamoDBStreamsHandler.serialized = serialized  # type: ignore[method-assign]
