"""Unit tests for reading a file of codes, without S3: its layout, its batches, and each line's verdict."""

from __future__ import annotations

import pytest
from coupon_service import import_reader
from coupon_service.codes import new_system_code
from coupon_service.import_reader import Layout, Rejected
from hypothesis import given
from hypothesis import strategies as st


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@given(
    lines=st.lists(st.binary(max_size=20).filter(lambda b: b"\n" not in b), max_size=30),
    crlf=st.booleans(),
    size=st.integers(min_value=1, max_value=50),
)
def test_lines_are_the_same_however_the_file_is_chunked_and_offsets_point_after_each_line(lines, crlf, size):
    # Given a file of lines, ended with \n or \r\n, cut into chunks of any size
    ending = b"\r\n" if crlf else b"\n"
    data = ending.join(lines)
    # When it is read line by line
    read = list(import_reader.raw_lines(chunked(data, size), 0))
    # Then each line comes back without its ending (a last empty line is no line)
    pieces = data.split(b"\n")
    if pieces[-1] == b"":  # the file ends with a line's end (or is empty): no line after it
        pieces.pop()
    expected = [piece.removesuffix(b"\r") for piece in pieces]
    assert [raw for _, raw in read] == expected
    # And each offset is where the next line starts (just after a \n), the last one the file's end
    if read:
        assert read[-1][0] == len(data)
        for end, _ in read[:-1]:
            assert data[end - 1 : end] == b"\n"


def test_reading_from_an_offset_counts_offsets_from_the_start_of_the_file():
    data = b"AAAA1111\nBBBB2222\nCCCC3333\n"
    # Given the file read from the start of its second line
    read = list(import_reader.raw_lines([data[9:]], 9))
    # Then the offsets are the file's, as if read whole
    assert read == [(18, b"BBBB2222"), (27, b"CCCC3333")]


def test_a_plain_file_has_one_code_per_non_blank_line():
    layout = import_reader.check([b"\xef\xbb\xbfAAAA1111\n\n  \nBBBB2222\r\nCCCC3333"])
    assert layout == Layout(codes=3, column=None, header_line=None)


def test_a_csv_with_a_code_header_names_its_column_and_the_header_line():
    # Given a CSV whose first non-blank line is a header with a `code` column
    layout = import_reader.check([b"\n", b"name,Code,note\nx,AAAA1111,y\nz,BBBB2222,w\n"])
    # Then the codes are in that column, below the header on line 2
    assert layout == Layout(codes=2, column=1, header_line=2)
    # And a lone `code` header is a header too, a lone other word is a code
    assert import_reader.check([b"code\nAAAA1111\n"]) == Layout(codes=1, column=0, header_line=1)
    assert import_reader.check([b"codes\nAAAA1111\n"]) == Layout(codes=2)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"AAAA1111\n\x00\n", "binary"),
        (b"AAAA1111\n\xff\xfe\n", "not_utf8"),
        (b"\n \n\r\n", "no_codes"),
        (b"code\n", "no_codes"),
        (b"".join(b"C%07d\n" % i for i in range(import_reader.MAX_CODES + 1)), "too_many_codes"),
    ],
)
def test_a_file_that_cannot_be_imported_whole_is_rejected_with_its_reason(data, reason):
    with pytest.raises(Rejected) as rejected:
        import_reader.check(chunked(data, 7))
    assert rejected.value.reason == reason


def test_a_character_split_between_chunks_is_still_utf8():
    data = "AAAA1111\nÉTÉ-2024-XYZ\n".encode()
    cut = data.index("É".encode()) + 1  # inside the two bytes of the first É
    assert import_reader.check([data[:cut], data[cut:]]).codes == 2


def test_batches_resume_after_the_checkpoint_with_line_numbers_and_the_offset_to_resume_from():
    data = b"".join(b"C%07d\n" % i for i in range(7))
    # Given a file whose first three lines were imported (27 bytes)
    lines = import_reader.raw_lines([data[27:]], 27)
    # When the rest is read in batches of 3
    batches = list(import_reader.batches(lines, 3, size=3))
    # Then the batches number the lines 4-6 and 7, and each ends where the next starts
    assert [[n for n, _ in b.lines] for b in batches] == [[4, 5, 6], [7]]
    assert [b.last for b in batches] == [6, 7]
    assert [b.end for b in batches] == [54, 63]
    assert batches[0].lines[0] == (4, "C0000003")


def test_the_code_is_the_line_or_its_cell_in_the_code_column():
    assert import_reader.split("  AAAA1111 \t", None) == "AAAA1111"
    assert import_reader.split('x," BBBB2222 ",y', 1) == "BBBB2222"
    assert import_reader.split("x", 2) == ""  # no such cell: an empty code


def test_each_line_of_a_batch_is_a_candidate_or_fails_with_its_reason():
    # Given a batch of a CSV with its header on line 1
    lines = [
        (1, "code,note"),
        (2, "GOODCODE1,a"),
        (3, ""),
        (4, ",empty"),
        (5, "short1,b"),
        (6, "GOODCODE1,again"),
        (7, f"{new_system_code()},system-shaped"),
        (8, "bad code!,c"),
        (9, "GOODCODE2,d"),
    ]
    layout = Layout(codes=7, column=0, header_line=1)
    # When its lines are sorted
    found = import_reader.sort_lines(lines, layout, case_sensitive=True, allow_short_codes=False)
    # Then the header and the blank line are no codes, the first occurrence of a code wins
    assert found.candidates == {"GOODCODE1": 2, "GOODCODE2": 9}
    assert found.failures == [
        (4, "", "malformed"),
        (5, "short1", "too_guessable"),
        (6, "GOODCODE1", "duplicate_in_file"),
        (7, lines[6][1].split(",")[0], "malformed"),
        (8, "bad code!", "malformed"),
    ]


def test_a_case_insensitive_coupon_folds_codes_and_short_codes_pass_when_allowed():
    lines = [(1, "abcd"), (2, "ABCD"), (3, "goodcode7")]
    found = import_reader.sort_lines(lines, Layout(codes=3), case_sensitive=False, allow_short_codes=True)
    assert found.candidates == {"ABCD": 1, "GOODCODE7": 3}
    assert found.failures == [(2, "ABCD", "duplicate_in_file")]
