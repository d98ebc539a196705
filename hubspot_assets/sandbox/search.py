"""HubSpot CRM search semantics, as pure functions (no HTTP, no store).

`parse_search_request(body)` validates a `POST /crm/v3/objects/{type}/search` body by HubSpot's rules and
returns a compiled `SearchRequest`; every problem raises `errors.validation_error` (400 VALIDATION_ERROR)
with a message naming it. The request then answers, for any record:

- `matches(record)`: filter groups OR-ed, filters inside a group AND-ed, plus the free-text `query`;
- `sort_key(record)` / `sort(records)`: the single sort (nulls last in both directions, ties by id);
- `page(candidates) -> (total, results, next_after)`: HubSpot's offset paging (`after` is a stringified offset).

Value semantics (HubSpot stores every property value as a string):
- numbers compare numerically, dates as epoch milliseconds whether given as epoch ms or ISO-8601 (a date-only
  value is midnight UTC); other strings compare case-insensitively;
- multi-select values are `;`-joined: EQ/IN match when any selected option matches, NEQ/NOT_IN when none does;
- NEQ, NOT_IN and NOT_CONTAINS_TOKEN also match records without a value (as HubSpot's index does); range
  operators never match a missing value; HAS_PROPERTY means "non-empty";
- CONTAINS_TOKEN matches whole words (a multi-word value must appear as that phrase); `*` is a wildcard over
  the whole value or any word (`*@hubspot.com`, `jo*`);
- `query` matches when every word of it starts a word of one of the object's default searchable properties.

Limits enforced: at most 5 filter groups, 6 filters in a group, 18 filters in all, one sort, query at most 3,000
characters, limit 0..200 (default 10), and no paging past the 10,000th result (offset + limit > 10,000 -> 400).

Filters are compiled once into closures, so matching ~100k records costs one call per filter per record.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from hubspot_assets.sandbox.errors import HubSpotError, validation_error

MAX_FILTER_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_FILTERS_TOTAL = 18
MAX_SORTS = 1
MAX_QUERY_LENGTH = 3000
DEFAULT_LIMIT = 10
MAX_LIMIT = 200
MAX_RESULT_WINDOW = 10_000

VALUE_OPERATORS = frozenset({"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"})
VALUES_OPERATORS = frozenset({"IN", "NOT_IN"})
RANGE_OPERATORS = frozenset({"BETWEEN"})
PRESENCE_OPERATORS = frozenset({"HAS_PROPERTY", "NOT_HAS_PROPERTY"})
OPERATORS = VALUE_OPERATORS | VALUES_OPERATORS | RANGE_OPERATORS | PRESENCE_OPERATORS
DIRECTIONS = frozenset({"ASCENDING", "DESCENDING"})

# Properties HubSpot's `query` looks at per object type (its documented "default searchable properties").
DEFAULT_SEARCHABLE_PROPERTIES: dict[str, tuple[str, ...]] = {
    "contacts": ("firstname", "lastname", "email", "phone", "hs_additional_emails", "fax", "mobilephone",
                 "company", "hs_marketable_until_renewal"),
    "companies": ("website", "phone", "name", "domain"),
    "deals": ("dealname", "pipeline", "dealstage", "description", "dealtype"),
    "tickets": ("subject", "content", "hs_pipeline_stage", "hs_ticket_category", "hs_ticket_id"),
    "products": ("name", "description", "price", "hs_sku"),
    "line_items": ("name", "description", "price", "quantity"),
    "quotes": ("hs_title",),
    "calls": ("hs_call_title", "hs_call_body"),
    "emails": ("hs_email_subject", "hs_email_text"),
    "notes": ("hs_note_body",),
    "meetings": ("hs_meeting_title", "hs_meeting_body"),
    "tasks": ("hs_task_subject", "hs_task_body"),
    "communications": ("hs_communication_body",),
}
# For object types without a documented list (custom objects): common naming properties.
FALLBACK_SEARCHABLE_PROPERTIES: tuple[str, ...] = ("name", "hs_name", "hs_object_id")

_WORD = re.compile(r"\w+")
_OBJECT_ID_PROPERTY = "hs_object_id"


# ----------------------------------------------------------------------------------------------- value coercion

def to_number(value: Any) -> float | None:
    """A property value as a number for comparisons: numbers as-is, ISO-8601 dates as epoch ms, else None."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    text = value if isinstance(value, str) else str(value)
    # Dates first (the common case in range filters): a cheap YYYY-MM-DD shape check, then the C parser.
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.timestamp() * 1000.0
    try:
        number = float(text)
    except ValueError:
        return None
    # "nan"/"inf" parse as floats but are words, not numbers.
    return number if math.isfinite(number) else None


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


