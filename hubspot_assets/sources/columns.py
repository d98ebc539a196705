"""HubSpot property types -> warehouse column types, and pages of CRM records -> typed Arrow tables.

HubSpot sends every property value as a string (or null). The warehouse should hold numbers, dates, timestamps
and booleans, so each property's declared `type` picks an Arrow type here; dlt takes the column types from the
Arrow schema and loads the table as parquet (insert statements are far too slow for 300-property rows).

Conversion is column-wise with Arrow casts (fast); a column whose values Arrow cannot cast in one go (epoch
milliseconds in a datetime property, a date-only value, a stray word in a number) falls back to a per-value
parser, and a value that still cannot be read becomes null rather than failing the run.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Context, Decimal, Inexact, InvalidOperation
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from hubspot_assets.hubspot.record_pages import RecordPage
from hubspot_assets.sources.settings import HARD_DELETE_COLUMN, PROPERTY_PREFIX_ON_CLASH, RECORD_COLUMNS

log = logging.getLogger(__name__)

TIMESTAMP = pa.timestamp("us", tz="UTC")

# HubSpot property `type` -> Arrow type. Anything unknown (and enumeration, phone_number, string) is text;
# multi-select enumerations stay `;`-joined text, as HubSpot sends them.
ARROW_TYPES: Mapping[str, pa.DataType] = {
    "bool": pa.bool_(),
    "boolean": pa.bool_(),
    "number": pa.float64(),
    "date": pa.date32(),
    "datetime": TIMESTAMP,
    "enumeration": pa.string(),
    "phone_number": pa.string(),
    "string": pa.string(),
}

# Number properties known to hold HubSpot's own 64-bit record ids: BIGINT (a value past 64 bits becomes null with a
# warning). Other number properties named `*_id` may hold anything a user typed (an external id of 20 digits, a
# decimal), so they get an exact decimal wide enough for any of them: floats would print `1.0` and lose digits.
INTEGER_NUMBER_PROPERTIES = frozenset({"hs_object_id"})
ID_DECIMAL = pa.decimal128(38, 9)


def field_value(obj: Any, name: str, default: Any = None) -> Any:
    """Read `name` from a pydantic model, a dataclass or a dict (the client returns models; tests may pass dicts)."""
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def arrow_type_for(prop: Any) -> pa.DataType:
    """The Arrow type of one HubSpot property definition (`name`, `type` as in GET /crm/v3/properties)."""
    name = field_value(prop, "name")
    hs_type = (field_value(prop, "type") or "string").lower()
    if hs_type == "number" and name in INTEGER_NUMBER_PROPERTIES:
        return pa.int64()
    if hs_type == "number" and str(name).endswith("_id"):
        return ID_DECIMAL
    return ARROW_TYPES.get(hs_type, pa.string())


def column_name(property_name: str) -> str:
    """The warehouse column of a property: its own name, unless it clashes with a record-level column."""
    if property_name in RECORD_COLUMNS or property_name == HARD_DELETE_COLUMN:
        return PROPERTY_PREFIX_ON_CLASH + property_name
    return property_name


@dataclass(frozen=True)
class RecordLayout:
    """The fixed column layout of one CRM object table: record columns, then every property in HubSpot's order."""

    object_type: str
    properties: tuple[str, ...]
    schema: pa.Schema

    @classmethod
    def from_properties(cls, object_type: str, properties: Iterable[Any]) -> RecordLayout:
        names: list[str] = []
        fields = [
            pa.field("id", pa.int64(), nullable=False),
            pa.field("created_at", TIMESTAMP),
            pa.field("updated_at", TIMESTAMP),
            pa.field("archived", pa.bool_()),
            pa.field("archived_at", TIMESTAMP),
        ]
        seen: set[str] = set()
        for prop in properties:
            name = field_value(prop, "name")
            if not name or name in seen or field_value(prop, "archived", False):
                continue
            seen.add(name)
            names.append(name)
            fields.append(pa.field(column_name(name), arrow_type_for(prop)))
        return cls(object_type, tuple(names), pa.schema(fields))

    def table(self, records: Sequence[Mapping[str, Any]] | RecordPage) -> pa.Table:
        """A typed Arrow table of HubSpot records (their shape: id, properties, createdAt, updatedAt, archived...),
        given as dicts or as a `RecordPage` (whose values are typed without a Python object per value)."""
        if isinstance(records, RecordPage):
            return self.page_table(records)
        columns: list[pa.Array] = [
            _to_int64([r.get("id") for r in records]),
            to_timestamp([r.get("createdAt") for r in records]),
            to_timestamp([r.get("updatedAt") for r in records]),
            pa.array([bool(r.get("archived", False)) for r in records], pa.bool_()),
            to_timestamp([r.get("archivedAt") for r in records]),
        ]
        props = [r.get("properties") or {} for r in records]
        fields = list(self.schema)[5:]
        try:
            # Arrow reads every property of every record in one C++ pass (HubSpot sends strings).
            struct = pa.array(props, type=pa.struct([pa.field(n, pa.string()) for n in self.properties]))
            raw = [struct.field(i) for i in range(len(self.properties))]
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # a non-string value somewhere: the slow, forgiving path
            raw = [pa.array([_text(p.get(name)) for p in props], pa.string()) for name in self.properties]
        for field, values in zip(fields, raw, strict=True):
            columns.append(convert_strings(values, field.type))
        return pa.Table.from_arrays(columns, schema=self.schema)

    def page_table(self, page: RecordPage) -> pa.Table:
        """`table` of a `RecordPage`: each property converted from HubSpot's strings in one Arrow pass."""
        columns: list[pa.Array] = [
            pa.array(page.ids, pa.int64()),
            timestamps(page.field("createdAt")),
            timestamps(page.field("updatedAt")),
            pc.fill_null(page.field("archived"), False),
            timestamps(page.field("archivedAt")),
        ]
        asked = set(page.property_names)
        for name, field in zip(self.properties, list(self.schema)[5:], strict=True):
            values = page.values(name) if name in asked else pa.nulls(len(page), pa.string())
            columns.append(convert_strings(values, field.type))
        return pa.Table.from_arrays(columns, schema=self.schema)


