"""Where a grant's customers come from: a list (written with the grant), or read by the job once: the
customers of a tag of the merchant's directory, a segment's last membership, or an uploaded file of ids.

A file goes through the import's safeguards (`import_reader`): at most the import's size (the upload form's
limit), UTF-8 text without NUL bytes, at most `MAX_IDS` non-blank lines, read whole once before anything is
issued; then each line is an id (or the `customer_id` cell of a CSV with that header), and a line that is no
id is counted (`malformed`), never issued.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from coupon_service import import_files, import_reader
from coupon_service.errors import NotFound
from coupon_service.grant_items import IDS_PER_CHUNK, GrantItem
from coupon_service.import_reader import Rejected
from coupon_service.models.grants import GrantRequest
from coupon_service.store.customers import CustomerBook
from coupon_service.store.grants import GrantStore
from coupon_service.store.segments import SegmentBook
from coupon_service.store.table import Table

PREFIX = "grants/"
MAX_IDS = import_reader.MAX_CODES
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,127}$")  # models.grants.CustomerId
_KEY = re.compile(r"^grants/(?P<grant>[0-9a-f]{32})$")
# The import's reasons for refusing a whole file, as a file of ids names them.
_REFUSALS = {"too_many_codes": "too_many_ids", "no_codes": "no_ids"}


@dataclass(frozen=True)
class Customers:
    """A source's customers as the grant's chunks: distinct ids in order, ids seen again, lines no id."""

    chunks: list[list[str]]
    duplicates: int = 0
    malformed: int = 0

    @property
    def requested(self) -> int:
        return sum(len(c) for c in self.chunks)


class Unusable(Exception):
    """The source cannot be read into customers (a file that is no file of ids): the grant fails."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_source(table: Table, merchant_id: str, body: GrantRequest) -> None:
    """Refuse a source that names nothing of the merchant's (an unknown or another's segment: 404) before a
    grant is made."""
    if body.segment_id is not None:
        SegmentBook(table).owned(merchant_id, body.segment_id, field="segment_id")


def grant_of_key(store: GrantStore, key: str) -> GrantItem | None:
    """The grant whose file an uploaded object's key is, if it is one's and it awaits it."""
    found = _KEY.match(key)
    grant = store.grant(found["grant"]) if found else None
    if grant is None or grant.upload_key != key or grant.status != "awaiting_upload":
        return None
    return grant


def chunked(ids: Iterable[str], malformed: int = 0) -> Customers:
    """Distinct ids in the order first seen, in chunks, with how many were seen again."""
    seen: dict[str, None] = {}
    given = 0
    for customer_id in ids:
        given += 1
        seen.setdefault(customer_id)
    distinct = list(seen)
    chunks = [distinct[i : i + IDS_PER_CHUNK] for i in range(0, len(distinct), IDS_PER_CHUNK)]
    return Customers(chunks, duplicates=given - len(distinct), malformed=malformed)


def customers(grant: GrantItem, table: Table, bucket: str) -> Customers:
    """The customers of a grant's tag, segment or file (a list's are written with the grant)."""
    if grant.source == "upload":
        return _file(bucket, str(grant.upload_key), str(grant.upload_version))
    if grant.source == "tag":  # the directory's customers with the tag, as they are now
        return chunked(CustomerBook(table).with_tag(grant.merchant_id, str(grant.tag)))
    if grant.source == "segment":
        return chunked(_members(SegmentBook(table), grant.merchant_id, str(grant.segment_id)))
    raise Unusable(f"no customers to read for a {grant.source} grant")


def _members(book: SegmentBook, merchant_id: str, segment_id: str) -> Iterator[str]:
    """The segment's last complete membership (none before its first evaluation)."""
    try:
        segment = book.owned(merchant_id, segment_id, field="segment_id")
    except NotFound as gone:  # deleted since the grant was asked for
        raise Unusable("segment_gone") from gone
    return book.members(segment_id, segment.generation) if segment.generation else iter(())


def _file(bucket: str, key: str, version: str) -> Customers:
    try:
        import_reader.check(import_files.object_chunks(bucket, key, version))  # the import's checks, whole
    except Rejected as rejected:
        raise Unusable(_REFUSALS.get(rejected.reason, rejected.reason)) from rejected
    counted = _Counted()
    lines = import_reader.raw_lines(import_files.object_chunks(bucket, key, version), 0)
    found = chunked(counted.ids(batch.lines for batch in import_reader.batches(lines, 0)))
    if found.requested + found.duplicates + counted.malformed > MAX_IDS:
        raise Unusable("too_many_ids")
    return Customers(found.chunks, duplicates=found.duplicates, malformed=counted.malformed)


class _Counted:
    """A file's lines as ids: one per line, or the `customer_id` cell of a CSV with that header."""

    def __init__(self) -> None:
        self.malformed = 0
        self.column: int | None = None

    def ids(self, batches: Iterable[list[tuple[int, str]]]) -> Iterator[str]:
        for lines in batches:
            for line_no, text in lines:
                if not text.strip():
                    continue
                if line_no == 1 and self._header(text):
                    continue
                found = import_reader.split(text, self.column)
                if ID.match(found):
                    yield found
                else:
                    self.malformed += 1

    def _header(self, text: str) -> bool:
        cells = [c.strip().lower() for c in next(csv.reader([text.strip()]), [])]
        if "customer_id" in cells:
            self.column = cells.index("customer_id") if len(cells) > 1 else None
            return True
        return False
