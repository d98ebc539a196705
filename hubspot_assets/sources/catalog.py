"""Which object types a run loads (`ObjectCatalog`), as HubSpot and HUBSPOT_OBJECTS say, and the tables of custom
object types."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hubspot_assets.sources.columns import field_value
from hubspot_assets.sources.settings import (
    ASSOCIATION_HUBS,
    CONVERSATIONS_AREA,
    FIXED_TABLES,
    LINE_ITEM_TARGETS,
    OWNERS_AREA,
    PIPELINE_OBJECTS,
    STANDARD_OBJECTS,
)


@dataclass(frozen=True)
class ObjectCatalog:
    """What a run loads: standard object types, the custom objects the account has (name -> type id), and whether
    owners and conversations are read (every run reads them, unless HUBSPOT_OBJECTS narrows it without naming
    them)."""

    standard: tuple[str, ...]
    custom: Mapping[str, str] = field(default_factory=dict)
    owners: bool = True
    conversations: bool = True

    @property
    def all(self) -> tuple[str, ...]:
        return (*self.standard, *self.custom)

    @property
    def pipeline_objects(self) -> tuple[str, ...]:
        """The loaded types that have pipelines (deals, tickets)."""
        return tuple(t for t in PIPELINE_OBJECTS if t in self.standard)

    def association_plan(self) -> dict[str, tuple[str, ...]]:
        """from type -> to types, so each link between two loaded types is read once, from one side."""
        loaded = set(self.all)
        plan: dict[str, list[str]] = {}
        hubs = [h for h in ASSOCIATION_HUBS if h in loaded]
        for i, left in enumerate(hubs):
            plan.setdefault(left, []).extend(hubs[i + 1 :])
        for name in self.all:
            if name in ASSOCIATION_HUBS:
                continue
            if name == "line_items":
                targets = [t for t in LINE_ITEM_TARGETS if t in loaded]
            elif name == "products":  # products link to nothing; their line items link to deals
                targets = []
            else:  # engagements, quotes, custom objects
                targets = hubs
            plan.setdefault(name, []).extend(targets)
        return {k: tuple(v) for k, v in plan.items() if v}


def discover_catalog(client: Any, objects: Sequence[str] | None = None) -> ObjectCatalog:
    """Ask HubSpot which object types exist (standard + custom schemas) and check the requested ones.

    `objects` (HUBSPOT_OBJECTS, `--objects`) narrows the run to those types, plus `owners` and `conversations` only
    when named too. Raises ValueError naming the unknown types and the valid ones when it names a type the account
    does not have. This is the first call of every run, so a wrong token or base URL fails here, fast.
    """
    types = list(client.object_types())
    custom: dict[str, str] = {}
    known_names: dict[str, str] = {}
    for object_type in types:
        name = field_value(object_type, "name")
        type_id = str(field_value(object_type, "object_type_id") or field_value(object_type, "objectTypeId") or "")
        known_names[name] = name
        if type_id:
            known_names[type_id] = name
        if type_id.startswith("2-") or (name not in STANDARD_OBJECTS and field_value(object_type, "custom", False)):
            custom[name] = type_id
    for name in STANDARD_OBJECTS:
        known_names.setdefault(name, name)
    if objects:
        areas = {OWNERS_AREA, CONVERSATIONS_AREA}
        named = [o.strip() for o in objects if o and o.strip()]
        wanted = [o for o in named if o not in areas]
        unknown = [o for o in wanted if o not in known_names]
        if unknown:
            valid = ", ".join([*sorted({*STANDARD_OBJECTS, *custom}), *sorted(areas)])
            raise ValueError(
                f"Unknown HubSpot object type(s) in HUBSPOT_OBJECTS / --objects: {', '.join(unknown)}. "
                f"Set it to a comma-separated list of: {valid}"
            )
        names = [known_names[o] for o in wanted]
        return ObjectCatalog(
            standard=tuple(n for n in STANDARD_OBJECTS if n in names),
            custom={n: custom[n] for n in names if n in custom},
            owners=OWNERS_AREA in named,
            conversations=CONVERSATIONS_AREA in named,
        )
    return ObjectCatalog(standard=STANDARD_OBJECTS, custom=custom)


def parse_property_history(spec: str | None, catalog: ObjectCatalog | None = None) -> dict[str, tuple[str, ...]]:
    """'contacts:lifecyclestage,email;deals:dealstage' -> {"contacts": ("lifecyclestage", "email"), ...}.

    Raises ValueError with the expected format (or the unknown object type) for a bad HUBSPOT_PROPERTY_HISTORY.
    """
    result: dict[str, tuple[str, ...]] = {}
    for part in (spec or "").split(";"):
        part = part.strip()
        if not part:
            continue
        object_type, sep, names = part.partition(":")
        props = tuple(n.strip() for n in names.split(",") if n.strip())
        if not sep or not object_type.strip() or not props:
            raise ValueError(
                f"HUBSPOT_PROPERTY_HISTORY entry {part!r} is not '<object type>:<property>[,<property>...]' "
                "(example: 'contacts:lifecyclestage,email;deals:dealstage')"
            )
        object_type = object_type.strip()
        if catalog is not None and object_type not in catalog.all:
            raise ValueError(
                f"HUBSPOT_PROPERTY_HISTORY names object type {object_type!r}, which this run does not load; "
                f"use one of: {', '.join(catalog.all)}"
            )
        result[object_type] = props
    return result


def custom_table_name(name: str) -> str:
    """The table of a custom object: its name, prefixed when it would collide with another hubspot_raw table."""
    return f"custom_{name}" if name in FIXED_TABLES else name


def custom_type_of(catalog: ObjectCatalog, table: str) -> str | None:
    """The custom object type of `catalog` whose table is `table` (None when the catalog has none)."""
    return next((name for name in catalog.custom if custom_table_name(name) == table), None)


def is_custom_table(table: str) -> bool:
    """Whether a `hubspot_raw` table holds a custom object (every table the source writes that is not fixed)."""
    return table not in FIXED_TABLES and not table.startswith("_dlt")


ALL_LINKS = "*"  # in a partial refresh's links: every link of the record, whichever side the plan reads it from


def refresh_link_ids(
    catalog: ObjectCatalog,
    records: Mapping[str, Sequence[int]],
    links: Mapping[str, Mapping[str, Sequence[int | str]]] | None,
) -> dict[str, dict[str, list[int]]]:
    """The links a partial refresh re-reads from the records' own side, as from type -> to type -> record ids, on
    the sides the association plan reads them from. `links` None: every link of the `records` re-read. Otherwise
    `links` as given (to type `ALL_LINKS` for all of them); a pair the plan reads from the other side is dropped,
    because HubSpot sends an associationChange event for each direction and the other one names the record that
    side needs. (`ALL_LINKS` also asks for the links held on the other side: `reverse_link_ids`.)"""
    plan = catalog.association_plan()
    links = all_links(records) if links is None else links
    resolved: dict[str, dict[str, set[int]]] = {}
    for from_type, targets in links.items():
        for to_type, ids in targets.items():
            for target in plan.get(from_type, ()) if to_type == ALL_LINKS else (to_type,):
                if target in plan.get(from_type, ()) and ids:
                    resolved.setdefault(from_type, {}).setdefault(target, set()).update(int(i) for i in ids)
    return {f: {t: sorted(ids) for t, ids in targets.items()} for f, targets in resolved.items()}


def remember_catalog(path: Path, catalog: ObjectCatalog) -> None:
    """Keep the catalog a run discovered, for the partial refreshes that follow (`recent_catalog`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(dataclasses.asdict(catalog)))
    os.replace(temporary, path)