def timestamps(values: pa.Array) -> pa.Array:
    """HubSpot's time strings (ISO-8601, or epoch milliseconds) as UTC timestamps; unreadable ones null."""
    if values.null_count == len(values):
        return pa.nulls(len(values), TIMESTAMP)
    return convert_strings(values, TIMESTAMP)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def convert_strings(values: pa.Array, arrow_type: pa.DataType) -> pa.Array:
    """An Arrow string array of HubSpot values -> `arrow_type` (empty strings are null for non-text types)."""
    if pa.types.is_string(arrow_type):
        return values
    if values.null_count == len(values):
        return pa.nulls(len(values), arrow_type)
    values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
    if pa.types.is_boolean(arrow_type):
        values = pc.utf8_lower(values)
    try:
        return pc.cast(values, arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return convert(values.to_pylist(), arrow_type)


def convert(values: list[Any], arrow_type: pa.DataType) -> pa.Array:
    """HubSpot string values -> an Arrow array of `arrow_type` (empty strings are null for non-text types)."""
    if pa.types.is_string(arrow_type):
        return pa.array([None if v is None else str(v) for v in values], pa.string())
    cleaned = [None if v is None or v == "" else v for v in values]
    if pa.types.is_timestamp(arrow_type):
        return to_timestamp(cleaned)
    if pa.types.is_date32(arrow_type):
        return _cast_or_parse(cleaned, arrow_type, _parse_date)
    if pa.types.is_boolean(arrow_type):
        return _cast_or_parse([v.lower() if isinstance(v, str) else v for v in cleaned], arrow_type, _parse_bool)
    if pa.types.is_int64(arrow_type):
        return _to_int64(cleaned)
    if pa.types.is_decimal(arrow_type):
        return _cast_or_parse(cleaned, arrow_type, functools.partial(_parse_decimal, scale=arrow_type.scale,
                                                                     precision=arrow_type.precision))
    return _cast_or_parse(cleaned, arrow_type, _parse_float)


def to_timestamp(values: list[Any]) -> pa.Array:
    """ISO-8601 strings (or epoch-millisecond numbers/strings, or date-only strings) -> UTC timestamps."""
    cleaned = [None if v is None or v == "" else v for v in values]
    if all(v is None or isinstance(v, str) for v in cleaned):
        return _cast_or_parse(cleaned, TIMESTAMP, parse_datetime)
    return pa.array([parse_datetime(v) for v in cleaned], TIMESTAMP)


def _to_int64(values: list[Any]) -> pa.Array:
    try:
        return pa.array([None if v is None or v == "" else int(v) for v in values], pa.int64())
    except (TypeError, ValueError, OverflowError, pa.ArrowInvalid):
        parsed = [_parse_int(v) for v in values]
        unreadable = sum(1 for v, p in zip(values, parsed, strict=True) if v not in (None, "") and p is None)
        if unreadable:
            log.warning("%d value(s) could not be read as a 64-bit integer and were loaded as null", unreadable)
        return pa.array(parsed, pa.int64())


def _cast_or_parse(values: list[Any], arrow_type: pa.DataType, parse) -> pa.Array:
    try:
        return pc.cast(pa.array(values, pa.string()), arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        parsed = [parse(v) for v in values]
        unreadable = sum(1 for v, p in zip(values, parsed, strict=True) if v is not None and p is None)
        if unreadable:
            log.warning("%d value(s) could not be read as %s and were loaded as null", unreadable, arrow_type)
        return pa.array(parsed, arrow_type)


def _parse_float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _parse_int(value: Any) -> int | None:
    number = _parse_decimal(value, scale=0, precision=19)
    if number is None or not -(2**63) <= number < 2**63:
        return None
    return int(number)


def _parse_decimal(value: Any, *, scale: int, precision: int) -> Decimal | None:
    """A number as an exact decimal of at most `precision` digits, `scale` of them after the point (None when it
    is not a number, does not fit, or would lose digits after the point)."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    quantum = Decimal(1).scaleb(-scale)
    try:
        exact = number.quantize(quantum, context=Context(prec=precision, traps=[InvalidOperation, Inexact]))
    except (InvalidOperation, Inexact):
        return None
    return exact


def _parse_bool(value: Any) -> bool | None:
    text = str(value).strip().lower() if value is not None else None
    if text in ("true", "1", "yes", "y", "on"):
        return True
    if text in ("false", "0", "no", "n", "off"):
        return False
    return None


def parse_datetime(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, int | float) or (isinstance(value, str) and value.lstrip("-").isdigit()):
        return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _parse_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    moment = parse_datetime(value)
    return moment.date() if moment else None


def epoch_ms(value: Any) -> int | None:
    """An ISO-8601 string, datetime or epoch-ms value -> epoch milliseconds (None when unreadable)."""
    moment = parse_datetime(value)
    return int(moment.timestamp() * 1000) if moment else None
