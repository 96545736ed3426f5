"""Segments: a merchant's saved definitions of a group of customers (conditions, all of which hold), what it
sends, what it reads of them and of their last evaluation, and the evaluation queue's messages."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import BaseModel, Field, Json, model_validator

from coupon_service.models.common import DEFERRED, Name, Strict, Text
from coupon_service.models.customers import Tag
from coupon_service.models.parameters import SEGMENT_ID_PATTERN
from coupon_service.segment_items import SegmentItem

MAX_DAYS = 730  # two years of orders
MAX_CONDITIONS = 10
Days = Annotated[
    int, Field(ge=1, le=MAX_DAYS, description="The last D days, counted back from the evaluation")
]
Threshold = Annotated[int, Field(ge=1, le=100_000_000_00, description="Integer minor units (cents, fen)")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217: orders in it only")]


class SpentAtLeast(Strict):
    """Spent at least `amount` (net of refunds) in orders placed in the last `days` days."""

    type: Literal["spent_at_least"]
    amount: Threshold
    currency: Currency
    days: Days


class OrdersAtLeast(Strict):
    """At least `count` orders (not wholly refunded) placed in the last `days` days."""

    type: Literal["orders_at_least"]
    count: int = Field(ge=1, le=100_000)
    days: Days


class Bought(Strict):
    """An order (not wholly refunded) in the last `days` days with a line of one of the products or
    categories."""

    type: Literal["bought"]
    products: list[Name] = Field(default_factory=list, max_length=100, description="SKUs: any of them")
    categories: list[Name] = Field(default_factory=list, max_length=50, description="Any of them")
    days: Days

    @model_validator(mode="after")
    def _something(self) -> Bought:
        if not (self.products or self.categories):
            raise ValueError("list at least one product or category")
        return self


class NoOrderFor(Strict):
    """No order (not wholly refunded) in the last `days` days: customers of the directory or of earlier
    orders who stopped buying."""

    type: Literal["no_order_for"]
    days: Days


class TopSpenders(Strict):
    """The `count` customers who spent most (net of refunds, in `currency`) in the last `days` days, among
    those the other conditions keep; ties go to the smaller customer id."""

    type: Literal["top_spenders"]
    count: int = Field(ge=1, le=100_000)
    currency: Currency
    days: Days


class HasTag(Strict):
    """The directory gives the customer the tag."""

    type: Literal["has_tag"]
    tag: Tag


class NewCustomers(Strict):
    """Joined in the last `days` days (the directory's `joined_at`); a customer without one is new when it
    placed no order before those days."""

    type: Literal["new_customers"]
    days: Days


Condition = Annotated[
    SpentAtLeast | OrdersAtLeast | Bought | NoOrderFor | TopSpenders | HasTag | NewCustomers,
    Field(discriminator="type"),
]
Conditions = Annotated[list[Condition], Field(min_length=1, max_length=MAX_CONDITIONS)]


def _one_top(conditions: list[Condition] | None) -> None:
    if conditions and sum(1 for c in conditions if c.type == "top_spenders") > 1:
        raise ValueError("at most one top_spenders condition")


class SegmentCreate(Strict):
    name: Text = Field(min_length=1, max_length=100)
    conditions: Conditions

    @model_validator(mode="after")
    def _top_once(self) -> SegmentCreate:
        _one_top(self.conditions)
        return self


class SegmentPatch(Strict):
    """What to change (the conditions are replaced as a whole); `version` as read: an edit meanwhile is a
    409."""

    version: int = Field(ge=1)
    name: Text | None = Field(default=None, min_length=1, max_length=100)
    conditions: Conditions | None = None

    @model_validator(mode="after")
    def _top_once(self) -> SegmentPatch:
        _one_top(self.conditions)
        return self


class Evaluation(BaseModel):
    """The last complete evaluation (what `members` answers), and whether a newer one is pending."""

    model_config = DEFERRED
    state: Literal["never", "pending", "done"]
    generation: int
    evaluated_at: str | None = None
    members: int
    definition_version: int | None = None  # the segment's version it evaluated
    requested: int
    requested_at: str | None = None


class SegmentOut(BaseModel):
    model_config = DEFERRED
    segment_id: str
    merchant_id: str
    name: str
    conditions: list[Condition]
    version: int
    created_at: str
    updated_at: str
    evaluation: Evaluation

    @classmethod
    def from_item(cls, item: SegmentItem) -> SegmentOut:
        evaluation = Evaluation(
            state=item.state,  # type: ignore[arg-type]
            generation=item.generation,
            evaluated_at=item.evaluated_at,
            members=item.member_count,
            definition_version=item.evaluated_version,
            requested=item.requested,
            requested_at=item.requested_at,
        )
        return cls.model_validate(
            {**item.model_dump(include=set(cls.model_fields)), "evaluation": evaluation}
        )


class SegmentPage(BaseModel):
    model_config = DEFERRED
    items: list[SegmentOut]
    next_token: str | None = None


class SegmentDeleted(BaseModel):
    model_config = DEFERRED
    segment_id: str
    deleted: bool = True


class EvaluationQueued(BaseModel):
    """An evaluation asked for (202): `generation` is the membership it will make."""

    model_config = DEFERRED
    segment_id: str
    generation: int
    state: Literal["queued"] = "queued"


class MemberPage(BaseModel):
    """One page of a segment's last complete membership (`generation`), by customer id."""

    model_config = DEFERRED
    segment_id: str
    generation: int
    customer_ids: list[str]
    next_token: str | None = None


class SegmentMessage(Strict):
    """`{"segment_id", "generation"}`: evaluate into that generation; `{"segment_id", "purge": true}`: the
    segment was deleted, remove its members."""

    segment_id: str = Field(pattern=SEGMENT_ID_PATTERN)
    generation: int | None = Field(default=None, ge=1)
    purge: bool = False


class SegmentRecord(SqsRecordModel):
    model_config = DEFERRED

    body: Json[SegmentMessage]


def message(segment_id: str, generation: int | None = None, *, purge: bool = False) -> str:
    return SegmentMessage(segment_id=segment_id, generation=generation, purge=purge).model_dump_json()
