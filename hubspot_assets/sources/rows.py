"""Row builders: HubSpot answer shapes -> warehouse rows with clear column names. No HTTP here (the client does it)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from hubspot_assets.sources.columns import epoch_ms, field_value, parse_datetime
from hubspot_assets.sources.settings import HARD_DELETE_COLUMN

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake(name: str) -> str:
    """`latestMessageTimestamp` -> `latest_message_timestamp`."""
    return _CAMEL.sub(r"_\1", name).lower()


def flatten(obj: Mapping[str, Any], *, prefix: str = "", skip: Iterable[str] = ()) -> dict[str, Any]:
    """A HubSpot object as one flat row: snake_case keys, nested objects joined with `_`, lists as JSON text,
    and fields that hold times (`...At`, `...Timestamp`) as UTC datetimes."""
    row: dict[str, Any] = {}
    skipped = set(skip)
    for key, value in obj.items():
        if key in skipped:
            continue
        name = prefix + snake(key)
        if isinstance(value, Mapping):
            row.update(flatten(value, prefix=name + "_"))
        elif isinstance(value, list | tuple):
            row[name] = orjson.dumps(value).decode() if value else None
        elif value is not None and (key.endswith("At") or key.endswith("Timestamp")):
            row[name] = parse_datetime(value)
        else:
            row[name] = value
    return row


def chunks(items: Sequence[Any] | np.ndarray, size: int) -> Iterator[list[Any]]:
    """Lists of at most `size` items; an id array is turned into Python ints one chunk at a time."""
    for start in range(0, len(items), size):
        part = items[start : start + size]
        yield part.tolist() if isinstance(part, np.ndarray) else list(part)


# --- associations ---------------------------------------------------------------------------------------------

ASSOCIATION_SCHEMA = pa.schema(
    [
        pa.field("from_object_type", pa.string(), nullable=False),
        pa.field("from_id", pa.int64(), nullable=False),
        pa.field("to_object_type", pa.string(), nullable=False),
        pa.field("to_id", pa.int64(), nullable=False),
        pa.field("type_id", pa.int64(), nullable=False),
        pa.field("category", pa.string()),
        pa.field("label", pa.string()),
        pa.field(HARD_DELETE_COLUMN, pa.bool_()),
    ]
)


def association_table(
    from_type: str, to_type: str, links: Iterable[tuple[int, int, int, str, str | None]], read_ids: Iterable[int | str]
) -> pa.Table:
    """One row per (link, association type) from (from id, to id, type id, category, label) tuples (the client's
    `LinkRow`s); plus, for each id read that has no link left, a delete marker that makes the merge drop the stale
    links of that id (merge key: from type, from id, to type)."""
    rows: dict[tuple[int, int, int], tuple[str | None, str | None]] = {}
    for from_id, to_id, type_id, category, label in links:
        rows[(from_id, to_id, type_id)] = (category, label)
    linked = {key[0] for key in rows}
    empty = sorted({int(i) for i in read_ids} - linked)
    keys = list(rows)
    n, m = len(keys), len(empty)
    return pa.Table.from_arrays(
        [
            pa.array([from_type] * (n + m), pa.string()),
            pa.array([k[0] for k in keys] + empty, pa.int64()),
            pa.array([to_type] * (n + m), pa.string()),
            pa.array([k[1] for k in keys] + [0] * m, pa.int64()),
            pa.array([k[2] for k in keys] + [0] * m, pa.int64()),
            pa.array([rows[k][0] for k in keys] + [None] * m, pa.string()),
            pa.array([rows[k][1] for k in keys] + [None] * m, pa.string()),
            pa.array([None] * n + [True] * m, pa.bool_()),
        ],
        schema=ASSOCIATION_SCHEMA,
    )


def delete_markers(ids: Iterable[int], id_column: str = "id", **fixed: str) -> pa.Table:
    """Rows that tell dlt's merge to delete these ids (records removed from HubSpot, e.g. GDPR deletions)."""
    values = np.unique(ids if isinstance(ids, np.ndarray) else np.fromiter((int(i) for i in ids), dtype=np.int64))
    arrays = {name: pa.array([value] * len(values), pa.string()) for name, value in fixed.items()}
    arrays[id_column] = pa.array(values, pa.int64())
    arrays[HARD_DELETE_COLUMN] = pa.array([True] * len(values), pa.bool_())
    return pa.table(arrays)


# --- property history and merges ------------------------------------------------------------------------------