def recent_catalog(path: Path, max_age_s: float) -> ObjectCatalog | None:
    """The catalog remembered at `path` when it is younger than `max_age_s`; else None. A partial refresh runs
    every few seconds while webhooks come in: asking HubSpot for its schemas each time would double the cost of a
    one-record refresh, and a custom type created since is still found (its events name a type id the catalog
    does not know, and the refresh then asks HubSpot)."""
    try:
        if time.time() - path.stat().st_mtime > max_age_s:
            return None
        saved = json.loads(path.read_text())
        return ObjectCatalog(standard=tuple(saved["standard"]), custom=dict(saved["custom"]),
                             owners=bool(saved["owners"]), conversations=bool(saved["conversations"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def all_links(records: Mapping[str, Sequence[int]]) -> dict[str, dict[str, Sequence[int]]]:
    return {object_type: {ALL_LINKS: ids} for object_type, ids in records.items()}


def reverse_link_ids(
    catalog: ObjectCatalog,
    records: Mapping[str, Sequence[int]],
    links: Mapping[str, Mapping[str, Sequence[int | str]]] | None,
) -> dict[str, dict[str, list[int]]]:
    """For the records whose every link a partial refresh re-reads (`ALL_LINKS`): to type -> from types whose side
    holds links to it -> those record ids. An archived, restored, merged or erased record changes links that the
    plan reads from the other record's side (a contact's link to a company is read from the contact), and HubSpot
    sends no associationChange event for them."""
    plan = catalog.association_plan()
    links = all_links(records) if links is None else links
    reverse: dict[str, dict[str, list[int]]] = {}
    for to_type, targets in links.items():
        ids = sorted({int(i) for i in targets.get(ALL_LINKS, ())})
        holders = [from_type for from_type, to_types in plan.items() if to_type in to_types]
        if ids and holders:
            reverse[to_type] = {from_type: ids for from_type in holders}
    return reverse
