"""What a coupon gives (its terms, one model per kind) and how its codes are made."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from coupon_service.models.common import MAX_GENERATED_CODES, MAX_INVENTORY, Money, Strict, Text

# --- terms, one model per kind -------------------------------------------------------------------


class DiscountTerms(Strict):
    kind: Literal["discount"]
    percent_off: int = Field(ge=1, le=99)
    max_discount: Money | None = None


class CashValueTerms(Strict):
    kind: Literal["cash_value"]
    amount_off: Money
    min_spend: Money | None = None

    @model_validator(mode="after")
    def _below_min_spend(self) -> CashValueTerms:
        if self.min_spend is not None and self.amount_off >= self.min_spend:
            raise ValueError("amount_off must be below min_spend")
        return self


class GiftTerms(Strict):
    kind: Literal["gift"]
    item: Text = Field(min_length=1, max_length=200)


class PointsTerms(Strict):
    kind: Literal["points"]
    points: int = Field(ge=1, le=10_000_000)


class CashTerms(Strict):
    kind: Literal["cash"]
    amount: Money


class FreeShippingTerms(Strict):
    kind: Literal["free_shipping"]


class GenericTerms(Strict):
    kind: Literal["generic"]
    terms: Text = Field(min_length=1, max_length=2000)


Terms = Annotated[
    DiscountTerms | CashValueTerms | GiftTerms | PointsTerms | CashTerms | FreeShippingTerms | GenericTerms,
    Field(discriminator="kind"),
]
GIFTABLE_KINDS = frozenset({"discount", "cash_value", "gift"})
Kind = Literal["discount", "cash_value", "gift", "points", "cash", "free_shipping", "generic"]
KINDS: tuple[Kind, ...] = ("discount", "cash_value", "gift", "points", "cash", "free_shipping", "generic")
# Kinds that take money off an order: the only ones a budget caps.
MONEY_KINDS = frozenset({"discount", "cash_value", "cash", "free_shipping"})


# --- codes and inventory -------------------------------------------------------------------------


class RandomOnClaimCodes(Strict):
    mode: Literal["random_on_claim"]
    inventory: int | None = Field(default=None, ge=1, le=MAX_INVENTORY, description="None = unlimited")


class GeneratedCodes(Strict):
    mode: Literal["generated"]
    inventory: int = Field(ge=1, le=MAX_GENERATED_CODES)


class ImportedCodes(Strict):
    mode: Literal["imported"]
    case_sensitive: bool = True
    allow_short_codes: bool = Field(
        default=False,
        description="Import codes that are easy to guess (shorter than 8 characters, all digits shorter "
        "than 10, one repeated character, a straight run); otherwise they fail as `too_guessable`",
    )


Codes = Annotated[RandomOnClaimCodes | GeneratedCodes | ImportedCodes, Field(discriminator="mode")]
