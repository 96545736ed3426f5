"""docs/data-model.md against the code: every key keys.py builds is documented and every documented key is
one keys.py builds; the indexes are the template's.

Key formats are compared by shape: each `{...}` placeholder stands for any value, so `SHARD#{couponId}#{nn}`
in the document and f"SHARD#{coupon_id}#{index:02d}" in keys.py are the same key.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache

from tests.support import ROOT, resources_of, source

DOC = ROOT / "docs" / "data-model.md"
KEYS = ROOT / "layers" / "shared" / "python" / "coupon_service" / "keys.py"
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
BACKTICKED = re.compile(r"`([^`]+)`")
GSI_KEYS = re.compile(r"(GSI\d+)[^`|]*?`([^`]+)`\s*/\s*`([^`]+)`")  # GSI1: `pk` / `sk`, GSI3 (when): ...


def shape(text: str) -> str:
    return PLACEHOLDER.sub("{}", text)


def _shape_of(node: ast.expr) -> str | None:
    """The shape of a key literal in keys.py, or None for anything else (a call, a name)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)
    return None


@dataclass(frozen=True)
class KeysPy:
    table_keys: frozenset[tuple[str, str]]  # (PK shape, SK shape) of every item key
    index_keys: frozenset[str]  # every other key shape: index keys, partitions shared by items


@cache
def keys_py() -> KeysPy:
    table, index = set(), set()
    for node in ast.walk(ast.parse(KEYS.read_text())):
        if not isinstance(node, ast.Return) or node.value is None:
            continue
        if isinstance(node.value, ast.Dict):
            named = {
                key.value: _shape_of(value)
                for key, value in zip(node.value.keys, node.value.values, strict=True)
                if isinstance(key, ast.Constant)
            }
            if "PK" in named:
                table.add((named.pop("PK"), named.pop("SK")))
            index.update(value for value in named.values() if value is not None)
        elif (found := _shape_of(node.value)) is not None:
            index.add(found)
    return KeysPy(frozenset(table), frozenset(index))


@dataclass(frozen=True)
class Documented:
    indexes: dict[str, tuple[str, str]]  # index -> (partition key attribute, sort key attribute)
    table_keys: frozenset[tuple[str, str]]
    index_keys: dict[str, set[tuple[str, str]]]  # index -> {(partition key shape, sort key shape)}


def _rows(section: str) -> list[list[str]]:
    """The cells of the body rows of the first table under a `## section` heading."""
    text = DOC.read_text().split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in text.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines[2:]]


@cache
def documented() -> Documented:
    indexes = {}
    for index, partition, sort, _ in _rows("Keys and indexes"):
        indexes[index.strip("`")] = (partition.strip("`"), sort.strip("`"))
    table, index_keys = set(), {}
    for _, pk, sk, index_column, _ in _rows("Items"):
        table.add((shape(pk.strip("`")), shape(sk.strip("`"))))
        for name, partition, sort in GSI_KEYS.findall(index_column):
            index_keys.setdefault(name, set()).add((shape(partition), shape(sort)))
    return Documented(indexes, frozenset(table), index_keys)


def test_the_documented_items_are_the_keys_keys_py_builds():
    assert sorted(documented().table_keys) == sorted(keys_py().table_keys)


def test_every_other_key_keys_py_builds_is_documented():
    # index keys, and bounds of index keys a listing queries between
    shapes = {shape(text) for text in BACKTICKED.findall(DOC.read_text())}
    assert sorted(keys_py().index_keys - shapes) == []


def test_every_documented_index_partition_is_built_by_keys_py():
    doc = documented()
    partitions = {partition for pairs in doc.index_keys.values() for partition, _ in pairs}
    assert sorted(partitions - keys_py().index_keys) == []


def test_the_documented_indexes_are_the_templates():
    (table,) = [
        r["Properties"]
        for name, r in resources_of(source(), "AWS::DynamoDB::Table").items()
        if name == "CouponsTable"
    ]

    def key_of(schema):
        by_type = {k["KeyType"]: k["AttributeName"] for k in schema}
        return by_type["HASH"], by_type["RANGE"]

    expected = {"table": key_of(table["KeySchema"])}
    expected.update({i["IndexName"]: key_of(i["KeySchema"]) for i in table["GlobalSecondaryIndexes"]})
    assert documented().indexes == expected
    # and the items' index keys name only those indexes
    assert set(documented().index_keys) <= set(expected) - {"table"}


def test_the_shapes_read_from_both_sides_are_the_ones_meant():
    # The parsers above find what the comparisons rely on, so an empty reading cannot pass.
    assert ("SHARD#{}#{}", "SHARD") in keys_py().table_keys
    assert ("SHARD#{}#{}", "SHARD") in documented().table_keys
    assert "REMIND#{}#{}" in keys_py().index_keys
    assert ("OWNER#{}", "{}#{}") in documented().index_keys["GSI1"]
    assert shape("GIFT#{sha256(token)}") == "GIFT#{}"
