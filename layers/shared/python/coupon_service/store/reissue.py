"""A claimed coupon's code follows its holder: a fresh system code, the old one retired from the index.

When a gift is accepted or a redemption reversed, someone other than the holder has seen the code (the
giver; whoever stood at the till). The transaction that makes the coupon usable again gives it a code
nobody has seen and moves its code-index entry (GSI2) to that code, so the old code answers exactly as
a code that never existed. The old code stays on the claim in `retired_codes`, for the merchant's
records only: no lookup reads it. Pooled and imported codes are retired the same way (burned): the
coupon goes on with a system code.
"""

from __future__ import annotations

from typing import Any

from coupon_service import keys
from coupon_service.codes import new_system_code


def retiring(code: str, **cause: str) -> list[dict[str, str]]:
    """The record of a code to retire and what retired it (`gift_id` or `redemption_id`, whose own record
    holds the time), as the one-element list `list_append` takes."""
    return [{"code": code, **cause}]


def fresh_code(merchant_id: str, record: str) -> tuple[str, dict[str, Any]]:
    """(SET clauses, values) that give a claim a fresh code and append `record` to its retired codes.

    `record` is an expression operand: a value the caller names, or an attribute of the claim that holds
    the record (a gift writes it when given, so accepting needs no read of the claim). The code cannot
    change between the caller's read and the write: only a gift's accept (the claim is in that gift) and
    a reversal (the claim is used by that redemption) change it, and the caller's condition names those.
    """
    code = new_system_code()
    index = keys.claim_code_index(merchant_id, code)
    sets = (
        "code = :fresh_code, code_system = :fresh_system, GSI2PK = :fresh_lookup, GSI2SK = :fresh_sk, "
        f"retired_codes = list_append(if_not_exists(retired_codes, :fresh_none), {record})"
    )
    named = {
        "fresh_code": code,
        "fresh_system": True,
        "fresh_lookup": index["GSI2PK"],
        "fresh_sk": index["GSI2SK"],
        "fresh_none": [],
    }
    return sets, named
