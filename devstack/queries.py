"""Query for the emulator at the cost of the partition it reads, not of the whole table.

moto answers every Query by sorting every item of the table and testing each against the key
condition, so a query slows down with the table's size: a reminder run's few dozen queries over a
100,000-item table take seconds each. DynamoDB reads only the partition. This hands moto's own query
only the items of the queried partition (base table: the items under the hash key; a global index: the
items whose index hash key has the value, grouped once per state of the table), and moto then applies
every condition, filter, sort and page exactly as before. The emulator serializes requests and calls
`written()` on every write, so a grouping is never used after the table changed.
"""

from __future__ import annotations

import inspect
from collections import defaultdict
from typing import Any

from moto.dynamodb.models.table import Table

_state = {"generation": 0}


def written() -> None:
    _state["generation"] += 1


def _sorted(items: list[Any]) -> list[Any]:
    return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)


def _grouped(table: Table, attribute: str) -> dict[Any, list[Any]]:
    cache: tuple[int, dict[str, dict[Any, list[Any]]]] | None = getattr(table, "_devstack_groups", None)
    if cache is None or cache[0] != _state["generation"]:
        cache = (_state["generation"], {})
        table._devstack_groups = cache  # type: ignore[attr-defined]
    groups = cache[1].get(attribute)
    if groups is None:
        groups = defaultdict(list)  # the groups of one generation of the table
        for item in table.all_items():  # already in moto's order
            value = item.attrs.get(attribute)
            if value is not None:
                groups[value].append(item)
        cache[1][attribute] = groups
    return groups


def install() -> None:
    if getattr(Table.query, "_devstack", False):
        return
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
            candidates = _grouped(self, attribute).get(value, [])
        else:
            return original(self, *args, **kwargs)
        self.all_items = lambda: list(candidates)  # type: ignore[method-assign]
        try:
            return original(self, *args, **kwargs)
        finally:
            del self.all_items

    query._devstack = True  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]
