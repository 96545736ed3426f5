"""What every API model shares: strict parsing, displayable text, names and money."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from coupon_service.validity import STRICT

MAX_INVENTORY = 10_000_000
MAX_GENERATED_CODES = 100_000  # generated in the request that creates or grows the coupon
Money = Annotated[int, Field(ge=1, le=100_000_000_00, description="Integer minor units (cents, fen)")]
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
# Every model is built (its validator and serializer made) when first used, not when its module is
# imported: a function imports the models of all its routes, and a request needs those of one. Before a
# SnapStart snapshot they are all built (`api.build_before_snapshot`), so a resumed environment builds none.
DEFERRED = ConfigDict(defer_build=True)


class Strict(BaseModel):
    """Unknown fields are an error everywhere a client can send data, and so is a number or a boolean
    sent as a string: JSON's own types only."""

    model_config = STRICT


# Characters that reorder or hide what is shown next to them: bidi embeddings, overrides, isolates and
# marks (a right-to-left override makes "gpj.exe" read "exe.jpg" on an offer or gift page).
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Controls (C0 and C1, tab and newline included), line and paragraph separators, lone surrogates.
_REFUSED_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})


def _displayable(text: str) -> str:
    for position, char in enumerate(text):
        if char in _BIDI or unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise ValueError(f"character U+{ord(char):04X} at position {position} cannot be displayed")
    return text


# Every human-readable text a client sends (titles, descriptions, messages, notes, item names): shown to
# customers or staff, so no control or bidi characters. Lengths stay with each field.
Text = Annotated[str, AfterValidator(_displayable)]
