"""The local store itself: serialized requests, DynamoDB's transaction semantics, and the fault switch."""

from __future__ import annotations

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from devstack.provision import client
from tests.support import concurrently

pytestmark = pytest.mark.usefixtures("stack")


def _db(emulator):
    return client("dynamodb", emulator.url)


def _no_retries(emulator):
    import boto3

    return boto3.client(
        "dynamodb",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def _get(db, table, pk):
    return db.get_item(TableName=table, Key={"PK": {"S": pk}, "SK": {"S": "X"}}, ConsistentRead=True).get(
        "Item"
    )


@pytest.mark.concurrency
def test_conditional_decrements_from_many_threads_never_oversell(emulator, stack):
    db, table = _db(emulator), stack.tables["CouponsTable"]
    db.put_item(TableName=table, Item={"PK": {"S": "stock"}, "SK": {"S": "X"}, "n": {"N": "1000"}})

    def take(_):
        try:
            db.update_item(
                TableName=table,
                Key={"PK": {"S": "stock"}, "SK": {"S": "X"}},
                UpdateExpression="SET n = n - :one",
                ConditionExpression="n > :zero",
                ExpressionAttributeValues={":one": {"N": "1"}, ":zero": {"N": "0"}},
            )
            return True
        except ClientError:
            return False

    results = concurrently(take, 1200, threads=40)
    assert results.count(True) == 1000
    assert _get(db, table, "stock")["n"] == {"N": "0"}


def test_a_refused_transaction_writes_nothing_and_reports_each_item(emulator, stack):
    db, table = _db(emulator), stack.tables["CouponsTable"]
    db.put_item(TableName=table, Item={"PK": {"S": "b"}, "SK": {"S": "X"}, "v": {"N": "1"}})
    with pytest.raises(ClientError) as refused:
        db.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"PK": {"S": "a"}, "SK": {"S": "X"}}}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"PK": {"S": "b"}, "SK": {"S": "X"}},
                        "UpdateExpression": "SET v = :two",
                        "ConditionExpression": "v = :zero",
                        "ExpressionAttributeValues": {":two": {"N": "2"}, ":zero": {"N": "0"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )
    reasons = refused.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed"]
    assert reasons[1]["Item"]["v"] == {"N": "1"}
    assert _get(db, table, "a") is None and _get(db, table, "b")["v"] == {"N": "1"}


def test_a_transaction_failing_half_way_is_undone_with_its_stream_records(emulator, stack):
    db, table = _db(emulator), stack.tables["CouponsTable"]
    streams = client("dynamodbstreams", emulator.url)
    arn = db.describe_table(TableName=table)["Table"]["LatestStreamArn"]

    def stream_length():
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        return len(streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"])

    db.put_item(TableName=table, Item={"PK": {"S": "c"}, "SK": {"S": "X"}, "v": {"N": "1"}})
    before = stream_length()
    with pytest.raises(ClientError):
        db.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"PK": {"S": "d"}, "SK": {"S": "X"}}}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"PK": {"S": "c"}, "SK": {"S": "X"}},
                        "UpdateExpression": "SET v = v + :text",  # adding a string to a number fails
                        "ExpressionAttributeValues": {":text": {"S": "x"}},
                    }
                },
            ]
        )
    assert _get(db, table, "d") is None and _get(db, table, "c")["v"] == {"N": "1"}
    assert stream_length() == before


def test_the_fault_switch_refuses_writes_with_the_real_error_shapes(emulator, stack):
    db, table = _no_retries(emulator), stack.tables["CouponsTable"]
    emulator.faults.rate, emulator.faults.kinds = 1.0, ("throttle",)
    try:
        with pytest.raises(ClientError) as throttled:
            db.put_item(TableName=table, Item={"PK": {"S": "e"}, "SK": {"S": "X"}})
        emulator.faults.kinds = ("conflict",)
        with pytest.raises(ClientError) as conflicted:
            db.transact_write_items(
                TransactItems=[{"Put": {"TableName": table, "Item": {"PK": {"S": "f"}, "SK": {"S": "X"}}}}]
            )
    finally:
        emulator.faults.rate, emulator.faults.kinds = 0.0, ("conflict", "throttle")
    assert throttled.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert conflicted.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert conflicted.value.response["CancellationReasons"][0]["Code"] == "TransactionConflict"
    assert _get(db, table, "e") is None and _get(db, table, "f") is None
