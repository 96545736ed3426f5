"""CSV a spreadsheet opens safely: cells it would run as formulas are shown as text (OWASP, CSV injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

# A spreadsheet reads a cell starting with one of these as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | None


def safe_cell(value: Cell) -> str:
    """A cell's text, shown as text by a spreadsheet: one that would start a formula (also after leading
    spaces, which spreadsheets skip) gets a leading single quote. Numbers are written as they are."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return "'" + value if value.lstrip(" ").startswith(FORMULA_STARTS) else value


def csv_bytes(rows: Iterable[Sequence[Cell]]) -> bytes:
    """Rows as UTF-8 CSV (CRLF line ends, fields quoted where CSV needs it), every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue().encode()
