"""The local store itself: serialized requests, DynamoDB's transaction semantics, and the fault switch."""

from __future__ import annotations

import json
from http.client import HTTPConnection
from urllib.parse import urlsplit

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from devstack.provision import client
from tests.support import concurrently

pytestmark = pytest.mark.usefixtures("stack")


def _db(emulator):
    return client("dynamodb", emulator.url)


def _no_retries(emulator, **config):
    import boto3

    return boto3.client(
        "dynamodb",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, **config),
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
        emulator.faults.set(0.0)
    assert throttled.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert conflicted.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert conflicted.value.response["CancellationReasons"][0]["Code"] == "TransactionConflict"
    assert _get(db, table, "e") is None and _get(db, table, "f") is None


def _counter_update(table, pk):
    return {
        "TableName": table,
        "Key": {"PK": {"S": pk}, "SK": {"S": "X"}},
        "UpdateExpression": "ADD n :one",
        "ExpressionAttributeValues": {":one": {"N": "1"}},
    }


def test_a_lost_response_applies_the_write_and_answers_internal_server_error(emulator, stack):
    db, table = _no_retries(emulator), stack.tables["CouponsTable"]
    emulator.faults.set(1.0, ("lost",))
    try:
        with pytest.raises(ClientError) as put:
            db.put_item(TableName=table, Item={"PK": {"S": "g"}, "SK": {"S": "X"}})
        with pytest.raises(ClientError) as update:
            db.update_item(**_counter_update(table, "h"))
        with pytest.raises(ClientError) as transaction:
            db.transact_write_items(TransactItems=[{"Update": _counter_update(table, "i")}])
        injected = dict(emulator.faults.by_kind)
    finally:
        emulator.faults.set(0.0)
    for refused in (put, update, transaction):
        assert refused.value.response["Error"]["Code"] == "InternalServerError"
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    # The caller saw an error, yet each write is in the store
    assert _get(db, table, "g") is not None
    assert _get(db, table, "h")["n"] == {"N": "1"} and _get(db, table, "i")["n"] == {"N": "1"}
    assert injected == {"lost": 3}


def test_a_timed_out_response_applies_the_write_and_drops_the_connection(emulator, stack):
    from botocore.exceptions import ConnectionClosedError, ReadTimeoutError

    table = stack.tables["CouponsTable"]
    emulator.faults.set(1.0, ("timeout",))
    try:
        with pytest.raises(ConnectionClosedError):
            _no_retries(emulator).update_item(**_counter_update(table, "j"))
        # Held longer than the client waits: botocore gives up reading first
        emulator.faults.hold = 1.0
        with pytest.raises(ReadTimeoutError):
            _no_retries(emulator, read_timeout=0.3).transact_write_items(
                TransactItems=[{"Update": _counter_update(table, "k")}]
            )
        injected = emulator.faults.injected
    finally:
        emulator.faults.set(0.0)
    db = _db(emulator)
    assert _get(db, table, "j")["n"] == {"N": "1"} and _get(db, table, "k")["n"] == {"N": "1"}
    assert injected == 2


def test_a_transaction_token_applies_a_request_once_for_every_repeat(emulator, stack):
    db, table = _no_retries(emulator), stack.tables["CouponsTable"]
    request = [{"Update": _counter_update(table, "l")}]
    for _ in range(3):
        db.transact_write_items(TransactItems=request, ClientRequestToken="token-l")
    assert _get(db, table, "l")["n"] == {"N": "1"}
    # The same token with another request is refused and writes nothing
    with pytest.raises(ClientError) as mismatch:
        db.transact_write_items(
            TransactItems=[{"Update": _counter_update(table, "m")}], ClientRequestToken="token-l"
        )
    assert mismatch.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    assert _get(db, table, "m") is None
    # Without a token, every repeat applies
    db.transact_write_items(TransactItems=request)
    assert _get(db, table, "l")["n"] == {"N": "2"}


def test_a_refused_transaction_is_not_remembered_by_its_token(emulator, stack):
    db, table = _no_retries(emulator), stack.tables["CouponsTable"]
    guarded = {**_counter_update(table, "n"), "ConditionExpression": "attribute_exists(PK)"}
    with pytest.raises(ClientError) as refused:
        db.transact_write_items(TransactItems=[{"Update": guarded}], ClientRequestToken="token-n")
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    db.put_item(TableName=table, Item={"PK": {"S": "n"}, "SK": {"S": "X"}})
    db.transact_write_items(TransactItems=[{"Update": guarded}], ClientRequestToken="token-n")
    assert _get(db, table, "n")["n"] == {"N": "1"}


def test_one_connection_carries_many_requests_each_answered_whole(emulator, stack):
    """Keep-alive (devstack/keepalive.py): requests sent one after another on one connection, refused or
    not, each get their own answer, and the connection stays open between them."""
    url = urlsplit(emulator.url)
    connection = HTTPConnection(url.hostname, url.port, timeout=30)
    table = stack.tables["CouponsTable"]
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "Authorization": "AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host, Signature=0",
    }

    def send(operation, body):
        data = json.dumps(body).encode()
        connection.request(
            "POST", "/", body=data, headers={**headers, "X-Amz-Target": f"DynamoDB_20120810.{operation}"}
        )
        reply = connection.getresponse()
        return reply.status, json.loads(reply.read())

    item = {"PK": {"S": "K#1"}, "SK": {"S": "A"}, "n": {"N": "1"}}
    assert send("PutItem", {"TableName": table, "Item": item})[0] == 200
    opened = connection.sock
    emulator.faults.set(1.0, ("conflict",), limit=1)  # the next write is refused by the fault switch
    refused = send("PutItem", {"TableName": table, "Item": {**item, "n": {"N": "2"}}})
    emulator.faults.set(0.0)
    assert refused[0] == 400 and refused[1]["__type"].endswith("TransactionConflictException")
    status, got = send("GetItem", {"TableName": table, "Key": {"PK": item["PK"], "SK": item["SK"]}})
    assert (status, got["Item"]["n"]) == (200, {"N": "1"})
    assert send("GetItem", {"TableName": "no-such-table", "Key": {"PK": item["PK"]}})[0] == 400
    assert opened is not None and connection.sock is opened  # kept open, never reconnected
    connection.close()
