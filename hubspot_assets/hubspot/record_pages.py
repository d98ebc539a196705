"""Pages of CRM records as Arrow, parsed from HubSpot's JSON without building a Python object per value.

A page of 200 contacts with 340 properties is megabytes of JSON and tens of thousands of values. Parsed into dicts
(orjson) and then into Arrow, it holds the interpreter's lock the whole time; pyarrow's JSON reader builds the same
Arrow arrays as fast without holding it, so the threads reading other pages (and the rest of the pipeline) keep
running. Bulk
reads (batch reads and searches of every property) use these pages; they carry what a reader needs: the ids as an
int64 array, a `take` to keep some records, the raw properties (strings, as HubSpot sends them) for typing.

An answer the reader cannot parse with the expected types (a number where HubSpot sends a string, a pretty-printed
body) is parsed with orjson and checked like any other answer, then converted: nothing is lost, it is only slower.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

# The record fields every page carries besides `properties` (all strings but `archived`, as HubSpot sends them).
TOP_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    ("id", pa.string()),
    ("createdAt", pa.string()),
    ("updatedAt", pa.string()),
    ("archived", pa.bool_()),
    ("archivedAt", pa.string()),
)


def record_type(properties: Sequence[str]) -> pa.StructType:
    """The Arrow type of one record with these properties (each a string, as HubSpot sends property values)."""
    props = pa.struct([pa.field(name, pa.string()) for name in properties])
    return pa.struct([*(pa.field(name, kind) for name, kind in TOP_FIELDS), pa.field("properties", props)])


class RecordPage:
    """The records of one answer: a struct array of `id`, `createdAt`, `updatedAt`, `archived`, `archivedAt` and
    `properties` (one string field per asked property, null when HubSpot sent none). Iterating gives the records as
    dicts in HubSpot's shape (slow; for tests and small pages)."""

    __slots__ = ("records", "_ids")

    def __init__(self, records: pa.StructArray) -> None:
        self.records = records
        self._ids: np.ndarray | None = None

    @classmethod
    def from_dicts(cls, records: Sequence[Mapping[str, Any]], properties: Sequence[str]) -> RecordPage:
        """A page from records already parsed as dicts (an answer in HubSpot's shape)."""
        kind = record_type(properties)
        try:
            return cls(pa.array(records, type=kind))
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # a value of another type somewhere: the forgiving path
            return cls(pa.array([_as_text_record(r, properties) for r in records], type=kind))

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records.to_pylist())

    @property
    def ids(self) -> np.ndarray:
        """The record ids, as int64, in page order."""
        if self._ids is None:
            self._ids = np.asarray(self.records.field("id").cast(pa.int64()).to_numpy(zero_copy_only=False))
        return self._ids

    def field(self, name: str) -> pa.Array:
        """A top-level field (`id`, `createdAt`, `updatedAt`, `archived`, `archivedAt`)."""
        return self.records.field(name)

    def values(self, name: str) -> pa.Array:
        """One property's values (strings; null when absent)."""
        return self.records.field("properties").field(name)

    @property
    def property_names(self) -> list[str]:
        return [field.name for field in self.records.type.field("properties").type]

    def take(self, keep: np.ndarray) -> RecordPage:
        """The records where the boolean mask `keep` is true (or at these positions), in page order."""
        indices = np.flatnonzero(keep) if keep.dtype == bool else keep
        if len(indices) == len(self.records):
            return self
        page = RecordPage(self.records.take(pa.array(indices, pa.int64())))
        page._ids = self.ids[indices]
        return page

    @staticmethod
    def concat(pages: Sequence[RecordPage]) -> RecordPage:
        if len(pages) == 1:
            return pages[0]
        return RecordPage(pa.concat_arrays([page.records for page in pages]))


def _as_text_record(record: Mapping[str, Any], properties: Sequence[str]) -> dict[str, Any]:
    props = record.get("properties") or {}
    out: dict[str, Any] = {
        "id": _text(record.get("id")),
        "createdAt": _text(record.get("createdAt")),
        "updatedAt": _text(record.get("updatedAt")),
        "archived": bool(record.get("archived", False)),
        "archivedAt": _text(record.get("archivedAt")),
    }
    out["properties"] = {name: _text(props.get(name)) for name in properties}
    return out


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class ArrowAnswer(NamedTuple):
    """An answer `parse_answer` took: its records and, for a search, its `total` and next `after`."""

    page: RecordPage
    total: int | None = None
    after: str | None = None


def parse_answer(raw: bytes, properties: Sequence[str], *, searched: bool = False) -> ArrowAnswer | None:
    """A batch-read or search answer parsed by pyarrow's JSON reader; None when the body does not have the expected
    types (the caller then parses it the usual way). Raises nothing."""
    fields = [pa.field("results", pa.list_(record_type(properties)))]
    if searched:
        fields.append(pa.field("total", pa.int64()))
        fields.append(pa.field("paging", pa.struct([pa.field("next", pa.struct([pa.field("after", pa.string())]))])))
    schema = pa.schema(fields)
    try:
        table = pa_json.read_json(
            io.BytesIO(raw),
            read_options=pa_json.ReadOptions(use_threads=False, block_size=max(len(raw) + 1, 1 << 16)),
            parse_options=pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    if table.num_rows != 1:
        return None
    results = table.column("results").combine_chunks()
    if results.null_count:  # no `results` list: not an answer of the expected shape
        return None
    records = pc.list_flatten(results)
    if not isinstance(records, pa.StructArray) or records.field("id").null_count:
        return None
    try:
        page = RecordPage(records)
        page.ids  # every id must be a number
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if not searched:
        return ArrowAnswer(page)
    after = table.column("paging").combine_chunks().field("next").field("after")[0].as_py()
    return ArrowAnswer(page, table.column("total")[0].as_py(), after or None)


def decoder(properties: Sequence[str], *, searched: bool = False) -> Any:
    """A transport `decode` for batch-read or search answers: an `ArrowAnswer`, or, for a body of another shape,
    the JSON parsed by orjson (raising ValueError when it is not JSON: a malformed answer, retried)."""
    names = list(properties)

    def decode(raw: bytes) -> Any:
        answer = parse_answer(raw, names, searched=searched)
        return answer if answer is not None else orjson.loads(raw)

    return decode
