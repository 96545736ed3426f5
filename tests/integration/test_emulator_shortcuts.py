"""The emulator's faster paths answer exactly what moto's own would: answers byte for byte, item limits."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

from devstack import parsing, responses
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


def _stream_requests(db, streams, table):
    arn = db.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    yield lambda: streams.describe_stream(StreamArn=arn)
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    yield lambda: streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    yield lambda: streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)


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
    monkeypatch.setattr(DynamoDBStreamsHandler, "serialized", both)
    answers = [request() for request in _requests(db, table)]
    # The table's stream: its description and records (images, keys, times) as GetRecords answers them
    streamed = [request() for request in _stream_requests(db, client("dynamodbstreams", emulator.url), table)]
    assert compared == [(action, True) for action, _ in compared]
    assert {"GetRecords", "DescribeStream", "GetShardIterator"} <= {action for action, _ in compared}
    assert len(compared) >= len(answers) + len(streamed)
    assert answers[0]["Item"]["b"] == {"B": b"\x00\xffbytes"}
    assert answers[-1]["Attributes"]["l"]["L"][1] == {"S": "é"}
    records = streamed[-1]["Records"]
    assert [r["eventName"] for r in records] == ["INSERT"] * 3 + ["MODIFY", "REMOVE"]
    assert records[0]["dynamodb"]["NewImage"]["bs"] == {"BS": [b"a", b"\x01\x02"]}
    assert records[0]["dynamodb"]["ApproximateCreationDateTime"].year >= 2024


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


def _index_ids(db, table, value, index="GSI1"):
    """The PKs an index partition answers, page by page (3 to a page), in the index's order."""
    found, start = [], {}
    while True:
        page = db.query(
            TableName=table,
            IndexName=index,
            KeyConditionExpression=f"{index}PK = :p",
            ExpressionAttributeValues={":p": {"S": value}},
            Limit=3,
            **start,
        )
        found += [item["PK"]["S"] for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return found
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def test_an_index_partition_follows_every_kind_of_write(emulator, stack):
    db, table = client("dynamodb", emulator.url), stack.tables["CouponsTable"]

    def item(n, value):
        return {"PK": {"S": f"P#{n}"}, "SK": {"S": "S"}, "GSI1PK": {"S": value}, "GSI1SK": {"S": f"{n:02d}"}}

    def key(n):
        return {"PK": {"S": f"P#{n}"}, "SK": {"S": "S"}}

    def moved_to(value):
        return {
            "TableName": table,
            "UpdateExpression": "SET GSI1PK = :v",
            "ExpressionAttributeValues": {":v": {"S": value}},
        }

    for n in range(8):
        db.put_item(TableName=table, Item=item(n, "a"))
    # The first query groups the table; every later one reads the partitions as the writes left them
    assert _index_ids(db, table, "a") == [f"P#{n}" for n in range(8)]
    db.put_item(TableName=table, Item=item(8, "a"))  # a new item
    db.put_item(TableName=table, Item=item(1, "b"))  # an item replaced under another value
    db.update_item(Key=key(2), **moved_to("b"))  # an update moving an item
    db.update_item(TableName=table, Key=key(3), UpdateExpression="REMOVE GSI1PK")  # out of the index
    db.update_item(Key=key(9), **moved_to("b"))  # an update making an item (no GSI1SK: not indexed)
    db.delete_item(TableName=table, Key=key(4))
    db.batch_write_item(
        RequestItems={table: [{"PutRequest": {"Item": item(10, "b")}}, {"DeleteRequest": {"Key": key(0)}}]}
    )
    db.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": item(11, "a")}},
            {"Update": {"Key": key(5), **moved_to("b")}},
        ]
    )
    with pytest.raises(ClientError):  # refused by a condition: nothing moves
        db.transact_write_items(
            TransactItems=[
                {"Update": {"Key": key(6), **moved_to("b")}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": key(7),
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
            ]
        )
    with pytest.raises(ClientError):  # failing half way: undone, so nothing moves either
        db.transact_write_items(
            TransactItems=[
                {"Update": {"Key": key(7), **moved_to("b")}},
                {"Update": {"Key": key(6), **moved_to("b"), "UpdateExpression": "SET GSI1PK = GSI1SK + :v"}},
            ]
        )

    assert _index_ids(db, table, "a") == ["P#6", "P#7", "P#8", "P#11"]
    assert _index_ids(db, table, "b") == ["P#1", "P#2", "P#5", "P#10"]
    # And every partition is what grouping the whole table afresh finds
    everything = db.scan(TableName=table)["Items"]
    for value in ("a", "b"):
        expected = sorted(
            (i["GSI1SK"]["S"], i["PK"]["S"])
            for i in everything
            if i.get("GSI1PK") == {"S": value} and "GSI1SK" in i
        )
        assert _index_ids(db, table, value) == [pk for _, pk in expected]


def test_requests_are_parsed_as_moto_parses_them(emulator, stack, monkeypatch):
    # Given every DynamoDB request parsed both ways, a difference failing the request
    monkeypatch.setattr(parsing, "CHECK", True)
    db, table = client("dynamodb", emulator.url), stack.tables["CouponsTable"]
    key = {"PK": {"S": "P#2"}, "SK": {"S": "S#1"}}
    # When requests of every shape the service sends are made: items of every type, expressions, batches,
    # transactions, pages
    db.put_item(TableName=table, Item={**key, **ITEM}, ConditionExpression="attribute_not_exists(PK)")
    db.batch_write_item(
        RequestItems={table: [{"PutRequest": {"Item": {**key, "SK": {"S": f"S#{n + 2}"}}}} for n in range(3)]}
    )
    db.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET a = :a, m = :m ADD n :one REMOVE ss",
        ConditionExpression="attribute_exists(PK) AND n < :cap",
        ExpressionAttributeValues={
            ":a": {"B": b"\x01"},
            ":m": {"L": [{"N": "2"}]},
            ":one": {"N": "1"},
            ":cap": {"N": "9"},
        },
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )
    db.transact_write_items(
        TransactItems=[
            {
                "ConditionCheck": {
                    "TableName": table,
                    "Key": key,
                    "ConditionExpression": "attribute_exists(PK)",
                }
            },
            {
                "Put": {
                    "TableName": table,
                    "Item": {"PK": {"S": "P#3"}, "SK": {"S": "S"}, "bs": {"BS": [b"z"]}},
                }
            },
            {"Delete": {"TableName": table, "Key": {"PK": {"S": "P#2"}, "SK": {"S": "S#4"}}}},
        ],
        ClientRequestToken="token-1",
    )
    page = db.query(
        TableName=table,
        KeyConditionExpression="PK = :p AND begins_with(SK, :s)",
        ExpressionAttributeValues={":p": {"S": "P#2"}, ":s": {"S": "S#"}},
        Limit=2,
        ScanIndexForward=False,
    )
    db.query(
        TableName=table,
        KeyConditionExpression="PK = :p",
        ExpressionAttributeValues={":p": {"S": "P#2"}},
        ExclusiveStartKey=page["LastEvaluatedKey"],
    )
    # Then every one was parsed alike, and the item reads back as written
    item = db.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    assert item["a"] == {"B": b"\x01"} and item["b"] == ITEM["b"] and item["n"] == {"N": "2.50"}
    assert "ss" not in item and item["l"] == ITEM["l"]


