"""What a batch of webhook events asks the warehouse to re-read, coalesced per object type and id.

A hundred changes to one contact are one id in `records`: the refresh reads each record once, with every property,
so it does not matter which change came last (events arrive unordered). Per event:
- `creation`, `restore`, `merge` (the survivor and the merged records), `deletion`, `privacyDeletion`: the record
  and all its links (an archived or erased record reads as such; its links go as in a full sync);
- `propertyChange`: the record only (its links did not change);
- `associationChange`: the links between the two ends, from both sides (the refresh keeps the side the warehouse
  stores them from), not the records;
- `conversation.*`: the thread, with its messages;
- unknown types: nothing (they are stored and acknowledged).

The plan travels as Dagster run config (`to_config` / `from_config`), so it lists what to fetch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hubspot_assets.sources.catalog import ALL_LINKS
from hubspot_assets.sources.settings import (
    CUSTOM_OBJECTS_RESOURCE,
    STANDARD_OBJECTS,
    TABLE_ASSOCIATIONS,
    TABLE_MERGES,
    TABLE_MESSAGE_PARTICIPANTS,
    TABLE_MESSAGES,
    TABLE_PROPERTY_HISTORY,
    TABLE_THREADS,
    TABLE_TRANSCRIPT_UTTERANCES,
)
from hubspot_assets.webhooks.events import (
    AssociationChangeEvent,
    ConversationEvent,
    CrmObjectEvent,
    MergeEvent,
    WebhookEvent,
)

RECORD_ONLY_ACTIONS = frozenset({"propertyChange"})


@dataclass
class RefreshPlan:
    records: dict[str, set[int]] = field(default_factory=dict)  # object type (or custom type id) -> ids
    links: dict[str, dict[str, set[int]]] = field(default_factory=dict)  # from type -> to type or "*" -> ids
    threads: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, events: Iterable[WebhookEvent]) -> RefreshPlan:
        plan = cls()
        for event in events:
            plan.add(event)
        return plan

    def add(self, event: WebhookEvent) -> None:
        if isinstance(event, ConversationEvent):
            self.threads.add(event.thread_id)
        elif isinstance(event, AssociationChangeEvent):
            self._add_association(event)
        elif isinstance(event, MergeEvent | CrmObjectEvent):
            for object_id in event.object_ids:
                self.records.setdefault(event.object_type, set()).add(object_id)
                if event.action not in RECORD_ONLY_ACTIONS:
                    self._link(event.object_type, ALL_LINKS, object_id)

    def _add_association(self, event: AssociationChangeEvent) -> None:
        from_id = event.from_object_id or event.object_id
        to_type = event.to_object_type
        if to_type is None or event.to_object_id is None:  # a type we cannot name from associationType: every link
            self._link(event.object_type, ALL_LINKS, from_id)
            return
        self._link(event.object_type, to_type, from_id)
        self._link(to_type, event.object_type, event.to_object_id)

    def _link(self, from_type: str, to_type: str, object_id: int) -> None:
        self.links.setdefault(from_type, {}).setdefault(to_type, set()).add(object_id)

    @property
    def empty(self) -> bool:
        return not (self.records or self.links or self.threads)

    def record_ids(self) -> dict[str, list[int]]:
        """`hubspot(record_ids=)`: the records, and the threads under `threads`."""
        ids = {object_type: sorted(found) for object_type, found in self.records.items()}
        if self.threads:
            ids[TABLE_THREADS] = sorted(self.threads)
        return ids

    def link_ids(self) -> dict[str, dict[str, list[int]]]:
        """`hubspot(link_ids=)`."""
        return {f: {t: sorted(ids) for t, ids in targets.items()} for f, targets in self.links.items()}

    def tables(self, custom_tables: Iterable[str] = ()) -> list[str]:
        """The `hubspot_raw` tables (Dagster assets) this refresh writes. A custom type comes as its type id, whose
        table the plan cannot name: every custom object table (`custom_tables`) and the catch-all then."""
        tables: set[str] = set()
        for object_type in self.records:
            standard = object_type in STANDARD_OBJECTS
            tables.update([object_type] if standard else [*custom_tables, CUSTOM_OBJECTS_RESOURCE])
        if self.records:
            tables.update([TABLE_MERGES, TABLE_PROPERTY_HISTORY])
        if "calls" in self.records:
            tables.add(TABLE_TRANSCRIPT_UTTERANCES)
        if self.links:
            tables.add(TABLE_ASSOCIATIONS)
        if self.threads:
            tables.update([TABLE_THREADS, TABLE_MESSAGES, TABLE_MESSAGE_PARTICIPANTS])
        return sorted(tables)

    def summary(self) -> str:
        """"3 contacts, 1 deal's links, 2 threads": what the refresh reads, for logs and progress lines."""
        parts = [f"{len(ids)} {object_type}" for object_type, ids in sorted(self.records.items())]
        linked = {i for f, targets in self.links.items() for t, ids in targets.items() for i in ids
                  if i not in self.records.get(f, ())}
        if linked:
            parts.append(f"links of {len(linked)} more record(s)")
        if self.threads:
            parts.append(f"{len(self.threads)} threads")
        return ", ".join(parts) or "nothing to read"

    def to_config(self) -> dict[str, Any]:
        return {"record_ids": self.record_ids(), "link_ids": self.link_ids()}

    @classmethod
    def from_config(cls, record_ids: dict[str, list[int]], link_ids: dict[str, dict[str, list[int]]]) -> RefreshPlan:
        threads = set(record_ids.get(TABLE_THREADS, ()))
        records = {t: set(ids) for t, ids in record_ids.items() if t != TABLE_THREADS}
        links = {f: {t: set(ids) for t, ids in targets.items()} for f, targets in link_ids.items()}
        return cls(records, links, threads)

