"""What one run has seen of an object type (`Changes`) and how far each resource has handled it (`Progress`).

A record resource reads the records that changed (or all of them) into `Changes`; the resources that work from those
records (associations, merges, property history, transcripts) take them from it instead of asking HubSpot again, and
keep their own cursor per type in dlt resource state (`Progress`), stored in the warehouse with each load.
"""

from __future__ import annotations

import threading
import time
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hubspot_assets.hubspot.record_pages import RecordPage
from hubspot_assets.sources.columns import epoch_ms, timestamps

# Properties read alongside ids because other tables need them (transcripts, merges).
EXTRA_PROPERTIES = ("hs_call_transcription_id", "hs_merged_object_ids")


@dataclass
class Changes:
    """Records seen for one object type in this run: all live ones (`complete`) or those modified since `since_ms`.

    Ids and last-modified times are kept in compact arrays (a full sync of a large portal sees millions)."""

    complete: bool
    since_ms: int | None
    ids: array = field(default_factory=lambda: array("q"))
    updated_ms: array = field(default_factory=lambda: array("q"))  # 0 when unknown
    max_updated_ms: int | None = None
    extras: dict[int, dict[str, Any]] = field(default_factory=dict)
    started_ms: int | None = field(default_factory=lambda: int(time.time() * 1000))  # when the read began
    # False while the record resource of this run is still adding records (see `Extraction.stream`): work that
    # only needs the ids (associations) takes them block by block as they come, instead of after the whole read.
    closed: bool = True
    grown: threading.Condition = field(default_factory=threading.Condition, repr=False, compare=False)

    @property
    def newest_ms(self) -> int | None:
        """The cursor these records justify: the newest last-modified time seen, but for a complete read no later
        than the read's start. A record changed while a long full read ran may have been read before it changed;
        its new last-modified time is after the start, so the next incremental run finds it."""
        if self.complete and self.max_updated_ms is not None and self.started_ms is not None:
            return min(self.max_updated_ms, self.started_ms)
        return self.max_updated_ms

    def add(self, records: Sequence[Mapping[str, Any]] | RecordPage) -> None:
        if isinstance(records, RecordPage):
            self._add_page(records)
            return
        for record in records:
            record_id = int(record["id"])
            updated = epoch_ms(record.get("updatedAt"))
            self.updated_ms.append(updated or 0)  # before the id: a reader taking the first n ids finds n times
            self.ids.append(record_id)
            if updated is not None and (self.max_updated_ms is None or updated > self.max_updated_ms):
                self.max_updated_ms = updated
            props = record.get("properties") or {}
            extra = {name: props[name] for name in EXTRA_PROPERTIES if props.get(name)}
            if extra:
                self.extras[record_id] = extra
        if not self.closed:  # work waiting for more ids of an open read (`wait_for_more`)
            with self.grown:
                self.grown.notify_all()

    def _add_page(self, page: RecordPage) -> None:
        if not len(page):
            return
        updated = timestamps(page.field("updatedAt"))
        millis = pc.fill_null(pc.divide(updated.cast(pa.int64()), 1000), 0).to_numpy(zero_copy_only=False)
        self.updated_ms.extend(millis.astype(np.int64).tolist())  # before the ids (see `add`)
        self.ids.extend(page.ids.tolist())
        newest = pc.max(updated).as_py()
        if newest is not None:
            newest_ms = int(newest.timestamp() * 1000)
            if self.max_updated_ms is None or newest_ms > self.max_updated_ms:
                self.max_updated_ms = newest_ms
        asked = set(page.property_names)
        for name in EXTRA_PROPERTIES:
            if name not in asked:
                continue
            values = page.values(name)
            present = pc.and_(pc.is_valid(values), pc.not_equal(values, "")).to_numpy(zero_copy_only=False)
            for index in np.flatnonzero(present):
                self.extras.setdefault(int(page.ids[index]), {})[name] = values[int(index)].as_py()
        if not self.closed:
            with self.grown:
                self.grown.notify_all()

    def close(self) -> None:
        """Every record of the read has been added."""
        with self.grown:
            self.closed = True
            self.grown.notify_all()

    def wait_for_more(self, seen: int, timeout: float) -> None:
        """Return once more than `seen` ids are there, the read is closed, or `timeout` has passed."""
        with self.grown:
            if not self.closed and len(self.ids) <= seen:
                self.grown.wait(timeout)

    def id_array(self, start: int = 0, end: int | None = None) -> np.ndarray:
        """The ids (from position `start` to `end`, default all) as an int64 array (a copy: 8 bytes per record,
        where a set of Python ints costs about 60). Safe while the read still adds records (see `_copy`)."""
        return _copy(self.ids, start, end)

    def updated_array(self, start: int = 0, end: int | None = None) -> np.ndarray:
        return _copy(self.updated_ms, start, end)

    def with_extra(self, name: str, among: np.ndarray | None = None) -> list[tuple[int, Any]]:
        """(id, value) of the records that carry the extra property `name`, in id order; only ids in `among` when
        given. Few records do (merged records, calls with a transcript), so this never walks every id."""
        hits = sorted((i, extra[name]) for i, extra in self.extras.items() if extra.get(name))
        if among is None or not hits:
            return hits
        keep = np.isin(np.fromiter((i for i, _ in hits), dtype=np.int64, count=len(hits)), among)
        return [hit for hit, kept in zip(hits, keep.tolist(), strict=True) if kept]

    def covers(self, since_ms: int | None) -> bool:
        """True when these records include every record modified since `since_ms` (None: every live record)."""
        if self.complete:
            return True
        return since_ms is not None and self.since_ms is not None and self.since_ms <= since_ms