UPDATES = [
    "SET remaining = remaining - :one, claimed = claimed + :one, #u = :now ADD version :one",
    "SET holders = if_not_exists(holders, :zero) + :one, tags = list_append(if_not_exists(tags, :l), :l)",
    "SET m.inner = :now REMOVE gone ADD ns :ns DELETE ss :ss",
]


def _tree(node):
    from moto.dynamodb.parsing.ast_nodes import Node

    if isinstance(node, Node):
        children = tuple(_tree(child) for child in node.children or ())
        return type(node).__name__, children, type(node.parent).__name__
    return repr(node)


def _validated(expression, item, table):
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser
    from moto.dynamodb.parsing.validators import UpdateExpressionValidator

    try:
        tree = UpdateExpressionValidator(
            UpdateExpressionParser.make(expression),
            expression_attribute_names={"#u": "updated_at", "#k": "PK"},
            expression_attribute_values={
                ":one": {"N": "1"},
                ":zero": {"N": "0"},
                ":now": {"S": "2026-11-26T00:00:00Z"},
                ":l": {"L": [{"S": "x"}]},
                ":ns": {"NS": ["3"]},
                ":ss": {"SS": ["a"]},
            },
            item=item,
            table=table,
        ).validate()
    except Exception as refused:  # the refusal itself is what must match
        return type(refused).__name__, str(refused)
    tree.normalize()
    return _tree(tree)


def test_update_validation_and_conditions_give_what_moto_gives(monkeypatch):
    # Given moto's own validator walk, node copy and condition parse, and the emulator's shortcuts
    from moto.dynamodb.comparisons import ConditionExpressionParser, create_condition_expression_parser
    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.parsing import ast_nodes, validators

    schema = [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}]
    attrs = [{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK")]
    table = Table("t", account_id="123456789012", region="us-east-1", schema=schema, attr=attrs)
    fields = {"remaining": {"N": "4"}, "claimed": {"N": "1"}, "m": {"M": {}}, "ss": {"SS": ["a", "b"]}}
    item = Item(
        DynamoType({"S": "p"}), DynamoType({"S": "s"}), {"PK": {"S": "p"}, "SK": {"S": "s"}, **fields}
    )
    conditions = [
        ("attribute_exists(PK) AND remaining > :zero", {":zero": {"N": "0"}}),
        (
            "attribute_not_exists(PK) OR (claimed < :one AND NOT contains(ss, :a))",
            {":one": {"N": "1"}, ":a": {"S": "a"}},
        ),
        ("remaining BETWEEN :one AND :zero", {":one": {"N": "1"}, ":zero": {"N": "0"}}),
    ]

    def outcomes():
        updates = [_validated(e, item, table) for e in [*UPDATES, "SET #k = :now", "SET a = :missing"]]
        evaluated = []
        for _ in range(2):  # the second parse of each condition is the one the shortcut keeps
            for expression, values in conditions:
                parser = create_condition_expression_parser(expression, {}, values)
                evaluated.append((parser.parse().expr(item), parser.expr_attr_values_found))
        return updates, evaluated

    # When both are run on the same expressions
    ours = outcomes()
    for cls, name in ((ast_nodes.DepthFirstTraverser, "traverse"), (ConditionExpressionParser, "parse")):
        monkeypatch.setattr(cls, name, parsing.moto_original(cls, name))
    for cls in (
        validators.UpdateHashRangeKeyValidator,
        validators.ActionCountValidator,
        validators.OverlappingPathsValidator,
    ):
        monkeypatch.delattr(cls, "traverse")  # moto's validators inherit the walk
    monkeypatch.delattr(ast_nodes.Node, "__deepcopy__")
    theirs = outcomes()

    # Then the trees, the refusals and the conditions' answers are the same
    assert ours == theirs
    assert ours[0][3][0] == "UpdateHashRangeKeyException"
    assert [answer for answer, _ in ours[1]] == [True, False, False] * 2
