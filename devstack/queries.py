"""Query for the emulator at the cost of the partition it reads, not of the whole table.

moto answers every Query by sorting every item of the table and testing each against the key
condition, so a query slows down with the table's size: a reminder run's few dozen queries over a
100,000-item table take seconds each. DynamoDB reads only the partition. This hands moto's own query
only the items of the queried partition (base table: the items under the hash key; a global index: the
items whose index hash key has the value), and moto then applies every condition, filter, sort and page
exactly as before.

A global index's partitions are kept as DynamoDB keeps them: the first query naming an index hash key
attribute groups the table's items by its value once; from then on every write of an item (put,
update, delete: alone, batched or in a transaction, undone or not) files that one item under its new
value. Before, any write anywhere made the next index query group the whole table again, and a query
between writes (a consumer paging while customers claim) cost the table, not its partition.
`DEVSTACK_CHECK_INDEX=1` compares every partition a query takes with one grouped afresh from the whole
table, and fails on any difference (how this was checked against the test suite).
"""

from __future__ import annotations

import inspect
import os
from collections import defaultdict
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

CHECK = os.environ.get("DEVSTACK_CHECK_INDEX") == "1"
_Key = tuple[DynamoType, DynamoType | None]
_NONE = DynamoType({"NULL": True})  # what an item without the attribute is compared with


def _sorted(items: list[Any]) -> list[Any]:
    return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)


def _stored(table: Table) -> list[Item]:
    """Every item of the table, in no particular order (moto's query sorts what it is given)."""
    if table.range_key_attr:
        return [item for partition in table.items.values() for item in partition.values()]
    return list(table.items.values())  # type: ignore[arg-type]


class Index:
    """One table's items grouped by the value of each attribute an index query named so far."""

    def __init__(self) -> None:
        self.groups: dict[str, defaultdict[DynamoType, dict[_Key, Item]]] = {}
        self.values: dict[str, dict[_Key, DynamoType]] = {}  # attribute -> item's key -> its value

    def partition(self, table: Table, attribute: str, value: DynamoType) -> list[Item]:
        if attribute not in self.groups:
            self._group(table, attribute)
        found = list(self.groups[attribute].get(value, {}).values())
        if CHECK:
            fresh = [item for item in _stored(table) if value == item.attrs.get(attribute, _NONE)]
            assert sorted(map(id, found)) == sorted(map(id, fresh)), (table.name, attribute, value)
        return found

    def _group(self, table: Table, attribute: str) -> None:
        groups: defaultdict[DynamoType, dict[_Key, Item]] = defaultdict(dict)
        values: dict[_Key, DynamoType] = {}
        for item in _stored(table):
            value = item.attrs.get(attribute)
            if value is not None:
                key = (item.hash_key, item.range_key)
                groups[value][key] = item
                values[key] = value
        self.groups[attribute], self.values[attribute] = groups, values

    def written(self, table: Table, key: _Key) -> None:
        """The item under `key` was written: filed under each attribute's value it has now (or nowhere)."""
        hash_key, range_key = key
        partition = table.items.get(hash_key)
        item = partition.get(range_key) if table.range_key_attr and partition else partition
        for attribute, groups in list(self.groups.items()):
            values = self.values[attribute]
            old = values.pop(key, None)
            if old is not None:
                members = groups[old]
                members.pop(key, None)
                if not members:
                    del groups[old]
            new = item.attrs.get(attribute) if isinstance(item, Item) else None
            if new is None:
                continue
            try:
                groups[new][key] = item  # type: ignore[assignment]
            except TypeError:  # a value that cannot key a partition (a map, a list): group afresh if asked
                del self.groups[attribute], self.values[attribute]
                continue
            values[key] = new


def _index(table: Table) -> Index:
    index: Index | None = getattr(table, "_devstack_index", None)
    if index is None:
        index = Index()
        table._devstack_index = index  # type: ignore[attr-defined]
    return index


def _written(table: Table, hash_value: Any, range_value: Any) -> None:
    index: Index | None = getattr(table, "_devstack_index", None)
    if index is not None and index.groups:
        index.written(table, (hash_value, range_value))


def _key_of(table: Table, attrs: dict[str, Any]) -> _Key | None:
    """The stored key of an item (or a key) given as DynamoDB JSON; None if it names no key."""
    if table.hash_key_attr not in attrs:
        return None
    hash_value = DynamoType(attrs[table.hash_key_attr])
    if table.range_key_attr is None:
        return hash_value, None
    if table.range_key_attr not in attrs:
        return None
    return hash_value, DynamoType(attrs[table.range_key_attr])


def _updated(backend: DynamoDBBackend, table_name: str, key: dict[str, Any]) -> None:
    try:
        table = backend.get_table(table_name)
    except Exception:  # no such table: the update was refused, nothing to file
        return
    found = _key_of(table, key) if getattr(table, "_devstack_index", None) else None
    if found is not None:
        _written(table, *found)


def _install_query() -> None:
    original = Table.query
    signature = inspect.signature(original)

    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        arguments = bound.arguments
        index_name = arguments.get("index_name")
        conditions = arguments.get("hash_key_conditions") or []
        if index_name is None:
            partition = self.items.get(arguments["hash_key"])
            if not partition:
                candidates = []
            else:
                candidates = _sorted(list(partition.values()) if self.range_key_attr else [partition])
        elif len(conditions) == 1:
            attribute, value = conditions[0]
            candidates = _index(self).partition(self, attribute, value)
        else:
            return original(self, *args, **kwargs)
        self.all_items = lambda: list(candidates)  # type: ignore[method-assign]
        try:
            return original(self, *args, **kwargs)
        finally:
            del self.all_items

    query._devstack = True  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]


def _install_writes() -> None:
    put, delete, update = Table.put_item, Table.delete_item, DynamoDBBackend.update_item

    def put_item(self: Table, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return put(self, item_attrs, *args, **kwargs)
        finally:
            key = _key_of(self, item_attrs) if getattr(self, "_devstack_index", None) else None
            if key is not None:
                _written(self, *key)

    def delete_item(self: Table, hash_key: Any, range_key: Any) -> Any:
        try:
            return delete(self, hash_key, range_key)
        finally:
            _written(self, hash_key, range_key)

    def update_item(
        self: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        try:
            return update(self, table_name, key, *args, **kwargs)
        finally:
            _updated(self, table_name, key)

    Table.put_item = put_item  # type: ignore[method-assign]
    Table.delete_item = delete_item  # type: ignore[method-assign]
    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]


def install() -> None:
    if getattr(Table.query, "_devstack", False):
        return
    _install_query()
    _install_writes()