def history_rows(object_type: str, record: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """One row per history entry of each property in `propertiesWithHistory`; `history_id` is a content hash, so
    reloading the same entry never adds a row."""
    object_id = int(record["id"])
    for prop, entries in (record.get("propertiesWithHistory") or {}).items():
        for entry in entries or ():
            timestamp = entry.get("timestamp")
            value = entry.get("value")
            digest = hashlib.sha1(
                orjson.dumps([object_type, object_id, prop, timestamp, value, entry.get("sourceType")])
            ).hexdigest()
            yield {
                "history_id": digest,
                "object_type": object_type,
                "object_id": object_id,
                "property": prop,
                "value": value,
                "timestamp": parse_datetime(timestamp),
                "source_type": entry.get("sourceType"),
                "source_id": entry.get("sourceId"),
                "source_label": entry.get("sourceLabel"),
                "updated_by_user_id": entry.get("updatedByUserId"),
            }


def merge_rows(object_type: str, survivor_id: int | str, merged_ids: str | None) -> list[dict[str, Any]]:
    """`hs_merged_object_ids` ("12;34") of a surviving record -> one row per merged-away record."""
    if not merged_ids:
        return []
    return [
        {"object_type": object_type, "merged_id": int(part), "survivor_id": int(survivor_id)}
        for part in str(merged_ids).split(";")
        if part.strip().isdigit()
    ]


# --- metadata ---------------------------------------------------------------------------------------------------


def property_rows(object_type: str, prop: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A property definition -> (its row, its option rows with labels)."""
    name = field_value(prop, "name")
    row = {
        "object_type": object_type,
        "name": name,
        "label": field_value(prop, "label"),
        "type": field_value(prop, "type"),
        "field_type": field_value(prop, "field_type") or field_value(prop, "fieldType"),
        "group_name": field_value(prop, "group_name") or field_value(prop, "groupName"),
        "description": field_value(prop, "description"),
        "calculated": field_value(prop, "calculated"),
        "hubspot_defined": field_value(prop, "hubspot_defined") or field_value(prop, "hubspotDefined"),
        "has_unique_value": field_value(prop, "has_unique_value") or field_value(prop, "hasUniqueValue"),
        "hidden": field_value(prop, "hidden"),
        "archived": bool(field_value(prop, "archived", False)),
    }
    options = []
    for position, option in enumerate(field_value(prop, "options") or ()):
        options.append(
            {
                "object_type": object_type,
                "property_name": name,
                "value": str(field_value(option, "value")),
                "label": field_value(option, "label"),
                "display_order": field_value(option, "display_order", field_value(option, "displayOrder", position)),
                "hidden": field_value(option, "hidden"),
            }
        )
    return row, options


def pipeline_rows(object_type: str, pipeline: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A pipeline -> (its row, one row per stage with probability / ticket state)."""
    row = flatten(pipeline, skip=("stages",))
    row["object_type"] = object_type
    stages = []
    for stage in pipeline.get("stages") or ():
        stage_row = flatten(stage)
        stage_row["object_type"] = object_type
        stage_row["pipeline_id"] = str(pipeline["id"])
        stages.append(stage_row)
    return row, stages


def owner_row(owner: Mapping[str, Any]) -> dict[str, Any]:
    row = flatten(owner, skip=("teams",))
    teams = owner.get("teams") or []
    primary = next((t for t in teams if t.get("primary")), None)
    row["teams"] = orjson.dumps(teams).decode() if teams else None
    row["primary_team_id"] = str(primary["id"]) if primary else None
    row["primary_team_name"] = primary.get("name") if primary else None
    return row


# --- conversations ----------------------------------------------------------------------------------------------


def thread_row(thread: Mapping[str, Any]) -> dict[str, Any]:
    return flatten(thread)


def message_row(message: Mapping[str, Any], thread_id: str | int | None = None) -> dict[str, Any]:
    """A message of any type (MESSAGE, COMMENT, WELCOME_MESSAGE, ASSIGNMENT, ...) as one row; its senders and
    recipients go to `message_participants`."""
    row = flatten(message, skip=("senders", "recipients"))
    row.setdefault("conversations_thread_id", str(thread_id) if thread_id is not None else None)
    return row


def participant_rows(message: Mapping[str, Any], thread_id: str | int | None = None) -> list[dict[str, Any]]:
    rows = []
    for role, key in (("sender", "senders"), ("recipient", "recipients")):
        for position, actor in enumerate(message.get(key) or ()):
            delivery = actor.get("deliveryIdentifier") or {}
            rows.append(
                {
                    "message_id": str(message["id"]),
                    "thread_id": str(message.get("conversationsThreadId") or thread_id),
                    "role": role,
                    "position": position,
                    "actor_id": actor.get("actorId"),
                    "name": actor.get("name"),
                    "delivery_type": delivery.get("type"),
                    "delivery_value": delivery.get("value"),
                    "recipient_field": actor.get("recipientField"),
                }
            )
    return rows


# --- call transcripts -------------------------------------------------------------------------------------------


def utterance_rows(transcript: Mapping[str, Any], call_id: int | str | None) -> list[dict[str, Any]]:
    """One row per utterance: who spoke, what, when (ms from the start of the call), linked to the call."""
    rows = []
    engagement = transcript.get("engagementId") or call_id
    for position, utterance in enumerate(transcript.get("transcriptUtterances") or ()):
        speaker = utterance.get("speaker") or {}
        rows.append(
            {
                "transcript_id": str(transcript.get("id")),
                "call_id": int(engagement) if engagement is not None else None,
                "position": position,
                "utterance_id": utterance.get("id"),
                "speaker_id": None if speaker.get("id") is None else str(speaker.get("id")),
                "speaker_name": speaker.get("name"),
                "speaker_email": speaker.get("email"),
                "text": utterance.get("text"),
                "language_code": utterance.get("languageCode"),
                "start_time_ms": utterance.get("startTimeMillis"),
                "end_time_ms": utterance.get("endTimeMillis"),
                "transcript_source": transcript.get("transcriptSource"),
                "transcript_created_at": parse_datetime(transcript.get("createdAt")),
            }
        )
    return rows


def max_epoch_ms(values: Iterable[Any], current: int | None = None) -> int | None:
    """The largest of `current` and the readable times in `values`, as epoch ms."""
    best = current
    for value in values:
        ms = epoch_ms(value) if not isinstance(value, datetime) else int(value.timestamp() * 1000)
        if ms is not None and (best is None or ms > best):
            best = ms
    return best

