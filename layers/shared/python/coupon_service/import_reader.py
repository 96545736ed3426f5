"""Reading a file of codes, with no S3 and no table: its layout, its lines in batches, each line's verdict.

A file is read twice: once whole (`check`) to reject it before any write, then from a checkpoint in
batches of lines (`batches`), each sorted into candidate codes and lines that fail (`sort_lines`).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict

from coupon_service.codes import has_system_shape, is_too_guessable, is_valid_imported_code

MAX_CODES = 100_000
BATCH_LINES = 500
REASONS = ("malformed", "too_guessable", "duplicate_in_file", "already_exists")
Reason = Literal["malformed", "too_guessable", "duplicate_in_file", "already_exists"]
Failure = tuple[int, str, Reason]  # (line, code, reason)


class Rejected(Exception):
    """The whole file is refused: nothing of it is imported."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Layout(BaseModel):
    """How a file holds its codes, found by the checking pass."""

    model_config = ConfigDict(defer_build=True)
    codes: int
    column: int | None = None  # CSV: the index of the `code` column; None: one code per line
    header_line: int | None = None


def raw_lines(chunks: Iterable[bytes], offset: int) -> Iterator[tuple[int, bytes]]:
    """(byte offset after the line, the line without its end) from the file's bytes, chunk by chunk;
    `offset` is where the first chunk starts in the file."""
    pending = b""
    position = offset
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            position += len(raw) + 1
            yield position, raw.removesuffix(b"\r")
    if pending:
        position += len(pending)
        yield position, pending.removesuffix(b"\r")


def _header_column(text: str) -> int | None:
    """The `code` column of a CSV header line, or None when the first line is a code."""
    cells = [c.strip().lower() for c in next(csv.reader([text.strip()]), [])]
    if "code" in cells and (len(cells) > 1 or cells == ["code"]):
        return cells.index("code")
    return None


def check(chunks: Iterable[bytes]) -> Layout:
    """Read the whole file once: UTF-8 text, its layout, and at most MAX_CODES codes."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    codes = 0
    column: int | None = None
    header_line: int | None = None
    first = True
    line_no = 0
    for _, raw in raw_lines(chunks, 0):
        line_no += 1
        if b"\x00" in raw:
            raise Rejected("binary")
        try:
            text = decoder.decode(raw + b"\n")
        except UnicodeDecodeError as error:
            raise Rejected("not_utf8") from error
        text = text.removeprefix("\ufeff") if line_no == 1 else text
        if not text.strip():
            continue
        if first:
            first = False
            column = _header_column(text)
            if column is not None:
                header_line = line_no
                continue
        codes += 1
        if codes > MAX_CODES:
            raise Rejected("too_many_codes")
    if codes == 0:
        raise Rejected("no_codes")
    return Layout(codes=codes, column=column, header_line=header_line)


@dataclass(frozen=True)
class Batch:
    lines: list[tuple[int, str]]  # (line number, its text)
    end: int  # the byte offset after its last line: where the next batch starts

    @property
    def last(self) -> int:
        return self.lines[-1][0]


def batches(lines: Iterator[tuple[int, bytes]], lines_done: int, size: int = BATCH_LINES) -> Iterator[Batch]:
    """The lines after the checkpoint (`lines_done` lines read so far) in batches of `size`, decoded (the
    checking pass proved the file UTF-8)."""
    line_no = lines_done
    while True:
        taken: list[tuple[int, str]] = []
        end = 0
        for end, raw in lines:  # noqa: B007 - `end` is the byte offset after the last line taken
            line_no += 1
            taken.append((line_no, raw.decode("utf-8").removeprefix("\ufeff")))
            if len(taken) == size:
                break
        if not taken:
            return
        yield Batch(taken, end)


def split(text: str, column: int | None) -> str:
    """The code a line holds: the whole line, or its cell in the `code` column ("" when it has none)."""
    if column is None:
        return text.strip()
    cells = next(csv.reader([text]), [])
    return cells[column].strip() if column < len(cells) else ""


@dataclass
class Sorted:
    candidates: dict[str, int] = field(default_factory=dict)  # code -> its first line, in file order
    failures: list[Failure] = field(default_factory=list)


def sort_lines(
    lines: list[tuple[int, str]], layout: Layout, *, case_sensitive: bool, allow_short_codes: bool
) -> Sorted:
    """Each line of a batch: no code (the header, a blank line), a failure, or a candidate for the registry.
    Within the batch the first occurrence of a code wins; the registry finds duplicates across batches."""
    found = Sorted()
    for line_no, text in lines:
        if line_no == layout.header_line or not text.strip():
            continue  # the header and blank lines are no codes
        code = split(text, layout.column)
        if not is_valid_imported_code(code) or has_system_shape(code):  # an empty cell included
            found.failures.append((line_no, code, "malformed"))
            continue
        code = code if case_sensitive else code.upper()
        if not allow_short_codes and is_too_guessable(code):
            found.failures.append((line_no, code, "too_guessable"))
        elif code in found.candidates:
            found.failures.append((line_no, code, "duplicate_in_file"))
        else:
            found.candidates[code] = line_no
    return found
