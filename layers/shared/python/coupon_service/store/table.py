"""The one DynamoDB adapter: the table's requests, with retries and refusals read where they are made.

Serialisation and page tokens live in `store.codec`, retries and deadlines in `store.retries`; both are
re-exported here for the store's modules.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from coupon_service import keys
from coupon_service.aws import client
from coupon_service.errors import Invalid
from coupon_service.settings import settings
from coupon_service.store.codec import decode_token, encode_token, from_item, to_item, values
from coupon_service.store.retries import (
    Backoff,
    Cancelled,
    Deadline,
    StoreBusy,
    busy,
    cleanup,
    invocation,
    with_retries,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

__all__ = [
    "Backoff",
    "Cancelled",
    "Deadline",
    "StoreBusy",
    "Table",
    "busy",
    "cleanup",
    "decode_token",
    "encode_token",
    "from_item",
    "invocation",
    "shard_keys",
    "to_item",
    "values",
    "with_retries",
]


# --- the table -----------------------------------------------------------------------------------


class Table:
    """Thin typed wrapper over the low-level client for one table (thread-safe, unlike boto3 resources)."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name or settings().table_name

    @property
    def _db(self) -> DynamoDBClient:
        return cast("DynamoDBClient", client("dynamodb"))

    def get(self, key: dict[str, str], *, consistent: bool = True) -> dict[str, Any] | None:
        response = with_retries(
            lambda: self._db.get_item(TableName=self.name, Key=to_item(key), ConsistentRead=consistent)
        )
        return from_item(response.get("Item"))

    def batch_get(self, key_list: list[dict[str, str]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(key_list), 100):
            pending: dict[str, Any] = {
                self.name: {
                    "Keys": [to_item(k) for k in key_list[start : start + 100]],
                    "ConsistentRead": True,
                }
            }
            backoff = Backoff()
            while True:
                response = with_retries(partial(self._db.batch_get_item, RequestItems=pending))
                found.extend(from_item(item) for item in response["Responses"].get(self.name, []))
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
                backoff.pause()
        return found

    def transact_get(self, key_list: list[dict[str, str]]) -> list[dict[str, Any] | None]:
        """Up to 100 items read as of one moment (serializable with every transaction), in the order asked."""
        response = with_retries(
            lambda: self._db.transact_get_items(
                TransactItems=[{"Get": {"TableName": self.name, "Key": to_item(k)}} for k in key_list]
            )
        )
        return [from_item(r.get("Item")) for r in response.get("Responses", [])]

    def put(self, data: dict[str, Any], **conditions: Any) -> None:
        """A put; if it is refused after an attempt with an unknown outcome and the item in the way is
        exactly this one, that attempt was applied: our own write, so the put succeeded."""
        item = to_item(data)
        if "ConditionExpression" in conditions:
            conditions.setdefault("ReturnValuesOnConditionCheckFailure", "ALL_OLD")
        try:
            with_retries(lambda: self._db.put_item(TableName=self.name, Item=item, **conditions))
        except Cancelled as cancelled:
            if not (cancelled.ambiguous and cancelled.old(0) == from_item(item)):
                raise

    def update(
        self,
        key: dict[str, str],
        *,
        mine: Callable[[dict[str, Any] | None], bool] | None = None,
        **request: Any,
    ) -> dict[str, Any] | None:
        """An update. `mine` tells, from the item as it is, whether a refusal after an attempt with an
        unknown outcome is that attempt's own doing; then the update succeeded and the item is returned."""
        if mine is not None:
            request.setdefault("ReturnValuesOnConditionCheckFailure", "ALL_OLD")
        try:
            response = with_retries(
                lambda: self._db.update_item(TableName=self.name, Key=to_item(key), **request)
            )
        except Cancelled as cancelled:
            if mine is not None and cancelled.ambiguous and mine(cancelled.old(0)):
                return cancelled.old(0)
            raise
        return from_item(response.get("Attributes"))

    def delete(self, key: dict[str, str], **conditions: Any) -> None:
        with_retries(lambda: self._db.delete_item(TableName=self.name, Key=to_item(key), **conditions))

    def transact(self, operations: list[dict[str, Any]], *, token: str | None = None) -> None:
        """Each operation is {'Put'|'Update'|'ConditionCheck'|'Delete': {...}} without TableName.

        Every attempt carries the same ClientRequestToken (one per call unless given), so a retry after an
        attempt whose answer was lost succeeds without applying the transaction twice (for 10 minutes).
        """
        items = cast(
            "list[TransactWriteItemTypeDef]",
            [{kind: {"TableName": self.name, **body} for kind, body in op.items()} for op in operations],
        )
        request_token = token or uuid.uuid4().hex
        with_retries(
            lambda: self._db.transact_write_items(TransactItems=items, ClientRequestToken=request_token)
        )

    def batch_write(self, items: Iterable[dict[str, Any]]) -> int:
        """Unconditional puts, 25 per request, unprocessed items resent; returns the requests made."""
        requests = 0
        batch: list[dict[str, Any]] = []
        for data in items:
            batch.append({"PutRequest": {"Item": to_item(data)}})
            if len(batch) == 25:
                requests += self._write_batch(batch)
                batch = []
        if batch:
            requests += self._write_batch(batch)
        return requests

    def batch_delete(self, key_list: Iterable[dict[str, str]]) -> int:
        """Unconditional deletes, 25 per request, unprocessed ones resent; returns the requests made."""
        requests = 0
        batch: list[dict[str, Any]] = []
        for key in key_list:
            batch.append({"DeleteRequest": {"Key": to_item(key)}})
            if len(batch) == 25:
                requests += self._write_batch(batch)
                batch = []
        if batch:
            requests += self._write_batch(batch)
        return requests

    def _write_batch(self, batch: list[dict[str, Any]]) -> int:
        pending: dict[str, Any] = {self.name: batch}
        backoff = Backoff()
        while True:
            response = with_retries(partial(self._db.batch_write_item, RequestItems=pending))
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                return backoff.attempt + 1
            backoff.pause()

    def query(
        self,
        *,
        index: str | None = None,
        key_condition: str,
        limit: int | None = None,
        forward: bool = True,
        start_key: dict[str, Any] | None = None,
        **request: Any,
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        params: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": key_condition,
            "ScanIndexForward": forward,
            **request,
        }
        if index:
            params["IndexName"] = index
        if limit:
            params["Limit"] = limit
        if start_key:
            params["ExclusiveStartKey"] = start_key
        try:
            response = with_retries(lambda: self._db.query(**params))
        except ClientError as error:
            # A signed start key can still fall outside today's key condition (a wallet's "available"
            # bound moves with the clock): DynamoDB refuses it, and the caller starts the listing again.
            if start_key and error.response["Error"]["Code"] == "ValidationException":
                raise Invalid("not a page token of this listing", field="next_token") from error
            raise
        return [from_item(i) for i in response.get("Items", [])], response.get("LastEvaluatedKey")

    def scan(
        self, start_key: dict[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One page of the whole table (strongly consistent): operators' commands, never a request."""
        params: dict[str, Any] = {"TableName": self.name, "ConsistentRead": True}
        if start_key:
            params["ExclusiveStartKey"] = start_key
        response = with_retries(lambda: self._db.scan(**params))
        return [from_item(i) for i in response.get("Items", [])], response.get("LastEvaluatedKey")

    def listing_page(
        self, partition: str, *, listing: str, limit: int, token: str | None, forward: bool = True
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a GSI1 partition (a merchant's coupons, stores, a ledger's entries...) and the token of
        the next, bound to `listing` and the partition: a token of another listing or partition is refused."""
        start = decode_token(token, partition=("GSI1PK", partition), listing=listing)
        items, last = self.query(
            index="GSI1",
            key_condition="GSI1PK = :p",
            forward=forward,
            limit=limit,
            start_key=start,
            ExpressionAttributeValues=values(p=partition),
        )
        return items, encode_token(last, listing=listing)

    def query_all(self, **request: Any) -> Iterator[dict[str, Any]]:
        start: dict[str, Any] | None = None
        while True:
            items, start = self.query(start_key=start, **request)
            yield from items
            if not start:
                return


def shard_keys(coupon_id: str, count: int) -> list[dict[str, str]]:
    return [keys.shard(coupon_id, i) for i in range(count)]
