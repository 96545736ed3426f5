"""The emulator's faster paths answer exactly what moto's own would: answers byte for byte, item limits."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.responses import DynamoHandler

from devstack import responses
from devstack.provision import client

pytestmark = pytest.mark.usefixtures("stack")

ITEM = {
    "b": {"B": b"\x00\xffbytes"},
    "bs": {"BS": [b"a", b"\x01\x02"]},
    "n": {"N": "1.50"},
    "l": {"L": [{"M": {"x": {"NULL": True}, "y": {"BOOL": False}}}, {"S": "é"}]},
    "ss": {"SS": ["a", "b"]},
}


def _requests(db, table):
    key = {"PK": {"S": "P#1"}, "SK": {"S": "S#1"}}
    yield lambda: db.get_item(TableName=table, Key=key, ConsistentRead=True)
    yield lambda: db.query(
        TableName=table,
        KeyConditionExpression="PK = :p",
        ExpressionAttributeValues={":p": {"S": "P#1"}},
        Limit=2,
        ReturnConsumedCapacity="TOTAL",
    )
    yield lambda: db.scan(TableName=table, Select="COUNT")
    yield lambda: db.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET a = :a",
        ExpressionAttributeValues={":a": {"N": "3"}},
        ReturnValues="ALL_NEW",
    )
    yield lambda: db.batch_get_item(RequestItems={table: {"Keys": [key]}})
    yield lambda: db.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": key}}])
    yield lambda: db.delete_item(TableName=table, Key=key, ReturnValues="ALL_OLD")


def test_answers_are_the_bytes_moto_serializes(emulator, stack, monkeypatch):
    db, table = client("dynamodb", emulator.url), stack.tables["CouponsTable"]
    for n in range(3):
        db.put_item(TableName=table, Item={"PK": {"S": "P#1"}, "SK": {"S": f"S#{n}"}, **ITEM})
    compared = []

    def both(handler, action_result):
        fast = responses._fast(handler, action_result)
        moto = responses._moto_serialized(handler, action_result)
        compared.append((handler._get_action(), fast == moto))
        return moto

    monkeypatch.setattr(DynamoHandler, "serialized", both)
    answers = [request() for request in _requests(db, table)]
    assert compared == [(action, True) for action, _ in compared] and len(compared) == len(answers)
    assert answers[0]["Item"]["b"] == {"B": b"\x00\xffbytes"}
    assert answers[-1]["Attributes"]["l"]["L"][1] == {"S": "é"}


def test_an_item_over_the_size_limit_is_refused_and_one_at_it_is_stored(emulator, stack):
    db, table = client("dynamodb", emulator.url), stack.tables["CouponsTable"]
    # moto's limit: 405,000 bytes of attribute names and values (PK, SK and their values count)
    fits = {"PK": {"S": "P"}, "SK": {"S": "S"}, "v": {"S": "x" * (405_000 - len("PKPSKSv"))}}
    db.put_item(TableName=table, Item=fits)
    with pytest.raises(ClientError) as refused:
        db.put_item(TableName=table, Item={**fits, "w": {"S": ""}})
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "Item size has exceeded the maximum allowed size" in refused.value.response["Error"]["Message"]
    assert db.get_item(TableName=table, Key={"PK": {"S": "P"}, "SK": {"S": "S"}})["Item"]["v"] == fits["v"]
