"""A coupon's history in the table: one item per edit beside the coupon (written in the edit's own
transaction, so an edit and its record commit together), listed by version through GSI2."""

from __future__ import annotations

from typing import Any

from coupon_service import keys
from coupon_service.store.table import Table, decode_token, encode_token, to_item, values

LISTING = "coupon-history"  # what page tokens of a coupon's history are signed for


def change_put(record: dict[str, Any]) -> dict[str, Any]:
    """The transaction part that records one edit: the version it made is new, so it is put once."""
    coupon_id, version = record["coupon_id"], record["version"]
    item = {
        **keys.coupon_change(coupon_id, version),
        **keys.coupon_change_index(coupon_id, version),
        "type": "coupon_change",
        **record,
    }
    return {"Put": {"Item": to_item(item), "ConditionExpression": "attribute_not_exists(PK)"}}


class HistoryStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def page(self, coupon_id: str, limit: int, token: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the coupon's edits, newest first, with the token of the next page."""
        partition = keys.coupon_history(coupon_id)
        start = decode_token(token, partition=("GSI2PK", partition), listing=LISTING)
        items, last = self.table.query(
            index="GSI2",
            key_condition="GSI2PK = :p",
            ExpressionAttributeValues=values(p=partition),
            forward=False,
            limit=limit,
            start_key=start,
        )
        return items, encode_token(last, listing=LISTING)
