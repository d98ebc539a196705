"""The sandbox's data store: generated records plus every change made through the API or the admin API.

Per type, four growable numpy columns (ids ascending, createdAt, updatedAt, state) describe every record; the
generator derives property values of generated records on demand, and only changes are kept as Python overrides.
All writes hold one lock; reads take consistent snapshots of the columns without it.

Interface used by other sandbox modules (see sandbox_contract.md):
`ids(type, archived=False)`, `get(type, id, properties=None)`, `records(...)`, `owner_ids()`,
`call_for_transcript(transcript_id)`, `now_ms()`, `advance_clock(ms)`, `resolve_type(path_value)`, `config`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from hubspot_assets.sandbox.config import SandboxConfig
from hubspot_assets.sandbox.errors import HubSpotError
from hubspot_assets.sandbox.generator import (
    POOL_SIZE,
    TypeGenerator,
    build_arrays,
    build_owners,
    call_id_from_transcription,
    iso,
    iso_many,
    link_types,
    type_count,
)
from hubspot_assets.sandbox.portal import (
    ASSOCIATIONS,
    DATA_END_MS,
    SPEC_BY_NAME,
    SPECS,
    AssociationKind,
    ObjectSpec,
    PropertyDef,
    association_kind,
    association_labels,
    association_type_name,
    resolve_type_name,
)

LIVE, ARCHIVED, GONE = 0, 1, 2


class Columns:
    """Growable per-record arrays; readers slice `[:n]` views, writers append under the store lock."""

    def __init__(self, ids: np.ndarray, created: np.ndarray, updated: np.ndarray, state: np.ndarray) -> None:
        self.n = len(ids)
        cap = self.n + 1024
        self.ids = np.zeros(cap, dtype=np.int64)
        self.created = np.zeros(cap, dtype=np.int64)
        self.updated = np.zeros(cap, dtype=np.int64)
        self.state = np.zeros(cap, dtype=np.int8)
        self.ids[: self.n] = ids
        self.created[: self.n] = created
        self.updated[: self.n] = updated
        self.state[: self.n] = state

    def append(self, record_id: int, created: int, updated: int) -> int:
        if self.n == len(self.ids):
            cap = len(self.ids) * 2
            for name in ("ids", "created", "updated", "state"):
                old = getattr(self, name)
                new = np.zeros(cap, dtype=old.dtype)
                new[: self.n] = old[: self.n]
                setattr(self, name, new)
        k = self.n
        self.ids[k], self.created[k], self.updated[k], self.state[k] = record_id, created, updated, LIVE
        self.n = k + 1
        return k


@dataclass
class TypeState:
    spec: ObjectSpec
    gen: TypeGenerator
    cols: Columns
    base_n: int
    overrides: dict[int, dict[str, str | None]] = field(default_factory=dict)
    history: dict[int, dict[str, list[dict]]] = field(default_factory=dict)
    archived_at: dict[int, int] = field(default_factory=dict)
    merged_into: dict[int, int] = field(default_factory=dict)
    # Search index lag: for records changed within `search_lag_ms`, [(change ms, state just before)], oldest
    # first. Lists are replaced, never mutated (search reads them without the lock).
    indexed: dict[int, list[tuple[int, "Indexed"]]] = field(default_factory=dict)
    indexed_swept: int = 0


@dataclass(frozen=True)
class Indexed:
    """A record as the search index last saw it: its overrides dict (copy-on-write, so kept by reference),
    updatedAt (ms) and state."""

    overrides: dict[str, str | None] | None
    updated: int
    state: int


class Store:
    """All records of the sandbox portal. Thread-safe; deterministic from `config.seed` and `config.scale`."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self._clock_lock = threading.Lock()
        self._last_now = 0
        self._clock_offset_ms = 0  # how far `advance_clock` moved the portal's time past the real one
        self.owners = build_owners(config.seed)
        contacts = config.contact_count
        self.types: dict[str, TypeState] = {}
        owner_ids = [int(o["id"]) for o in self.owners if not o["archived"]]
        products = build_arrays(config.seed, SPEC_BY_NAME["products"],
                                type_count(SPEC_BY_NAME["products"], contacts))
        for spec in SPECS:
            base = products if spec.name == "products" else build_arrays(config.seed, spec,
                                                                          type_count(spec, contacts))
            gen = TypeGenerator(config.seed, spec, base, owner_ids, products.ids)
            state = np.where(base.archived, ARCHIVED, LIVE).astype(np.int8)
            cols = Columns(base.ids, base.created, base.updated.copy(), state)
            self.types[spec.name] = TypeState(spec, gen, cols, len(base.ids), merged_into=dict(base.merged_into))
        self._reverse: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.assoc_added: dict[tuple[str, int, str], dict[int, list[dict]]] = {}
        self.assoc_removed: set[tuple[str, int, str, int]] = set()

    # -- types and time ------------------------------------------------------------------------------------------

    def resolve_type(self, path_value: str) -> str:
        """Canonical plural name for `contacts`, `0-1`, `contact`, `2-3508482`, `p62515_pets`, `p_pets`...;
        raises a 400 HubSpotError naming the value when no type matches."""
        name = resolve_type_name(path_value)
        if name is None:
            raise HubSpotError(400, f"Unable to infer object type from: {path_value}", "VALIDATION_ERROR")
        return name

    def spec(self, object_type: str) -> ObjectSpec:
        return self.types[object_type].spec

    def now_ms(self) -> int:
        """The portal's time in epoch ms: never going back, never in the future (so an incremental reader bounded
        by its clock misses nothing) unless a test moved the clock on (`advance_clock`), and always after the
        generated data. Changes in the same ms share it."""
        with self._clock_lock:  # its own lock: callers holding other services' locks never wait on writes
            now = max(int(time.time() * 1000) + self._clock_offset_ms, self._last_now, DATA_END_MS + 1)
            self._last_now = now
            return now

    def advance_clock(self, ms: int) -> dict[str, int]:
        """Move the portal's time `ms` forward (record dates, webhook times and the search index lag follow it;
        rate limits, tokens and webhook retries keep real time), so a test sees the search index catch up
        without waiting for it. Returns `{"now_ms", "offset_ms"}`. ValueError for a negative `ms`: time never
        goes back."""
        if ms < 0:
            raise ValueError(f"advance_ms must be 0 or more (the clock never goes back), got {ms}")
        with self._clock_lock:
            self._clock_offset_ms += int(ms)
        return self.clock()

    def clock(self) -> dict[str, int]:
        """`{"now_ms", "offset_ms"}`: the portal's time and how far tests moved it past the real one."""
        return {"now_ms": self.now_ms(), "offset_ms": self._clock_offset_ms}

    def owner_ids(self) -> list[int]:
        """Ids of active owners (the values `hubspot_owner_id` takes)."""
        return [int(o["id"]) for o in self.owners if not o["archived"]]

    def property_names(self, object_type: str) -> list[str]:
        """Every property name of the type, in definition order."""
        return list(self.types[object_type].gen.names)

    def add_property(self, object_type: str, prop: PropertyDef) -> None:
        """Define a new property on the type (`POST /crm/v3/properties/{type}`); every record's value is null
        until a write sets it. Raises a 409 HubSpotError when the name exists."""
        with self.lock:
            gen = self.types[object_type].gen
            if prop.name in gen.index:
                raise HubSpotError(409, f"A property named '{prop.name}' already exists.", "OBJECT_ALREADY_EXISTS",
                                   context={"propertyName": [prop.name]})
            # Readers use these without the lock: grow the value arrays first (an all-null pool for the new
            # column), then publish the name through a new index dict last.
            gen.flatpool = np.concatenate([gen.flatpool, np.full(POOL_SIZE, None, dtype=object)])
            gen.offsets = np.append(gen.offsets, np.uint64(len(gen.props) * POOL_SIZE))
            gen.salts = np.append(gen.salts, np.uint64(0))
            gen.props = [*gen.props, prop]
            gen.names = [*gen.names, prop.name]
            gen.index = {**gen.index, prop.name: len(gen.names) - 1}

    def property_defs(self, object_type: str) -> list[PropertyDef]:
        """Every property of the type, generated ones and those created through the API, in definition order."""
        return list(self.types[object_type].gen.props)

    # -- lookups -------------------------------------------------------------------------------------------------

    def _index(self, st: TypeState, record_id: int) -> int | None:
        n = st.cols.n
        ids = st.cols.ids[:n]
        k = int(np.searchsorted(ids, record_id))
        if k < n and int(ids[k]) == record_id and st.cols.state[k] != GONE:
            return k
        return None

    def exists(self, object_type: str, record_id: int, archived: bool | None = False) -> bool:
        """Whether the record exists (archived=None: in any state; False: live; True: archived)."""
        st = self.types[object_type]
        k = self._index(st, record_id)
        if k is None:
            return False
        if archived is None:
            return True
        return bool(st.cols.state[k] == (ARCHIVED if archived else LIVE))

    def ids(self, object_type: str, archived: bool = False) -> np.ndarray:
        """Ids (ascending int64) of live records, or of archived ones with archived=True."""
        st = self.types[object_type]
        n = st.cols.n
        mask = st.cols.state[:n] == (ARCHIVED if archived else LIVE)
        return st.cols.ids[:n][mask]

    def page_ids(self, object_type: str, after: int, limit: int, archived: bool = False) -> tuple[list[int],
                                                                                                 int | None]:
        """Up to `limit` ids >= `after` in the wanted state, and the id to continue from (None at the end)."""
        st = self.types[object_type]
        n = st.cols.n
        ids, state = st.cols.ids[:n], st.cols.state[:n]
        wanted = ARCHIVED if archived else LIVE
        pos = int(np.searchsorted(ids, after))
        out: list[int] = []
        chunk = limit * 2 + 64
        while pos < n and len(out) <= limit:
            end = min(n, pos + chunk)
            hits = np.flatnonzero(state[pos:end] == wanted)
            out.extend(ids[pos + hits[: limit + 1 - len(out)]].tolist())
            pos = end
            chunk *= 4
        if len(out) > limit:
            return out[:limit], out[limit]
        return out, None

    def find_by_property(self, object_type: str, name: str, value: str) -> int | None:
        """Id of the (non-gone) record whose property `name` equals `value` (for idProperty and upserts)."""
        st = self.types[object_type]
        if name == "hs_object_id":
            try:
                rid = int(value)
            except ValueError:
                return None
            return rid if self._index(st, rid) is not None else None
        for rid, props in list(st.overrides.items()):
            if props.get(name) == value and self._index(st, rid) is not None:
                return rid
        if object_type == "contacts" and name == "email":
            # Generated emails embed the id: first.<id>@domain.
            try:
                rid = int(value.split("@", 1)[0].rsplit(".", 1)[1])
            except (IndexError, ValueError):
                return None
            k = self._index(st, rid)
            if k is None or k >= st.base_n or "email" in st.overrides.get(rid, {}):
                return None
            generated = st.gen.computed["email"](rid, 0, 0)
            return rid if generated == value else None
        j = st.gen.index.get(name)
        if j is None or name in st.gen.computed:
            return None
        cols = np.array([j])
        ids = st.cols.ids[: st.base_n]
        for start in range(0, len(ids), 50_000):
            part = ids[start:start + 50_000]
            values = st.gen.values(part, cols)
            for rid, row in zip(part.tolist(), values):
                if row[0] == value and name not in st.overrides.get(rid, {}) and self._index(st, rid) is not None:
                    return rid
        return None

    def call_for_transcript(self, transcript_id: str) -> int | None:
        """The id of the live call whose `hs_call_transcription_id` is transcript_id, or None."""
        st = self.types["calls"]
        for rid, props in list(st.overrides.items()):
            if props.get("hs_call_transcription_id") == transcript_id and self.exists("calls", rid):
                return rid
        call_id = call_id_from_transcription(transcript_id)
        if call_id is None or not self.exists("calls", call_id):
            return None
        k = self._index(st, call_id)
        if k is None or k >= st.base_n or not st.gen.has_transcript(call_id):
            return None
        if "hs_call_transcription_id" in st.overrides.get(call_id, {}):
            return None
        return call_id

    # -- reading records -----------------------------------------------------------------------------------------

    def known_properties(self, object_type: str, names: Iterable[str]) -> list[str]:
        """The requested names that exist on the type, de-duplicated, in request order (unknown ones ignored)."""
        index = self.types[object_type].gen.index
        seen: dict[str, None] = {}
        for name in names:
            if name in index and name not in seen:
                seen[name] = None
        return list(seen)

    def default_properties(self, object_type: str) -> list[str]:
        spec = self.types[object_type].spec
        return list(dict.fromkeys([*spec.default_properties, spec.createdate, spec.lastmodified, "hs_object_id"]))

    def get(self, object_type: str, record_id: int, properties: Sequence[str] | None = None) -> dict | None:
        """One record in HubSpot's shape (archived ones too, flagged), or None if it never existed or was
        GDPR-deleted. properties=None gives the type's default properties."""
        rid = int(record_id)
        st = self.types[object_type]
        if self._index(st, rid) is None:
            return None
        names = self.default_properties(object_type) if properties is None else list(properties)
        return self.records(object_type, [rid], names)[0]

    def records(self, object_type: str, ids: Sequence[int], properties: Sequence[str],
                history: Sequence[str] = (), view: dict[int, Indexed] | None = None) -> list[dict]:
        """Records (existing ids only) in HubSpot's shape with the given properties (unknown names ignored) and,
        for `history` names, `propertiesWithHistory`. `view` (from `indexed_view`) renders those records as the
        search index holds them instead of as they are now."""
        st = self.types[object_type]
        gen = st.gen
        names = self.known_properties(object_type, properties)
        cols_n = st.cols.n
        all_ids = st.cols.ids[:cols_n]
        arr = np.asarray(ids, dtype=np.int64)
        idx = np.searchsorted(all_ids, arr)
        created = st.cols.created[idx]
        updated = st.cols.updated[idx]  # fancy indexing copies: patching it below is safe
        states = st.cols.state[idx].tolist()
        seen = {}
        if view:
            for pos, rid in enumerate(arr.tolist()):
                old = view.get(rid)
                if old is not None:
                    updated[pos] = old.updated
                    states[pos] = old.state
                    seen[rid] = old.overrides
        created_iso = iso_many(created)
        updated_iso = iso_many(updated)
        base_mask = idx < st.base_n
        columns = np.array([gen.index[n] for n in names], dtype=np.intp)
        pooled = gen.values(arr, columns) if len(names) else [[] for _ in range(len(arr))]
        computed = [(n, gen.computed[n]) for n in names if n in gen.computed]
        spec = st.spec
        createdate, lastmod = spec.createdate, spec.lastmodified
        # HubSpot's docs allow both null and absent for empty values: custom objects leave them out, the rest
        # answer null, so clients meet both shapes.
        drop_empty = spec.custom
        out = []
        for pos, rid in enumerate(arr.tolist()):
            is_base = bool(base_mask[pos])
            if is_base:
                props = dict(zip(names, pooled[pos]))
                cr, up = int(created[pos]), int(updated[pos])
                for name, fn in computed:
                    props[name] = fn(rid, cr, up)
            else:
                props = dict.fromkeys(names)
            if createdate in props:
                props[createdate] = created_iso[pos]
            if lastmod in props:
                props[lastmod] = updated_iso[pos]
            if "hs_object_id" in props:
                props["hs_object_id"] = str(rid)
            over = seen[rid] if rid in seen else st.overrides.get(rid)
            if over:
                for name, value in over.items():
                    if name in props:
                        props[name] = value
            if drop_empty:
                props = {k: v for k, v in props.items() if v is not None}
            record = {"id": str(rid), "properties": props, "createdAt": created_iso[pos],
                      "updatedAt": updated_iso[pos], "archived": states[pos] == ARCHIVED}
            if states[pos] == ARCHIVED:
                record["archivedAt"] = iso(st.archived_at.get(rid, int(updated[pos]) + 86_400_000))
            out.append(record)
        if history:
            for record, histories in zip(out, self._histories(st, arr, idx, base_mask, history)):
                record["propertiesWithHistory"] = histories
        return out

    def _histories(self, st: TypeState, arr: np.ndarray, idx: np.ndarray, base_mask: np.ndarray,
                   names: Sequence[str]) -> list[dict[str, list[dict]]]:
        """propertiesWithHistory for a page: changes made here (newest first), then the generated versions."""
        wanted = self.known_properties(st.spec.name, names)
        generated: list[dict[str, list[dict]]] = [{} for _ in range(len(arr))]
        positions = np.flatnonzero(base_mask)
        if len(positions) and wanted:
            base_ids, base_idx = arr[positions], idx[positions]
            created, updated = st.cols.created[base_idx], st.gen.base.updated[base_idx]
            cols = np.array([st.gen.index[n] for n in wanted], dtype=np.intp)
            rows = st.gen.values(base_ids, cols)
            currents = []
            for rid, cr, up, row in zip(base_ids.tolist(), created.tolist(), updated.tolist(), rows):
                values = dict(zip(wanted, row))
                for name in wanted:
                    if name in st.gen.computed:
                        values[name] = st.gen.computed[name](rid, cr, up)
                currents.append(values)
            for pos, histories in zip(positions.tolist(),
                                      st.gen.history_many(base_ids, created, updated, wanted, currents)):
                generated[pos] = histories
        out = []
        for pos, rid in enumerate(arr.tolist()):
            changes = st.history.get(rid, {})
            base = generated[pos]
            out.append({name: [*reversed(changes.get(name, [])), *base.get(name, [])] for name in wanted})
        return out

    def base_values(self, st: TypeState, rid: int, names: Sequence[str]) -> dict[str, str | None]:
        """Generated (pre-change) values of a base record."""
        k = self._index(st, rid)
        cols = np.array([st.gen.index[n] for n in names], dtype=np.intp)
        row = st.gen.values(np.array([rid], dtype=np.int64), cols)[0] if len(names) else []
        values = dict(zip(names, row))
        cr, up = int(st.cols.created[k]), int(st.gen.base.updated[k])
        for name in names:
            if name in st.gen.computed:
                values[name] = st.gen.computed[name](rid, cr, up)
        return values

    # -- associations --------------------------------------------------------------------------------------------

    def _reverse_index(self, kind: AssociationKind) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        key = (kind.child, kind.parent)
        found = self._reverse.get(key)
        if found is None:
            child = self.types[kind.child]
            parent_n = self.types[kind.parent].base_n
            child_ids = child.cols.ids[: child.base_n]
            first, second = child.gen.edges_to_parent(kind, child_ids, parent_n)
            parents = np.concatenate([first, second])
            children = np.concatenate([np.arange(len(first)), np.arange(len(second))])
            links = np.concatenate([np.zeros(len(first), np.int8), np.ones(len(second), np.int8)])
            keep = parents >= 0
            parents, children, links = parents[keep], children[keep], links[keep]
            order = np.argsort(parents, kind="stable")
            found = (parents[order], children[order], links[order])
            self._reverse[key] = found
        return found

    def generated_links(self, from_type: str, from_id: int, to_type: str) -> list[tuple[int, list[dict]]]:
        """Generated links of a record towards a type: [(to_id, associationTypes)]."""
        found = association_kind(from_type, to_type)
        if found is None:
            return []
        kind, is_child = found
        st = self.types[from_type]
        k = self._index(st, from_id)
        if k is None or k >= st.base_n:
            return []
        other = self.types[to_type]
        seed = self.config.seed
        out = []
        if is_child:
            first, second = st.gen.edges_to_parent(kind, np.array([from_id], np.int64), other.base_n)
            for link, p in ((0, int(first[0])), (1, int(second[0]))):
                if p >= 0:
                    out.append((int(other.cols.ids[p]), link_types(kind, from_id, seed, link, True)))
        else:
            parents, children, links = self._reverse_index(kind)
            lo, hi = np.searchsorted(parents, k, "left"), np.searchsorted(parents, k, "right")
            for c, link in zip(children[lo:hi].tolist(), links[lo:hi].tolist()):
                child_id = int(other.cols.ids[c])
                out.append((child_id, link_types(kind, child_id, seed, link, False)))
        return out

    def links(self, from_type: str, from_id: int, to_type: str) -> list[tuple[int, list[dict]]]:
        """Current links from a record to live records of `to_type`, ascending by id: [(to_id, types)]."""
        merged: dict[int, list[dict]] = {}
        for to_id, types in self.generated_links(from_type, from_id, to_type):
            if (from_type, from_id, to_type, to_id) not in self.assoc_removed:
                merged.setdefault(to_id, []).extend(types)
        for to_id, types in self.assoc_added.get((from_type, from_id, to_type), {}).items():
            have = merged.setdefault(to_id, [])
            for t in types:
                if t not in have:
                    have.append(t)
        return [(to_id, merged[to_id]) for to_id in sorted(merged) if self.exists(to_type, to_id)]

    def inline_associations(self, from_type: str, from_id: int, to_type: str) -> list[dict]:
        """v3 inline `associations` results: one entry per (id, label), so an id repeats per label."""
        base = association_type_name(from_type, to_type)
        found = association_kind(from_type, to_type)
        has_primary = found is not None and found[1] and found[0].primary_child_to_parent is not None
        out = []
        for to_id, types in self.links(from_type, from_id, to_type):
            for t in types:
                if t["category"] == "USER_DEFINED":
                    name = str(t["label"]).lower().replace(" ", "_")
                elif t["label"] == "Primary":
                    name = base
                else:
                    name = f"{base}_unlabeled" if has_primary else base
                out.append({"id": str(to_id), "type": name})
        return out

    def reverse_type(self, from_type: str, to_type: str, type_id: int) -> tuple[str, int, str | None] | None:
        """For an association type id from->to: (category, the inverse to->from type id, label)."""
        for label in association_labels(from_type, to_type):
            if label["typeId"] == type_id:
                inverse = association_labels(to_type, from_type)
                match = [x for x in inverse if x["label"] == label["label"] and x["category"] == label["category"]]
                if not match and label["label"] == "Primary":
                    match = [x for x in inverse if x["label"] is None]
                return label["category"], match[0]["typeId"] if match else type_id, label["label"]
        return None

    def type_for_association(self, from_type: str, type_id: int) -> str | None:
        """The object type an association type id (from `from_type`) points to, or None if unknown."""
        for spec in SPECS:
            if any(label["typeId"] == type_id for label in association_labels(from_type, spec.name)):
                return spec.name
        return None

    def unique_properties(self, object_type: str) -> set[str]:
        """Properties that identify a record (usable as idProperty in upserts)."""
        return {"hs_object_id"} | {p.name for p in self.types[object_type].spec.properties if p.has_unique_value}

    def associate(self, from_type: str, from_id: int, to_type: str, to_id: int,
                  types: Sequence[tuple[str, int]] = ()) -> None:
        """Link two records (both directions); types are (category, typeId) from->to, default type if empty."""
        with self.lock:
            labels = association_labels(from_type, to_type)
            if not types:
                default = labels[0] if labels else {"category": "HUBSPOT_DEFINED", "typeId": 1, "label": None}
                types = [(default["category"], default["typeId"])]
            forward, backward = [], []
            for category, type_id in types:
                found = self.reverse_type(from_type, to_type, int(type_id))
                label = found[2] if found else None
                inverse = found[1] if found else int(type_id)
                forward.append({"category": category, "typeId": int(type_id), "label": label})
                backward.append({"category": category, "typeId": inverse, "label": label})
            for (a, a_id, b, b_id), new in (((from_type, from_id, to_type, to_id), forward),
                                            ((to_type, to_id, from_type, from_id), backward)):
                # Copy-on-write: readers iterate these without the lock.
                links = dict(self.assoc_added.get((a, a_id, b), {}))
                slot = list(links.get(b_id, []))
                slot += [t for t in new if t not in slot]
                links[b_id] = slot
                self.assoc_added[(a, a_id, b)] = links
                self.assoc_removed.discard((a, a_id, b, b_id))

    def unassociate(self, from_type: str, from_id: int, to_type: str, to_id: int) -> bool:
        """Remove every link between two records (both directions); False when there was none."""
        with self.lock:
            had = any(t == to_id for t, _ in self.links(from_type, from_id, to_type))
            for a, a_id, b, b_id in ((from_type, from_id, to_type, to_id), (to_type, to_id, from_type, from_id)):
                self.assoc_removed.add((a, a_id, b, b_id))
                links = dict(self.assoc_added.get((a, a_id, b), {}))
                if links.pop(b_id, None) is not None:
                    self.assoc_added[(a, a_id, b)] = links
            return had

    # -- writes --------------------------------------------------------------------------------------------------

    def check_properties(self, object_type: str, properties: dict) -> dict[str, str | None]:
        """Validate a write's properties: known names, string-able values; "" and None clear. 400 otherwise."""
        if not isinstance(properties, dict):
            raise HubSpotError(400, "Invalid input JSON: 'properties' must be an object of property names to values",
                               "VALIDATION_ERROR")
        gen = self.types[object_type].gen
        out: dict[str, str | None] = {}
        errors = []
        readonly = {"hs_object_id", gen.spec.createdate, gen.spec.lastmodified, "hs_merged_object_ids"}
        for name, value in properties.items():
            if name not in gen.index:
                errors.append({"message": f"Property \"{name}\" does not exist", "code": "PROPERTY_DOESNT_EXIST",
                               "context": {"propertyName": [name]}})
                continue
            if name in readonly:
                errors.append({"message": f"Property \"{name}\" is read-only", "code": "READ_ONLY_VALUE",
                               "context": {"propertyName": [name]}})
                continue
            if value is None or value == "":
                out[name] = None
            elif isinstance(value, bool):
                out[name] = "true" if value else "false"
            elif isinstance(value, (int, float, str)):
                out[name] = str(value)
            else:
                errors.append({"message": f"Property values must be strings; \"{name}\" is not",
                               "code": "INVALID_VALUE", "context": {"propertyName": [name]}})
        if errors:
            raise HubSpotError(400, "Property values were not valid: " + "; ".join(e["message"] for e in errors),
                               "VALIDATION_ERROR", extra={"errors": errors})
        return out

    def _record_changes(self, st: TypeState, rid: int, changes: dict[str, str | None], now: int,
                        source: str) -> list[str]:
        """Apply property changes; returns names whose value actually changed."""
        current = self.records(st.spec.name, [rid], list(changes))[0]["properties"]
        changed = [n for n, v in changes.items() if current.get(n) != v]
        if changed:
            # Copy-on-write: readers iterate these dicts without the lock.
            over = dict(st.overrides.get(rid, {}))
            hist = dict(st.history.get(rid, {}))
            for name in changed:
                over[name] = changes[name]
                hist[name] = [*hist.get(name, []), {"value": changes[name] if changes[name] is not None else "",
                                                    "timestamp": iso(now), "sourceType": source}]
            st.overrides[rid] = over
            st.history[rid] = hist
        return changed

    def create(self, object_type: str, properties: dict[str, str | None], source: str = "API") -> int:
        """Create a record with already-checked properties; returns its id (above every existing id)."""
        with self.lock:
            st = self.types[object_type]
            now = self.now_ms()
            last = int(st.cols.ids[st.cols.n - 1]) if st.cols.n else st.spec.id_base
            rid = last + 1 + (st.cols.n % 3)
            st.cols.append(rid, now, now)
            values = {k: v for k, v in properties.items() if v is not None}
            st.overrides[rid] = dict(values)
            st.history[rid] = {k: [{"value": v, "timestamp": iso(now), "sourceType": source}]
                               for k, v in values.items()}
            return rid

    def update(self, object_type: str, record_id: int, properties: dict[str, str | None],
               source: str = "API") -> list[str]:
        """Change properties of a live record; moves updatedAt only if a value changed. Returns changed names."""
        with self.lock:
            st = self.types[object_type]
            k = self._index(st, record_id)
            if k is None or st.cols.state[k] != LIVE:
                raise KeyError(record_id)
            # A change always moves the record's own timestamp, even twice within one millisecond.
            now = max(self.now_ms(), int(st.cols.updated[k]) + 1)
            self._remember(st, record_id, k)
            changed = self._record_changes(st, record_id, properties, now, source)
            if changed:
                st.cols.updated[k] = now
            return changed

    def archive(self, object_type: str, record_id: int) -> bool:
        """Archive a live record (updatedAt and last-modified do NOT move, as in HubSpot). False if not live."""
        with self.lock:
            st = self.types[object_type]
            k = self._index(st, record_id)
            if k is None or st.cols.state[k] != LIVE:
                return False
            self._remember(st, record_id, k)
            st.cols.state[k] = ARCHIVED
            st.archived_at[record_id] = self.now_ms()
            return True

    def restore(self, object_type: str, record_id: int) -> bool:
        """Bring an archived record back (not merged-away ones). False if it was not archived."""
        with self.lock:
            st = self.types[object_type]
            k = self._index(st, record_id)
            if k is None or st.cols.state[k] != ARCHIVED or record_id in st.merged_into:
                return False
            self._remember(st, record_id, k)
            st.cols.state[k] = LIVE
            st.archived_at.pop(record_id, None)
            return True

    def merge(self, object_type: str, primary_id: int, merged_id: int) -> None:
        """Merge `merged_id` into `primary_id`: the merged record is archived, the primary gains
        `hs_merged_object_ids` and the merged record's links. Raises KeyError for a missing/non-live id."""
        with self.lock:
            st = self.types[object_type]
            kp, km = self._index(st, primary_id), self._index(st, merged_id)
            for rid, k in ((primary_id, kp), (merged_id, km)):
                if k is None or st.cols.state[k] != LIVE:
                    raise KeyError(rid)
            now = max(self.now_ms(), int(st.cols.updated[kp]) + 1)
            self._remember(st, primary_id, kp)
            self._remember(st, merged_id, km)
            for other in self.types:
                if association_kind(object_type, other) is None:
                    continue
                for to_id, types in self.links(object_type, merged_id, other):
                    self.associate(object_type, primary_id, other, to_id,
                                   [(t["category"], t["typeId"]) for t in types])
            current = self.records(object_type, [primary_id], ["hs_merged_object_ids"])[0]["properties"]
            existing = [x for x in (current.get("hs_merged_object_ids") or "").split(";") if x]
            merged_prev = self.records(object_type, [merged_id], ["hs_merged_object_ids"])[0]["properties"]
            existing += [x for x in (merged_prev.get("hs_merged_object_ids") or "").split(";") if x]
            existing.append(str(merged_id))
            self._record_changes(st, primary_id, {"hs_merged_object_ids": ";".join(existing)}, now, "MERGE")
            st.cols.updated[kp] = now
            st.cols.state[km] = ARCHIVED
            st.archived_at[merged_id] = now
            st.merged_into[merged_id] = primary_id

    def gdpr_delete(self, object_type: str, record_id: int) -> bool:
        """Permanently delete a record (it disappears from truth, archived lists and reads)."""
        with self.lock:
            st = self.types[object_type]
            k = self._index(st, record_id)
            if k is None:
                return False
            self._remember(st, record_id, k)
            st.cols.state[k] = GONE
            st.overrides.pop(record_id, None)
            st.history.pop(record_id, None)
            return True

    # -- search index lag ----------------------------------------------------------------------------------------

    def _remember(self, st: TypeState, record_id: int, k: int) -> None:
        """Before a change (lock held): keep the record as the search index holds it while the lag lasts."""
        lag = self.config.search_lag_ms
        if lag <= 0:
            return
        now = self.now_ms()
        cutoff = now - lag
        entry = (now, Indexed(st.overrides.get(record_id), int(st.cols.updated[k]), int(st.cols.state[k])))
        kept = [e for e in st.indexed.get(record_id, ()) if e[0] > cutoff]
        st.indexed[record_id] = [*kept, entry]
        if len(st.indexed) > 2 * st.indexed_swept + 1000:  # amortized: drop records the index has caught up on
            st.indexed = {rid: log for rid, log in st.indexed.items() if log[-1][0] > cutoff}
            st.indexed_swept = len(st.indexed)

    def indexed_view(self, object_type: str, cutoff_ms: int) -> dict[int, Indexed]:
        """Records changed after `cutoff_ms` (now minus the search lag), as the search index still holds them:
        the state just before their first change after the cutoff. Records created after it are not here
        (search hides them by their createdAt)."""
        out: dict[int, Indexed] = {}
        for rid, log in list(self.types[object_type].indexed.items()):
            for when, old in log:
                if when > cutoff_ms:
                    out[rid] = old
                    break
        return out

    # -- ground truth --------------------------------------------------------------------------------------------

    def counts(self) -> dict[str, dict[str, int]]:
        """Per type: total (live) and archived record counts."""
        out = {}
        for name, st in self.types.items():
            state = st.cols.state[: st.cols.n]
            out[name] = {"total": int(np.count_nonzero(state == LIVE)),
                         "archived": int(np.count_nonzero(state == ARCHIVED))}
        return out

    def truth(self, object_type: str) -> list[dict]:
        """Every existing (live or archived) record: id, updatedAt (ISO), archived."""
        st = self.types[object_type]
        n = st.cols.n
        state = st.cols.state[:n]
        keep = state != GONE
        ids = st.cols.ids[:n][keep].tolist()
        updated = iso_many(st.cols.updated[:n][keep])
        archived = (state[keep] == ARCHIVED).tolist()
        return [{"id": str(i), "updatedAt": u, "archived": a} for i, u, a in zip(ids, updated, archived)]


__all__ = ["ARCHIVED", "ASSOCIATIONS", "GONE", "LIVE", "Indexed", "Store"]
