"""moto's item construction at the cost of its attributes, with the same size limit.

moto builds an item one attribute at a time into a dict that, on each insertion, sums the size of every
attribute already in it to enforce DynamoDB's item size limit: quadratic in the attributes, ~10% of the
emulator's time when tests write 100,000 items. This keeps the running total instead and refuses at the
same attribute, with the same error, as moto's check would (sizes only add up). Later writes to an
item's attributes (updates) still go through moto's own check.
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.utilities import bytesize

LIMIT = 405000  # moto's limit (DynamoDB's 400 KB, as moto measured it)


def _init(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    self.hash_key = hash_key
    self.range_key = range_key
    self.attrs = LimitedSizeDict()
    total = 0
    for key, value in attrs.items():
        typed = DynamoType(value)
        total += bytesize(str(key)) + typed.size()
        if total > LIMIT:
            raise ItemSizeTooLarge
        dict.__setitem__(self.attrs, key, typed)


def install() -> None:
    Item.__init__ = _init  # type: ignore[method-assign]
