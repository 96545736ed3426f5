"""A merchant's customer directory in the table: one item per customer on 8 partitions per merchant, one
item per tag of a customer (a merchant's customers with a tag are one partition: a Query), and the
customers born on a day on GSI1 (a Query). A change of a customer is one transaction: the customer's item
on condition of the version read, and the tag entries put or deleted with it, so concurrent changes never
leave a tag entry the customer's tags do not have."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from coupon_service import keys
from coupon_service.errors import Changed
from coupon_service.merchant_items import CustomerItem
from coupon_service.store.table import Cancelled, Table, to_item, values

FAILED = "ConditionalCheckFailed"


class CustomerBook:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    # --- reads -----------------------------------------------------------------------------------

    def customer(self, merchant_id: str, customer_id: str) -> CustomerItem | None:
        found = self.table.get(keys.customer_entry(merchant_id, customer_id))
        return CustomerItem.model_validate(found) if found else None

    def with_tag(self, merchant_id: str, tag: str) -> Iterator[str]:
        """The customer ids with the tag, by id (strongly consistent, paged by the table)."""
        for item in self.table.query_all(
            key_condition="PK = :p",
            ExpressionAttributeValues=values(p=keys.tagged_customers(merchant_id, tag)),
            ProjectionExpression="SK",
            ConsistentRead=True,
        ):
            yield str(item["SK"])

    def born_on(self, merchant_id: str, month_day: str) -> Iterator[str]:
        """The customer ids with a birthday on MM-DD, by id (the index is eventually consistent)."""
        for item in self.table.query_all(
            index="GSI1",
            key_condition="GSI1PK = :p",
            ExpressionAttributeValues=values(p=keys.customers_born_on(merchant_id, month_day)),
            ProjectionExpression="GSI1SK",
        ):
            yield str(item["GSI1SK"])

    def everyone(self, merchant_id: str) -> Iterator[CustomerItem]:
        """Every customer of the merchant's directory, shard by shard."""
        for shard_index in range(keys.DIRECTORY_SHARDS):
            for item in self.table.query_all(
                key_condition="PK = :p",
                ExpressionAttributeValues=values(p=keys.directory_partition(merchant_id, shard_index)),
            ):
                yield CustomerItem.model_validate(item)

    # --- writes ----------------------------------------------------------------------------------

    def write(self, customer: CustomerItem, previous: CustomerItem | None) -> None:
        """The customer as it is to be, replacing `previous` (None: a new customer) only if it is still
        the version read; the tag entries follow in the same transaction. Another change in between is a
        `Changed` (read again and retry); a retry after a lost answer carries the same request token."""
        merchant_id, customer_id = customer.merchant_id, customer.customer_id
        record: dict[str, Any] = {
            **keys.customer_entry(merchant_id, customer_id),
            "type": "customer",
            **customer.model_dump(exclude_none=True),
        }
        if customer.birthday:
            record.update(keys.birthday_index(merchant_id, customer.birthday, customer_id))
        put: dict[str, Any] = {"Item": to_item(record)}
        if previous is None:
            put["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = values(v=previous.version)
        operations: list[dict[str, Any]] = [{"Put": put}]
        before = set(previous.tags) if previous else set()
        for tag in sorted(set(customer.tags) - before):
            entry = {
                **keys.customer_tag(merchant_id, tag, customer_id),
                "type": "customer_tag",
                "merchant_id": merchant_id,
                "customer_id": customer_id,
                "tag": tag,
            }
            operations.append({"Put": {"Item": to_item(entry)}})
        for tag in sorted(before - set(customer.tags)):
            operations.append({"Delete": {"Key": to_item(keys.customer_tag(merchant_id, tag, customer_id))}})
        try:
            self.table.transact(operations)
        except Cancelled as refused:
            if refused.code_at(0) == FAILED:
                raise Changed("the customer changed meanwhile", field="customerId") from None
            raise
