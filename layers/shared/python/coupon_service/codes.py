"""Coupon codes: unguessable system codes with a check symbol, and the format of imported codes."""

from __future__ import annotations

import itertools
import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: nothing to misread at a till
RANDOM_SYMBOLS = 13  # 13 * log2(31) = 64.4 bits from `secrets`
LENGTH = RANDOM_SYMBOLS + 1
DISPLAY_GROUP = 4
# Anchored so the pattern is also safe where it is used with search semantics (e.g. a pydantic pattern).
IMPORTED_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{4,64}$")

_INDEX = {symbol: i for i, symbol in enumerate(ALPHABET)}
_N = len(ALPHABET)


def check_symbol(body: str) -> str:
    """The Luhn mod N check symbol for `body` (alphabet symbols only).

    Textbook Luhn mod N folds a doubled value by adding its base-N digits, which is only a
    permutation for even N. With N = 31 that folding maps e.g. 1 and 16 to the same value
    and misses the 2<->Z transposition, so the doubled value is reduced mod 31 instead:
    31 is prime, so every single substitution and every adjacent transposition of distinct
    symbols changes the sum.
    """
    total = 0
    for position, symbol in enumerate(reversed(body)):
        weight = 2 if position % 2 == 0 else 1
        total += weight * _INDEX[symbol]
    return ALPHABET[-total % _N]


def _check_sum_ok(code: str) -> bool:
    return check_symbol(code[:-1]) == code[-1]


def new_system_code() -> str:
    """A fresh random system code: 13 random symbols and a check symbol, 14 in all."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    return body + check_symbol(body)


def new_system_codes(n: int) -> list[str]:
    """`n` distinct fresh system codes (distinct within this batch only)."""
    if n < 0:
        raise ValueError("n must not be negative")
    made: dict[str, None] = {}  # a dict keeps generation order, unlike a set
    while len(made) < n:
        made[new_system_code()] = None
    return list(made)


def _system_shaped(text: str) -> str | None:
    """`text` as 14 alphabet symbols (spaces and dashes dropped, any case), or None."""
    # Non-ASCII is refused before upper(): '\u017f'.upper() is 'S', so look-alikes would get through.
    if not text.isascii():
        return None
    code = text.strip().upper().replace(" ", "").replace("-", "")
    if len(code) != LENGTH or any(symbol not in _INDEX for symbol in code):
        return None
    return code


def normalise_system_code(text: str) -> str | None:
    """The canonical code for what a person typed or scanned, or None if it is not a system code."""
    code = _system_shaped(text)
    return code if code is not None and _check_sum_ok(code) else None


def has_system_shape(text: str) -> bool:
    """Whether `text` is written like a system code, right check symbol or not (imported codes never are)."""
    return _system_shaped(text) is not None


def is_system_code(text: str) -> bool:
    return normalise_system_code(text) is not None


def format_for_display(code: str) -> str:
    """A code in blocks of four joined by '-' (e.g. 'ABCD-EFGH-JKMN-PQ'); normalise reads it back."""
    return "-".join(code[i : i + DISPLAY_GROUP] for i in range(0, len(code), DISPLAY_GROUP))


def is_valid_imported_code(text: str) -> bool:
    """Whether a merchant-supplied code has the allowed shape: 4-64 ASCII letters, digits, '-' or '_'."""
    return IMPORTED_CODE_RE.fullmatch(text) is not None


# An imported code must be at least this long, and its guess space (the alphabet of the character classes
# it uses, to the power of its length) at least MIN_GUESS_SPACE: all digits need 10 characters, one case
# of letters 8 (26^8 = 2 x 10^11). `-` and `_` count for nothing: they sit where a code's layout puts
# them ("12-34-56-78" is 8 digits to guess). One repeated character or a straight run ("12345678",
# "HGFEDCBA", "1234567890") is refused whatever its length.
MIN_IMPORTED_LENGTH = 8
MIN_GUESS_SPACE = 10**10
_SEPARATORS = str.maketrans("", "", "-_")
_CLASSES = (
    (frozenset("0123456789"), 10),
    (frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), 26),
    (frozenset("abcdefghijklmnopqrstuvwxyz"), 26),
)


def is_too_guessable(code: str) -> bool:
    """Whether a valid imported code is too easy to guess at a till (see MIN_GUESS_SPACE)."""
    if len(code) < MIN_IMPORTED_LENGTH:
        return True
    symbols = code.translate(_SEPARATORS)
    alphabet = sum(size for members, size in _CLASSES if members.intersection(symbols))
    return alphabet ** len(symbols) < MIN_GUESS_SPACE or is_pattern(symbols)


def is_pattern(symbols: str) -> bool:
    """One character repeated, or a straight run (each character one after the previous, up or down;
    digits on through 9 to 0, "7890123"): what a guesser tries first, whatever the length."""
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(symbols)}
    if symbols.isdigit():
        steps = {step % 10 for step in steps}
        return steps <= {0} or steps == {1} or steps == {9}
    return steps <= {0} or steps == {1} or steps == {-1}
