"""Unit tests for coupon codes: randomness, the check symbol, normalising, display and imported codes."""

from __future__ import annotations

import pytest
from coupon_service import codes
from hypothesis import given
from hypothesis import strategies as st

bodies = st.text(alphabet=codes.ALPHABET, min_size=codes.RANDOM_SYMBOLS, max_size=codes.RANDOM_SYMBOLS)
valid_codes = bodies.map(lambda body: body + codes.check_symbol(body))


def test_alphabet_has_31_symbols_without_look_alikes():
    # Given the code alphabet
    # Then it has 31 distinct symbols and none of 0, O, 1, I, L
    assert len(codes.ALPHABET) == 31
    assert len(set(codes.ALPHABET)) == 31
    assert not set("0O1IL") & set(codes.ALPHABET)
    assert codes.ALPHABET.isupper() and codes.ALPHABET.isascii()


def test_system_code_has_14_alphabet_symbols_and_at_least_64_bits():
    # Given a freshly generated system code
    code = codes.new_system_code()
    # Then it is 13 random symbols plus 1 check symbol, all from the alphabet
    assert len(code) == 14 == codes.LENGTH
    assert set(code) <= set(codes.ALPHABET)
    # And the random part carries at least 64 bits
    assert 31**codes.RANDOM_SYMBOLS >= 2**64
    # And it passes its own check
    assert codes.is_system_code(code)
    assert codes.normalise_system_code(code) == code


def test_ten_thousand_codes_are_distinct_and_valid():
    # Given a batch of 10,000 system codes
    batch = codes.new_system_codes(10_000)
    # Then there are exactly 10,000, all distinct, all valid, all 14 symbols
    assert len(batch) == 10_000
    assert len(set(batch)) == 10_000
    assert all(len(code) == 14 and codes.is_system_code(code) for code in batch)


def test_separately_generated_codes_do_not_repeat():
    # Given 10,000 codes made one by one (no de-duplication in the generator)
    made = {codes.new_system_code() for _ in range(10_000)}
    # Then none repeats
    assert len(made) == 10_000


def test_every_symbol_position_varies_across_codes():
    # Given many codes
    batch = codes.new_system_codes(2_000)
    # Then every position takes many different symbols (nothing is fixed or biased to one value)
    for position in range(codes.LENGTH):
        assert len({code[position] for code in batch}) > 25


def test_new_system_codes_zero_and_negative():
    # Given a request for no codes, Then none are made
    assert codes.new_system_codes(0) == []
    # Given a negative count, Then it is refused
    with pytest.raises(ValueError):
        codes.new_system_codes(-1)


def test_known_check_symbol():
    # Given a body of all '2' (value 0) except a final '3' (value 1, doubled)
    body = "2" * 12 + "3"
    # Then the weighted sum is 2 and the check symbol has value 31 - 2 = 29, i.e. 'Y'
    assert codes.check_symbol(body) == "Y"
    assert codes.is_system_code(body + "Y")


@given(valid_codes)
def test_every_single_substitution_is_rejected(code):
    # Given a valid code
    assert codes.is_system_code(code)
    # When any one symbol (check symbol included) is replaced by any other symbol
    for position in range(len(code)):
        for other in codes.ALPHABET:
            if other == code[position]:
                continue
            mutated = code[:position] + other + code[position + 1 :]
            # Then the check symbol rejects it
            assert codes.normalise_system_code(mutated) is None, (code, mutated)


@given(valid_codes)
def test_every_adjacent_transposition_of_distinct_symbols_is_rejected(code):
    # Given a valid code
    for position in range(len(code) - 1):
        a, b = code[position], code[position + 1]
        if a == b:
            continue
        # When two neighbouring distinct symbols (check symbol included) are swapped
        swapped = code[:position] + b + a + code[position + 2 :]
        # Then the check symbol rejects it
        assert not codes.is_system_code(swapped), (code, swapped)


def test_transposition_of_first_and_last_alphabet_symbols_is_caught():
    # Given a code with '2' (value 0) next to 'Z' (value 30), the pair textbook Luhn mod N misses
    body = "ABCDEFGHJKM2Z"
    code = body + codes.check_symbol(body)
    # When they are swapped
    swapped = "ABCDEFGHJKMZ2" + code[-1]
    # Then the swap is detected
    assert codes.is_system_code(code)
    assert not codes.is_system_code(swapped)


@given(valid_codes)
def test_display_form_round_trips(code):
    # Given a valid code
    # When it is formatted for display
    shown = codes.format_for_display(code)
    # Then it is blocks of 4 joined by '-', and normalising gives the code back
    assert shown.split("-") == [code[0:4], code[4:8], code[8:12], code[12:14]]
    assert codes.normalise_system_code(shown) == code