def _copy(values: array, start: int, end: int | None) -> np.ndarray:
    """`values[start:end]` as an int64 array. The slice is taken in one step under the GIL; numpy then reads the
    private slice, never `values` itself: an array that exports its buffer cannot grow, and another thread may be
    appending to it."""
    part = values[start:end]
    return np.frombuffer(part, dtype=np.int64) if len(part) else np.zeros(0, dtype=np.int64)


class Progress:
    """The cursor of one (resource, object type) in dlt resource state, stored in the warehouse with each load:
    `cursor_ms` (newest last-modified time handled) and `recent` (id -> last-modified of the records handled inside
    the look-back window), so the overlap re-read for search's lag does not redo records already handled."""

    def __init__(self, entry: dict[str, Any], lookback_ms: int, *, frozen: bool = False) -> None:
        self.entry = entry
        self.lookback_ms = lookback_ms
        self.frozen = frozen  # a partial refresh reads chosen records and never moves the cursors

    @property
    def cursor_ms(self) -> int | None:
        return self.entry.get("cursor_ms")

    def pending(self, changes: Changes, start: int = 0, end: int | None = None) -> np.ndarray:
        """Ids of `changes` (those from position `start` to `end`, default all) not handled yet at their current
        last-modified time (all of them for a complete read), sorted and unique, as an int64 array (a full sync of a
        large portal has millions)."""
        ids = changes.id_array(start, end)
        recent = self.entry.get("recent") or {}
        if changes.complete or not recent or self.frozen:
            return np.unique(ids)
        updated = changes.updated_array(start, end).tolist()
        keep = [recent.get(str(i)) != (u or None) for i, u in zip(ids.tolist(), updated, strict=True)]
        return np.unique(ids[np.array(keep, dtype=bool)])

    def advance(self, changes: Changes) -> None:
        """Move the cursor past `changes` (never backwards) and remember what was handled near it."""
        newest = max(filter(None, (self.cursor_ms, changes.newest_ms)), default=None)
        if newest is None or self.frozen:
            return
        floor = newest - self.lookback_ms
        recent = {k: v for k, v in (self.entry.get("recent") or {}).items() if v is not None and v >= floor}
        updated = changes.updated_array()
        near = (updated >= floor) & (updated > 0)
        recent.update(zip(map(str, changes.id_array()[near].tolist()), updated[near].tolist(), strict=True))
        self.entry["cursor_ms"] = newest
        self.entry["recent"] = recent