# ----------------------------------------------------------------------------------------------- model

@dataclass(frozen=True)
class Filter:
    """One validated filter. `value`/`high_value` are strings; `values` a tuple of strings."""

    property_name: str
    operator: str
    value: str | None = None
    high_value: str | None = None
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sort:
    property_name: str
    direction: str = "ASCENDING"

    @property
    def descending(self) -> bool:
        return self.direction == "DESCENDING"


Predicate = Callable[[dict[str, Any]], bool]


@dataclass
class SearchRequest:
    """A validated, compiled search. Build it with `parse_search_request`.

    `filter_groups`, `sorts`, `query`, `properties`, `limit`, `offset` mirror the body. `properties` is None when
    the body asked for none (the caller then returns the object's default properties).
    """

    filter_groups: tuple[tuple[Filter, ...], ...]
    sorts: tuple[Sort, ...]
    query: str | None
    properties: list[str] | None
    properties_with_history: list[str] | None
    limit: int
    offset: int
    object_type: str | None = None
    _group_predicates: list[list[Predicate]] = field(default_factory=list, repr=False)
    _query_predicate: Predicate | None = field(default=None, repr=False)
    _needs_object_id: bool = field(default=False, repr=False)

    # --------------------------------------------------------------------------------------- matching

    def matches(self, record: dict[str, Any]) -> bool:
        """Whether a record satisfies the filters and the query.

        `record` is HubSpot's record shape (`{"id", "properties": {...}}`); a bare properties dict is accepted
        too. `hs_object_id` falls back to the record's `id` when the properties lack it.
        """
        props = record.get("properties")
        if not isinstance(props, dict):
            props = record
        elif self._needs_object_id and _OBJECT_ID_PROPERTY not in props and "id" in record:
            props = {**props, _OBJECT_ID_PROPERTY: record["id"]}
        if self._query_predicate is not None and not self._query_predicate(props):
            return False
        groups = self._group_predicates
        if not groups:
            return True
        for predicates in groups:
            for predicate in predicates:
                if not predicate(props):
                    break
            else:
                return True
        return False

    def needed_properties(self) -> set[str]:
        """Property names that filters, sort and query read: fetch at least these to call `matches`/`sort`."""
        names = {f.property_name for group in self.filter_groups for f in group}
        names.update(s.property_name for s in self.sorts)
        if self.query:
            names.update(searchable_properties(self.object_type))
        names.add(_OBJECT_ID_PROPERTY)
        return names

    # --------------------------------------------------------------------------------------- sorting

    def sort_key(self, record: dict[str, Any]) -> tuple:
        """A key that orders records ascending by the sort property (nulls first in this raw key).

        Prefer `sort(records)`, which applies the direction and keeps nulls last either way. Without a sort the
        key is the numeric record id.
        """
        props = _properties_of(record)
        if not self.sorts:
            return (0, _record_id(record, props), "")
        return _value_key(props.get(self.sorts[0].property_name))

    def sort(self, records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Records in the requested order: by the sort property and direction, nulls last, ties by id ascending.

        Without a sort, HubSpot's default order here is by id ascending.
        """
        by_id = sorted(records, key=_record_id)
        if not self.sorts:
            return by_id
        sort = self.sorts[0]
        name = sort.property_name
        if name == _OBJECT_ID_PROPERTY:
            return by_id[::-1] if sort.descending else by_id
        present: list[tuple[tuple, dict[str, Any]]] = []
        missing: list[dict[str, Any]] = []
        for record in by_id:
            props = record.get("properties")
            value = (props if isinstance(props, dict) else _properties_of(record)).get(name)
            if value is None or value == "":
                missing.append(record)
            else:
                present.append((_value_key(value), record))
        # Python's sort is stable, also with reverse=True, so equal keys keep ascending-id order.
        present.sort(key=lambda pair: pair[0], reverse=sort.descending)
        return [record for _, record in present] + missing

    # --------------------------------------------------------------------------------------- paging

    def page(
        self, candidates: Iterable[dict[str, Any]], *, presorted_by_id: bool = False
    ) -> tuple[int, list[dict[str, Any]], str | None]:
        """Filter, sort and slice: returns `(total, results, next_after)`.

        `candidates` must already exclude archived and not-yet-indexed records. `total` counts every match;
        `next_after` is the stringified offset of the next page, or None on the last page. Like HubSpot,
        `next_after` may point at or past 10,000, and asking for it then answers 400 (enforced by the parser).
        Pass `presorted_by_id=True` when candidates come in ascending id order and no sort was requested, to skip
        sorting (saves time on 100k-record scans).
        """
        matched = [record for record in candidates if self.matches(record)]
        total = len(matched)
        if self.sorts or not presorted_by_id:
            matched = self.sort(matched)
        end = self.offset + self.limit
        results = matched[self.offset:end]
        next_after = str(end) if end < total else None
        return total, results, next_after


def _properties_of(record: dict[str, Any]) -> dict[str, Any]:
    props = record.get("properties")
    if isinstance(props, dict):
        if _OBJECT_ID_PROPERTY not in props and "id" in record:
            props = {**props, _OBJECT_ID_PROPERTY: record["id"]}
        return props
    return record


def _record_id(record: dict[str, Any], props: dict[str, Any] | None = None) -> int:
    raw = record.get("id")
    if raw is None:
        raw = (props if props is not None else record).get(_OBJECT_ID_PROPERTY)
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0


def _value_key(value: Any) -> tuple:
    # Numbers (and dates) before strings, so mixed columns still order deterministically.
    if value is None or value == "":
        return (-1, 0.0, "")
    number = to_number(value)
    if number is not None:
        return (0, number, "")
    return (1, 0.0, _as_text(value).lower())


def searchable_properties(object_type: str | None) -> tuple[str, ...]:
    """The properties `query` searches for an object type (None: the union of all documented lists)."""
    if object_type is None:
        seen: dict[str, None] = {}
        for names in DEFAULT_SEARCHABLE_PROPERTIES.values():
            seen.update(dict.fromkeys(names))
        return tuple(seen)
    return DEFAULT_SEARCHABLE_PROPERTIES.get(object_type, FALLBACK_SEARCHABLE_PROPERTIES)


# ----------------------------------------------------------------------------------------------- compiling

def _split_multi(text: str) -> list[str]:
    return [part.strip() for part in text.split(";")] if ";" in text else [text]


def _compile_equals(name: str, target: str) -> Predicate:
    """True when the value (or one of its `;` options) equals target: numerically, or case-insensitively."""
    target_num = to_number(target)
    target_low = target.lower()

    def equals(props: dict[str, Any]) -> bool:
        value = props.get(name)
        if value is None or value == "":
            return False
        text = _as_text(value)
        for part in _split_multi(text):
            if part.lower() == target_low:
                return True
            if target_num is not None:
                number = to_number(part)
                if number is not None and number == target_num:
                    return True
        return False

    return equals


def _compile_in(name: str, targets: Sequence[str]) -> Predicate:
    lows = {t.lower() for t in targets}
    nums = {n for n in (to_number(t) for t in targets) if n is not None}

    def within(props: dict[str, Any]) -> bool:
        value = props.get(name)
        if value is None or value == "":
            return False
        for part in _split_multi(_as_text(value)):
            if part.lower() in lows:
                return True
            if nums:
                number = to_number(part)
                if number is not None and number in nums:
                    return True
        return False

    return within


def _compile_compare(name: str, operator: str, target: str) -> Predicate:
    """LT/LTE/GT/GTE: numeric (dates as epoch ms) when both sides are numbers, else case-insensitive text."""
    target_num = to_number(target)
    target_low = target.lower()
    if operator == "LT":
        test: Callable[[Any, Any], bool] = lambda a, b: a < b  # noqa: E731
    elif operator == "LTE":
        test = lambda a, b: a <= b  # noqa: E731
    elif operator == "GT":
        test = lambda a, b: a > b  # noqa: E731
    else:
        test = lambda a, b: a >= b  # noqa: E731

    def compare(props: dict[str, Any]) -> bool:
        value = props.get(name)
        if value is None or value == "":
            return False
        if target_num is not None:
            number = to_number(value)
            if number is not None:
                return test(number, target_num)
        return test(_as_text(value).lower(), target_low)

    return compare


def _compile_between(name: str, low: str, high: str) -> Predicate:
    at_least = _compile_compare(name, "GTE", low)
    at_most = _compile_compare(name, "LTE", high)
    return lambda props: at_least(props) and at_most(props)


def _compile_contains_token(name: str, target: str) -> Predicate:
    """Whole-word match; `*` wildcards match against the whole value or any single word."""
    target_low = target.lower().strip()
    if "*" in target_low:
        pieces = [piece for piece in target_low.split("*") if piece]
        pattern = re.compile(".*".join(re.escape(piece) for piece in target_low.split("*")), re.DOTALL)

        def wildcard(props: dict[str, Any]) -> bool:
            value = props.get(name)
            if value is None or value == "":
                return False
            text = _as_text(value).lower()
            # Cheap substring pre-check first: most records lack a literal piece and need no regex at all.
            for piece in pieces:
                if piece not in text:
                    return False
            if pattern.fullmatch(text):
                return True
            return any(pattern.fullmatch(word) for word in text.split()) or any(
                pattern.fullmatch(word) for word in _tokens(text)
            )

        return wildcard

    wanted = _tokens(target_low)
    if not wanted:
        # Punctuation only: fall back to a plain case-insensitive substring test.
        return lambda props: target_low in _as_text(props.get(name) or "").lower() and props.get(name) not in (None, "")
    width = len(wanted)

    def contains(props: dict[str, Any]) -> bool:
        value = props.get(name)
        if value is None or value == "":
            return False
        text = _as_text(value).lower()
        if wanted[0] not in text:  # cheap pre-check before tokenizing
            return False
        words = _tokens(text)
        if width == 1:
            return wanted[0] in words
        return any(words[i:i + width] == wanted for i in range(len(words) - width + 1))

    return contains


def _compile_has(name: str) -> Predicate:
    def has(props: dict[str, Any]) -> bool:
        value = props.get(name)
        return value is not None and value != ""

    return has


def _negate(predicate: Predicate) -> Predicate:
    return lambda props: not predicate(props)


def compile_filter(f: Filter) -> Predicate:
    """A predicate over a properties dict for one validated filter."""
    name, op = f.property_name, f.operator
    if op == "EQ":
        return _compile_equals(name, f.value or "")
    if op == "NEQ":
        return _negate(_compile_equals(name, f.value or ""))
    if op in ("LT", "LTE", "GT", "GTE"):
        return _compile_compare(name, op, f.value or "")
    if op == "BETWEEN":
        return _compile_between(name, f.value or "", f.high_value or "")
    if op == "IN":
        return _compile_in(name, f.values)
    if op == "NOT_IN":
        return _negate(_compile_in(name, f.values))
    if op == "HAS_PROPERTY":
        return _compile_has(name)
    if op == "NOT_HAS_PROPERTY":
        return _negate(_compile_has(name))
    if op == "CONTAINS_TOKEN":
        return _compile_contains_token(name, f.value or "")
    if op == "NOT_CONTAINS_TOKEN":
        return _negate(_compile_contains_token(name, f.value or ""))
    raise validation_error(f"Unknown operator {op!r}")  # unreachable after validation


def _compile_query(query: str, object_type: str | None) -> Predicate | None:
    words = _tokens(query)
    if not words:
        return None
    names = searchable_properties(object_type)
    # "Some word of the text starts with w" is "w occurs where no word character precedes it".
    starts = [re.compile(r"(?<!\w)" + re.escape(w)) for w in words]

    def query_matches(props: dict[str, Any]) -> bool:
        text = " ".join(_as_text(v) for v in (props.get(name) for name in names) if v).lower()
        if not text:
            return False
        for w in words:  # substring pre-check, then the word-start test
            if w not in text:
                return False
        return all(start.search(text) for start in starts)

    return query_matches


# ----------------------------------------------------------------------------------------------- parsing

def _scalar(value: Any, where: str) -> str:
    if isinstance(value, (str, int, float, bool)) and not (isinstance(value, float) and not math.isfinite(value)):
        return _as_text(value)
    raise validation_error(f"{where} must be a string, number or boolean, got {type(value).__name__}")


def _parse_filter(raw: Any, where: str, known: Collection[str] | None) -> Filter:
    if not isinstance(raw, dict):
        raise validation_error(f"{where} must be an object with propertyName and operator")
    name = raw.get("propertyName")
    if not isinstance(name, str) or not name.strip():
        raise validation_error(f"{where} is missing propertyName")
    if known is not None and name not in known and name != _OBJECT_ID_PROPERTY:
        raise validation_error(
            f"{where}: property {name!r} does not exist", context={"propertyName": [name]}
        )
    operator = raw.get("operator", "EQ")
    if not isinstance(operator, str) or operator.upper() not in OPERATORS:
        raise validation_error(
            f"{where}: unknown operator {operator!r}; use one of {', '.join(sorted(OPERATORS))}"
        )
    operator = operator.upper()
    value = raw.get("value")
    values = raw.get("values")
    high = raw.get("highValue")
    if operator in VALUE_OPERATORS:
        if value is None:
            raise validation_error(f"{where}: operator {operator} on {name!r} needs a 'value'")
        text = _scalar(value, f"{where}: value")
        if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN") and not text.strip():
            raise validation_error(f"{where}: operator {operator} on {name!r} needs a non-empty 'value'")
        return Filter(name, operator, value=text)
    if operator in VALUES_OPERATORS:
        if not isinstance(values, list) or not values:
            raise validation_error(f"{where}: operator {operator} on {name!r} needs a non-empty 'values' list")
        return Filter(name, operator, values=tuple(_scalar(v, f"{where}: values item") for v in values))
    if operator == "BETWEEN":
        if value is None or high is None:
            raise validation_error(f"{where}: operator BETWEEN on {name!r} needs both 'value' and 'highValue'")
        return Filter(name, operator, value=_scalar(value, f"{where}: value"),
                      high_value=_scalar(high, f"{where}: highValue"))
    return Filter(name, operator)  # HAS_PROPERTY / NOT_HAS_PROPERTY take no value


def _parse_sort(raw: Any, known: Collection[str] | None) -> Sort:
    if isinstance(raw, str):
        # Older clients send "createdate" or "-createdate".
        name, direction = (raw[1:], "DESCENDING") if raw.startswith("-") else (raw, "ASCENDING")
    elif isinstance(raw, dict):
        name = raw.get("propertyName")
        direction = raw.get("direction", "ASCENDING")
    else:
        raise validation_error("sorts items must be objects with propertyName and direction")
    if not isinstance(name, str) or not name.strip():
        raise validation_error("sorts[0] is missing propertyName")
    if not isinstance(direction, str) or direction.upper() not in DIRECTIONS:
        raise validation_error(f"sorts[0].direction must be ASCENDING or DESCENDING, got {direction!r}")
    if known is not None and name not in known and name != _OBJECT_ID_PROPERTY:
        raise validation_error(f"sorts[0]: property {name!r} does not exist", context={"propertyName": [name]})
    return Sort(name, direction.upper())


def _parse_int(raw: Any, what: str) -> int:
    if isinstance(raw, bool):
        raise validation_error(f"{what} must be an integer, got {raw!r}")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        return int(raw.strip())
    raise validation_error(f"{what} must be an integer, got {raw!r}")


def _parse_names(raw: Any, what: str) -> list[str] | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = [part for part in raw.split(",")]
    if not isinstance(raw, list) or not all(isinstance(n, str) for n in raw):
        raise validation_error(f"{what} must be a list of property names")
    return [n.strip() for n in raw if n.strip()]


def parse_search_request(
    body: Any,
    *,
    object_type: str | None = None,
    known_properties: Collection[str] | None = None,
) -> SearchRequest:
    """Validate a search body by HubSpot's rules and compile it.

    `object_type` (canonical plural, e.g. "contacts") picks the properties `query` searches. When
    `known_properties` is given, filters and sorts on other property names answer 400. Raises
    `HubSpotError` (400 VALIDATION_ERROR) naming the problem: too many groups/filters/sorts, a long query,
    a bad limit or `after`, an unknown operator, a value of the wrong shape, or paging past 10,000 results.
    """
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise validation_error("The search body must be a JSON object")

    groups_raw = body.get("filterGroups") or []
    if not isinstance(groups_raw, list):
        raise validation_error("filterGroups must be a list of {\"filters\": [...]} objects")
    if len(groups_raw) > MAX_FILTER_GROUPS:
        raise validation_error(
            f"Too many filter groups: {len(groups_raw)} given, at most {MAX_FILTER_GROUPS} are allowed",
            context={"filterGroups": [str(len(groups_raw))]},
        )
    groups: list[tuple[Filter, ...]] = []
    total_filters = 0
    for g, group_raw in enumerate(groups_raw):
        if not isinstance(group_raw, dict):
            raise validation_error(f"filterGroups[{g}] must be an object with a 'filters' list")
        filters_raw = group_raw.get("filters") or []
        if not isinstance(filters_raw, list):
            raise validation_error(f"filterGroups[{g}].filters must be a list")
        if len(filters_raw) > MAX_FILTERS_PER_GROUP:
            raise validation_error(
                f"Too many filters in filterGroups[{g}]: {len(filters_raw)} given, "
                f"at most {MAX_FILTERS_PER_GROUP} are allowed in a group"
            )
        total_filters += len(filters_raw)
        groups.append(tuple(
            _parse_filter(f, f"filterGroups[{g}].filters[{i}]", known_properties) for i, f in enumerate(filters_raw)
        ))
    if total_filters > MAX_FILTERS_TOTAL:
        raise validation_error(
            f"Too many filters: {total_filters} given across all filter groups, at most {MAX_FILTERS_TOTAL} "
            "are allowed"
        )

    sorts_raw = body.get("sorts") or []
    if isinstance(sorts_raw, (dict, str)):
        sorts_raw = [sorts_raw]
    if not isinstance(sorts_raw, list):
        raise validation_error("sorts must be a list with at most one {propertyName, direction} object")
    if len(sorts_raw) > MAX_SORTS:
        raise validation_error(f"Too many sorts: {len(sorts_raw)} given, at most {MAX_SORTS} is allowed")
    sorts = tuple(_parse_sort(s, known_properties) for s in sorts_raw)

    query = body.get("query")
    if query is not None:
        if not isinstance(query, str):
            raise validation_error("query must be a string")
        if len(query) > MAX_QUERY_LENGTH:
            raise validation_error(
                f"query is {len(query)} characters long; at most {MAX_QUERY_LENGTH} are allowed"
            )

    limit_raw = body.get("limit")
    limit = DEFAULT_LIMIT if limit_raw is None else _parse_int(limit_raw, "limit")
    if limit < 0 or limit > MAX_LIMIT:
        raise validation_error(f"limit must be between 0 and {MAX_LIMIT}, got {limit}")

    after_raw = body.get("after")
    if after_raw is None or after_raw == "":
        offset = 0
    else:
        try:
            offset = _parse_int(after_raw, "after")
        except HubSpotError:
            raise validation_error(
                f"after must be the stringified offset from paging.next.after (e.g. \"200\"), got {after_raw!r}"
            ) from None
        if offset < 0:
            raise validation_error(f"after must not be negative, got {after_raw!r}")
    if offset + limit > MAX_RESULT_WINDOW:
        raise validation_error(
            f"Search results are limited to {MAX_RESULT_WINDOW} per query: after={offset} with limit={limit} "
            f"asks beyond the {MAX_RESULT_WINDOW}th result. Restart the query with a narrower filter instead "
            "(for example sort by hs_object_id and filter hs_object_id GT the last id seen).",
            context={"after": [str(offset)], "limit": [str(limit)]},
        )

    request = SearchRequest(
        filter_groups=tuple(groups),
        sorts=sorts,
        query=query,
        properties=_parse_names(body.get("properties"), "properties"),
        properties_with_history=_parse_names(body.get("propertiesWithHistory"), "propertiesWithHistory"),
        limit=limit,
        offset=offset,
        object_type=object_type,
    )
    request._group_predicates = [[compile_filter(f) for f in group] for group in groups]
    request._query_predicate = _compile_query(query, object_type) if query else None
    request._needs_object_id = any(f.property_name == _OBJECT_ID_PROPERTY for group in groups for f in group)
    return request