def test_display_example():
    # Given a 14-symbol code, Then it displays as 4-4-4-2
    assert codes.format_for_display("ABCDEFGHJKMNPQ") == "ABCD-EFGH-JKMN-PQ"


@given(valid_codes, st.lists(st.sampled_from([" ", "-"]), max_size=14), st.randoms(use_true_random=False))
def test_normalise_accepts_lower_case_spaces_and_dashes(code, noise, random):
    # Given a valid code typed in lower case with spaces and dashes sprinkled in
    typed = list(code.lower())
    for separator in noise:
        typed.insert(random.randint(0, len(typed)), separator)
    # When it is normalised
    # Then the canonical code comes back
    assert codes.normalise_system_code("".join(typed)) == code


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ABCD",
        "ABCDEFGHJKMNPQR",  # 15 symbols
        "ABCDEFGHJKMNP",  # 13 symbols
        "0BCDEFGHJKMNPQ",  # '0' is not in the alphabet
        "IBCDEFGHJKMNPQ",
        "ABCDEFGHJKMNP_",
        "ABCDEFGHJKMNP\u017f",  # long s: upper() would make it 'S'
        "ABCDEFGHJKMNP\uff21",  # full-width A
    ],
)
def test_normalise_rejects_wrong_length_and_foreign_symbols(text):
    # Given text that is not 14 alphabet symbols, Then it is not a system code
    assert codes.normalise_system_code(text) is None
    assert codes.is_system_code(text) is False


def test_normalise_rejects_non_ascii_that_upper_cases_into_the_alphabet():
    # Given a valid code whose 'S' is written as long s (which upper-cases to 'S')
    body = "SSSSSSSSSSSSS"
    code = body + codes.check_symbol(body)
    sneaky = "\u017f" + code[1:]
    assert sneaky.upper() == code
    # Then it is refused rather than silently accepted
    assert codes.normalise_system_code(sneaky) is None


@pytest.mark.parametrize("text", ["ABCD", "abcd", "1234", "a-b_", "X" * 64, "promo-2024_SPRING"])
def test_valid_imported_codes(text):
    # Given 4-64 letters, digits, '-' or '_', Then it is a valid imported code
    assert codes.is_valid_imported_code(text)


@pytest.mark.parametrize(
    "text",
    ["", "ABC", "X" * 65, "AB CD", "ABCD!", "ABCD\n", "\nABCD", "ÀBCD", "ABC\u0661", "AB.CD", "AB/CD"],
)
def test_invalid_imported_codes(text):
    # Given a too short or long code, or one with other characters, Then it is refused
    assert not codes.is_valid_imported_code(text)


@given(st.text(max_size=70))
def test_imported_code_rule_matches_its_definition(text):
    # Given any text
    expected = 4 <= len(text) <= 64 and all(c.isascii() and (c.isalnum() or c in "-_") for c in text)
    # Then the validator agrees with the plain-words rule
    assert codes.is_valid_imported_code(text) is expected


@pytest.mark.parametrize(
    "text",
    [
        "AB12_-x",  # 7 characters
        "123456789",  # all digits: 10^9 guesses
        "1234-5678",  # digits and a dash: 12^9 guesses
        "ZZZZZZZZZZZZ",  # one repeated character
        "0123456789",  # a straight run up
        "hgfedcba",  # a straight run down
    ],
)
def test_imported_codes_that_are_too_easy_to_guess(text):
    # Given a code that is valid in shape but short, of a tiny alphabet, or a pattern, Then it is refused
    assert codes.is_valid_imported_code(text)
    assert codes.is_too_guessable(text)


@pytest.mark.parametrize(
    "text",
    [
        "12-34-56-78",  # 8 digits: the dashes sit where the layout puts them, and add no guesses
        "1234_5678_9",  # 9 digits
        "A-B-C-D-E-F-G-H",  # a straight run, spelled out with dashes
        "1234567890",  # a straight run up through 9 to 0
        "0987654321",  # and down through 0 to 9
    ],
)
def test_separators_and_a_run_through_nine_do_not_make_a_code_hard_to_guess(text):
    # Given a code that only looks long or varied: dashes between few digits, or the digits in order
    # Then it is refused like the code it spells
    assert codes.is_valid_imported_code(text)
    assert codes.is_too_guessable(text)


@pytest.mark.parametrize("text", ["8301957264", "GOOD-001", "C0000000", "abcdefgz", "POS-0001", "A1B2C3D4"])
def test_imported_codes_hard_enough_to_guess(text):
    # Given 10 digits, or 8 characters of letters (with or without digits), Then it is accepted
    assert not codes.is_too_guessable(text)
