"""Changes to the portal (from the CRM write API or the admin `POST /_sandbox/mutate`) and their webhook events.

Every change goes through `Mutator`, which applies it to the store and hands HubSpot-shaped semantic events to
the webhook dispatcher (which adds eventId, subscriptionId, portalId, appId, attemptNumber and delivers them).

Admin mutate body: `{"operations": [op, ...]}` applied in order, each op one of
- `{"op": "create", "objectType": "contacts", "properties": {...}, "associations"?: [{"objectType", "id"}]}`
- `{"op": "update", "objectType", "id", "properties": {...}}` ("" or null clears a value)
- `{"op": "archive" | "restore" | "gdpr_delete", "objectType", "id"}`
- `{"op": "merge", "objectType", "primaryId", "mergedId"}` (contacts, companies, deals, tickets)
- `{"op": "associate" | "unassociate", "fromType", "fromId", "toType", "toId",
   "types"?: [{"associationCategory", "associationTypeId"}]}`
- `{"op": "new_message", "threadId"?, "messageType"?: "MESSAGE"|"COMMENT", "direction"?: "INCOMING"|"OUTGOING",
   "text"?}` and `{"op": "new_thread", "contactId"?, "channelId"?, "text"?}`, handed to the conversations
  service (snake_case `thread_id`, `message_type`, `contact_id`, `channel_id` work too)
or the generator shortcut `{"random": {"updates": N, "creates": N, "archives": N, "restores": N, "merges": N,
"associations": N, "messages": N, "object_types": [...]}, "seed": 7}` (at most 100,000 changes per call).
Any key an op does not know is a 400 naming it, checked for every op before any is applied.
The answer lists what changed: `{"results": [per-op result], "events": <count emitted>}`.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from hubspot_assets.sandbox.errors import HubSpotError, validation_error
from hubspot_assets.sandbox.generator import ASCII_FIRST, FIRST, LAST, WORDS, iso
from hubspot_assets.sandbox.portal import ASSOCIATIONS, PropertyDef
from hubspot_assets.sandbox.store import Store

MERGEABLE = ("contacts", "companies", "deals", "tickets")
DEFAULT_RANDOM_TYPES = ("contacts", "companies", "deals", "tickets")
RANDOM_COUNTS = ("updates", "creates", "archives", "restores", "merges", "associations", "messages")
# One random call is applied under the store lock: the cap keeps a call from holding the server for minutes.
MAX_RANDOM_CHANGES = 100_000
_COMMON = ("op", "changeSource")
# The keys each op accepts; any other key is a 400 naming it, so a typo never silently does something else.
OP_KEYS: dict[str, tuple[str, ...]] = {
    "create": (*_COMMON, "objectType", "properties", "associations"),
    "update": (*_COMMON, "objectType", "id", "properties"),
    "archive": (*_COMMON, "objectType", "id"),
    "restore": (*_COMMON, "objectType", "id"),
    "gdpr_delete": (*_COMMON, "objectType", "id"),
    "merge": (*_COMMON, "objectType", "primaryId", "mergedId", "primaryObjectId", "objectIdToMerge"),
    "associate": (*_COMMON, "fromType", "fromId", "toType", "toId", "types"),
    "unassociate": (*_COMMON, "fromType", "fromId", "toType", "toId"),
    "new_message": ("op", "threadId", "messageType", "direction", "text", "seed", "thread_id", "message_type"),
    "new_thread": ("op", "contactId", "channelId", "text", "seed", "contact_id", "channel_id"),
}
# camelCase keys of the conversation ops -> the names ConversationsService reads.
_CONVERSATION_KEYS = {"threadId": "thread_id", "messageType": "message_type", "contactId": "contact_id",
                      "channelId": "channel_id"}


class Mutator:
    """Applies changes to the store and emits their webhook events (dispatcher may be None)."""

    def __init__(self, store: Store, dispatcher: Any = None, conversations: Any = None) -> None:
        self.store = store
        self.dispatcher = dispatcher
        self.conversations = conversations

    # -- events --

    def _event(self, object_type: str, action: str, object_id: int, occurred_at: int, source: str,
               **extra: Any) -> dict:
        spec = self.store.spec(object_type)
        prefix = spec.webhook_prefix
        event: dict[str, Any] = {
            "subscriptionType": f"{prefix}.{action}" if prefix else f"object.{action}",
            "objectId": int(object_id),
            "occurredAt": int(occurred_at),
            "changeSource": source,
        }
        if not prefix:
            event["objectTypeId"] = spec.type_id
        event.update(extra)
        return event

    def emit(self, events: list[dict]) -> None:
        if events and self.dispatcher is not None:
            self.dispatcher.emit(events)

    def _property_events(self, object_type: str, rid: int, names: list[str], source: str) -> list[dict]:
        if not names:
            return []
        record = self.store.records(object_type, [rid], names)[0]
        when = self.store.types[object_type].cols.updated[self.store._index(self.store.types[object_type], rid)]
        return [self._event(object_type, "propertyChange", rid, int(when), source, propertyName=name,
                            propertyValue=record["properties"].get(name) or "") for name in names]

    def _check_email_free(self, object_type: str, checked: dict, rid: int | None) -> None:
        """409 CONFLICT when a contact would take an email another contact has (emails are unique)."""
        if object_type == "contacts" and checked.get("email"):
            existing = self.store.find_by_property("contacts", "email", checked["email"])
            if existing is not None and existing != rid:
                raise HubSpotError(409, f"Contact already exists. Existing ID: {existing}", "CONFLICT",
                                   context={"id": [str(existing)]})

    # -- operations (each applies one change and emits its webhook events) --

    def create(self, object_type: str, properties: dict, associations: list[tuple[str, int, list]] = (),
               source: str = "API") -> int:
        """Create a record with unchecked properties (400 on unknown ones); returns its id."""
        checked = self.store.check_properties(object_type, properties)
        self._check_email_free(object_type, checked, None)
        for to_type, to_id, _ in associations:
            if not self.store.exists(to_type, to_id):
                raise validation_error(f"Cannot associate with {to_type} {to_id}: it does not exist",
                                       context={"id": [str(to_id)]})
        rid = self.store.create(object_type, checked, source=source)
        now = int(self.store.types[object_type].cols.created[self.store._index(self.store.types[object_type],
                                                                                rid)])
        events = [self._event(object_type, "creation", rid, now, source)]
        events += self._property_events(object_type, rid, [k for k, v in checked.items() if v is not None],
                                        source)
        for to_type, to_id, types in associations:
            events += self._associate(object_type, rid, to_type, to_id, types, source)
        self.emit(events)
        return rid

    def update(self, object_type: str, rid: int, properties: dict, source: str = "API") -> list[str]:
        """Change properties of a live record; raises KeyError when it is not live. Returns changed names."""
        checked = self.store.check_properties(object_type, properties)
        self._check_email_free(object_type, checked, rid)
        changed = self.store.update(object_type, rid, checked, source=source)
        self.emit(self._property_events(object_type, rid, changed, source))
        return changed

    def archive(self, object_type: str, rid: int, source: str = "API") -> bool:
        if not self.store.archive(object_type, rid):
            return False
        self.emit([self._event(object_type, "deletion", rid, self.store.now_ms(), source)])
        return True

    def restore(self, object_type: str, rid: int, source: str = "API") -> bool:
        if not self.store.restore(object_type, rid):
            return False
        self.emit([self._event(object_type, "restore", rid, self.store.now_ms(), source)])
        return True

    def merge(self, object_type: str, primary: int, merged: int, source: str = "API") -> None:
        """Merge `merged` into `primary`; KeyError when either is not a live record."""
        if object_type not in MERGEABLE:
            raise validation_error(f"Merging is not supported for {object_type}; only {', '.join(MERGEABLE)}")
        if primary == merged:
            raise validation_error("primaryObjectId and objectIdToMerge must be different records")
        self.store.merge(object_type, primary, merged)
        self.emit([self._event(object_type, "merge", primary, self.store.now_ms(), source, primaryObjectId=primary,
                               mergedObjectIds=[merged], newObjectId=primary)])

    def gdpr_delete(self, object_type: str, rid: int, source: str = "API") -> bool:
        if not self.store.gdpr_delete(object_type, rid):
            return False
        action = "privacyDeletion" if object_type == "contacts" else "deletion"
        self.emit([self._event(object_type, action, rid, self.store.now_ms(), source)])
        return True

    def _association_events(self, a: str, a_id: int, b: str, b_id: int, removed: bool, primary: bool,
                            source: str) -> list[dict]:
        now = self.store.now_ms()
        out = []
        for x, x_id, y, y_id in ((a, a_id, b, b_id), (b, b_id, a, a_id)):
            name = f"{self.store.spec(x).singular}_TO_{self.store.spec(y).singular}".upper()
            out.append(self._event(x, "associationChange", x_id, now, source, associationType=name,
                                   fromObjectId=int(x_id), toObjectId=int(y_id), associationRemoved=removed,
                                   isPrimaryAssociation=primary))
        return out

    def _associate(self, a: str, a_id: int, b: str, b_id: int, types: list, source: str) -> list[dict]:
        self.store.associate(a, a_id, b, b_id, types)
        primary = any(self.store.reverse_type(a, b, int(t))[2] == "Primary"
                      for _, t in types if self.store.reverse_type(a, b, int(t)))
        return self._association_events(a, a_id, b, b_id, False, primary, source)

    def associate(self, a: str, a_id: int, b: str, b_id: int, types: list[tuple[str, int]] = (),
                  source: str = "API") -> None:
        """Link two existing records (both directions, association events both ways)."""
        for t, i in ((a, a_id), (b, b_id)):
            if not self.store.exists(t, i):
                raise KeyError((t, i))
        self.emit(self._associate(a, a_id, b, b_id, list(types), source))

    def unassociate(self, a: str, a_id: int, b: str, b_id: int, source: str = "API") -> bool:
        if not self.store.unassociate(a, a_id, b, b_id):
            return False
        self.emit(self._association_events(a, a_id, b, b_id, True, False, source))
        return True

    # -- admin mutate --

    def apply(self, body: Any) -> dict:
        """Apply an admin mutate body (see the module docstring); 400 on a malformed operation."""
        if not isinstance(body, dict):
            raise validation_error("The mutate body must be a JSON object with 'operations' or 'random'")
        with self.store.lock:  # one mutate body is atomic with respect to other writes
            return self._apply(body)

    def _apply(self, body: dict) -> dict:
        _reject_unknown(body, ("operations", "random", "seed"), "the mutate body")
        if "random" in body:
            return self.apply_random(body.get("random") or {}, body.get("seed"))
        ops = body.get("operations")
        if not isinstance(ops, list):
            raise validation_error("'operations' must be a list of {\"op\": ...} objects")
        for i, op in enumerate(ops):  # shapes and keys first: a typo anywhere applies nothing
            try:
                _check_op_shape(op)
            except HubSpotError as exc:
                raise HubSpotError(exc.status, f"operations[{i}]: {exc.message} (nothing was applied)",
                                   exc.category) from None
        results = []
        for i, op in enumerate(ops):
            try:
                results.append(self.apply_one(op))
            except HubSpotError as exc:
                raise HubSpotError(exc.status, f"operations[{i}]: {exc.message} ({i} earlier operations were "
                                   "applied)", exc.category, context=exc.context, extra=exc.extra) from None
            except KeyError as exc:
                raise HubSpotError(404, f"operations[{i}]: record {exc.args[0]} does not exist or is not live "
                                   f"({i} earlier operations were applied)", "OBJECT_NOT_FOUND") from None
        return {"results": results}

    def _type_and_id(self, op: dict, type_key: str = "objectType", id_key: str = "id") -> tuple[str, int]:
        raw_type = op.get(type_key)
        if not isinstance(raw_type, str):
            raise validation_error(f"'{type_key}' is required (e.g. \"contacts\")")
        object_type = self.store.resolve_type(raw_type)
        return object_type, _int(op.get(id_key), id_key)

    def apply_one(self, op: Any) -> dict:
        _check_op_shape(op)
        name = op["op"]
        source = str(op.get("changeSource", "CRM_UI"))
        if name == "create":
            object_type = self.store.resolve_type(str(op.get("objectType", "")))
            assoc = []
            raw_assoc = op.get("associations") or []
            if not isinstance(raw_assoc, list):
                raise validation_error("'associations' must be a list of {\"objectType\", \"id\"}")
            for a in raw_assoc:
                if not isinstance(a, dict):
                    raise validation_error("each of 'associations' must be an object {\"objectType\", \"id\"}")
                _reject_unknown(a, ("objectType", "id"), "associations[]")
                to_type = self.store.resolve_type(str(a.get("objectType", "")))
                assoc.append((to_type, _int(a.get("id"), "associations[].id"), []))
            rid = self.create(object_type, op.get("properties") or {}, assoc, source=source)
            return {"op": name, "objectType": object_type, "id": str(rid)}
        if name == "update":
            object_type, rid = self._type_and_id(op)
            changed = self.update(object_type, rid, op.get("properties") or {}, source=source)
            return {"op": name, "objectType": object_type, "id": str(rid), "changed": changed}
        if name in ("archive", "restore", "gdpr_delete"):
            object_type, rid = self._type_and_id(op)
            done = getattr(self, name)(object_type, rid, source=source)
            if not done:
                raise KeyError(rid)
            return {"op": name, "objectType": object_type, "id": str(rid)}
        if name == "merge":
            object_type = self.store.resolve_type(str(op.get("objectType", "")))
            primary = _int(op.get("primaryId", op.get("primaryObjectId")), "primaryId")
            merged = _int(op.get("mergedId", op.get("objectIdToMerge")), "mergedId")
            self.merge(object_type, primary, merged, source=source)
            return {"op": name, "objectType": object_type, "primaryId": str(primary), "mergedId": str(merged)}
        if name in ("associate", "unassociate"):
            a, a_id = self._type_and_id(op, "fromType", "fromId")
            b, b_id = self._type_and_id(op, "toType", "toId")
            if name == "associate":
                raw_types = op.get("types") or []
                if not isinstance(raw_types, list) or not all(isinstance(t, dict) for t in raw_types):
                    raise validation_error("'types' must be a list of {\"associationCategory\", "
                                           "\"associationTypeId\"}")
                for t in raw_types:
                    _reject_unknown(t, ("associationCategory", "associationTypeId"), "types[]")
                types = [(t.get("associationCategory", "HUBSPOT_DEFINED"), _int(t.get("associationTypeId"),
                                                                                  "associationTypeId"))
                         for t in raw_types]
                self.associate(a, a_id, b, b_id, types, source=source)
            elif not self.unassociate(a, a_id, b, b_id, source=source):
                raise KeyError(f"association {a} {a_id} -> {b} {b_id}")
            return {"op": name, "fromType": a, "fromId": str(a_id), "toType": b, "toId": str(b_id)}
        if name in ("new_message", "new_thread"):
            method = "apply_" + name
            if self.conversations is None or not hasattr(self.conversations, method):
                raise validation_error(f"{name} needs the conversations service, which is not available")
            events = getattr(self.conversations, method)(_conversation_op(op))
            result = {"op": name}
            if isinstance(events, dict):
                result.update(events.get("result", {}))
                events = events.get("events", [])
            self.emit(list(events or []))
            result["events"] = len(events or [])
            return result
        raise validation_error(f"unknown op '{name}'")  # unreachable: OP_KEYS names every op handled above

    def apply_random(self, spec: Any, seed: Any) -> dict:
        """Random changes (deterministic for a given seed and store state) across `object_types`."""
        if not isinstance(spec, dict):
            raise validation_error("'random' must be an object like {\"updates\": 10, \"creates\": 2}")
        _reject_unknown(spec, (*RANDOM_COUNTS, "object_types", "objectTypes"), "'random'")
        rng = random.Random(_int(seed, "seed") if seed is not None else None)
        raw_types = spec.get("object_types", spec.get("objectTypes")) or DEFAULT_RANDOM_TYPES
        if not isinstance(raw_types, list | tuple):
            raise validation_error("'random.object_types' must be a list of object types, e.g. [\"contacts\"]")
        types = [self.store.resolve_type(str(t)) for t in raw_types]
        counts = {k: _int(spec.get(k, 0), k) for k in RANDOM_COUNTS}
        negative = [k for k, v in counts.items() if v < 0]
        if negative:
            raise validation_error(f"'random' counts must not be negative: {', '.join(negative)}")
        if sum(counts.values()) > MAX_RANDOM_CHANGES:
            raise validation_error(f"'random' asks for {sum(counts.values())} changes; at most {MAX_RANDOM_CHANGES:,} "
                                   "per call (send several calls for more)")
        out: dict[str, Any] = {"created": {}, "updated": {}, "archived": {}, "restored": {}, "merged": [],
                               "associated": [], "messages": []}
        for _ in range(counts["creates"]):
            t = rng.choice(types)
            rid = self.create(t, self._random_properties(t, rng, new=True), source="CRM_UI")
            out["created"].setdefault(t, []).append(str(rid))
        for _ in range(counts["updates"]):
            t = rng.choice(types)
            rid = self._random_live(t, rng)
            if rid is not None:
                self.update(t, rid, self._random_properties(t, rng), source="CRM_UI")
                out["updated"].setdefault(t, []).append(str(rid))
        for _ in range(counts["archives"]):
            t = rng.choice(types)
            rid = self._random_live(t, rng)
            if rid is not None and self.archive(t, rid, source="CRM_UI"):
                out["archived"].setdefault(t, []).append(str(rid))
        for _ in range(counts["restores"]):
            t = rng.choice(types)
            ids = self.store.ids(t, archived=True)
            candidates = [i for i in ids.tolist() if i not in self.store.types[t].merged_into]
            if candidates:
                rid = rng.choice(candidates)
                if self.restore(t, rid, source="CRM_UI"):
                    out["restored"].setdefault(t, []).append(str(rid))
        mergeable = [t for t in types if t in MERGEABLE] or ["contacts"]
        for _ in range(counts["merges"]):
            t = rng.choice(mergeable)
            a, b = self._random_live(t, rng), self._random_live(t, rng)
            if a is not None and b is not None and a != b:
                self.merge(t, a, b, source="CRM_UI")
                out["merged"].append({"objectType": t, "primaryId": str(a), "mergedId": str(b)})
        kinds = [k for k in ASSOCIATIONS if k.child in types or k.parent in types] or list(ASSOCIATIONS[:1])
        for _ in range(counts["associations"]):
            kind = rng.choice(kinds)
            a, b = self._random_live(kind.child, rng), self._random_live(kind.parent, rng)
            if a is None or b is None:
                continue
            linked = any(t == b for t, _ in self.store.links(kind.child, a, kind.parent))
            if linked and rng.random() < 0.5:
                self.unassociate(kind.child, a, kind.parent, b, source="CRM_UI")
                action = "unassociate"
            else:
                self.associate(kind.child, a, kind.parent, b, source="CRM_UI")
                action = "associate"
            out["associated"].append({"op": action, "fromType": kind.child, "fromId": str(a),
                                      "toType": kind.parent, "toId": str(b)})
        for _ in range(counts["messages"]):
            if self.conversations is None or not hasattr(self.conversations, "apply_new_message"):
                raise validation_error("messages need the conversations service, which is not available")
            result = self.apply_one({"op": "new_message", "seed": rng.randrange(1 << 30)})
            out["messages"].append(result)
        return out

    def _random_live(self, object_type: str, rng: random.Random) -> int | None:
        ids = self.store.ids(object_type)
        if not len(ids):
            return None
        return int(ids[rng.randrange(len(ids))])

    def _random_properties(self, object_type: str, rng: random.Random, new: bool = False) -> dict[str, str]:
        gen = self.store.types[object_type].gen
        writable = [p for p in gen.props if not p.vocab.startswith("@") and not p.calculated]
        props = {p.name: random_value(p, rng) for p in rng.sample(writable, min(len(writable), rng.randint(1, 3)))}
        if new and object_type == "contacts":
            first = rng.choice(FIRST)
            props.update(firstname=first, lastname=rng.choice(LAST),
                         email=f"{rng.choice(ASCII_FIRST)}.new{rng.randrange(10**9)}@example.com")
        return props


def random_value(prop: PropertyDef, rng: random.Random) -> str:
    """A plausible new value for a property (used by random mutations)."""
    if prop.type == "enumeration" and prop.options:
        values = [v for _, v in prop.options]
        if prop.field_type == "checkbox":
            return ";".join(rng.sample(values, rng.randint(1, min(2, len(values)))))
        return rng.choice(values)
    if prop.type == "bool":
        return rng.choice(("true", "false"))
    if prop.type == "number":
        return str(rng.randint(0, 100_000))
    if prop.type == "date":
        return str(np.datetime64(rng.randint(1_600_000_000_000, 1_800_000_000_000), "ms").astype("datetime64[D]"))
    if prop.type == "datetime":
        return iso(rng.randint(1_600_000_000_000, 1_800_000_000_000))
    if prop.type == "phone_number" or "phone" in prop.field_type:
        return f"+1{rng.randint(200, 999)}{rng.randint(1000000, 9999999)}"
    return f"{rng.choice(WORDS)} {rng.choice(FIRST)} {rng.randint(1, 99999)}"


def _check_op_shape(op: Any) -> None:
    if not isinstance(op, dict) or not isinstance(op.get("op"), str):
        raise validation_error("each operation must be an object with an 'op' name")
    if op["op"] not in OP_KEYS:
        raise validation_error(f"unknown op '{op['op']}'; use {', '.join(OP_KEYS)}")
    _reject_unknown(op, OP_KEYS[op["op"]], f"op '{op['op']}'")


def _reject_unknown(obj: dict, allowed: tuple[str, ...], where: str) -> None:
    unknown = [k for k in obj if k not in allowed]
    if unknown:
        raise validation_error(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; allowed: "
                               f"{', '.join(allowed)}")


def _conversation_op(op: dict) -> dict:
    """A new_message/new_thread op with camelCase keys renamed for ConversationsService (both spellings work;
    giving both for one field is a 400)."""
    out: dict[str, Any] = {}
    for key, value in op.items():
        name = _CONVERSATION_KEYS.get(key, key)
        if name in out:
            raise validation_error(f"op '{op['op']}': give '{name}' once (as {key} or its snake_case form)")
        out[name] = value
    return out


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise validation_error(f"'{name}' must be an integer id")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise validation_error(f"'{name}' must be an integer id, got {value!r}") from None


__all__ = ["MERGEABLE", "Mutator", "random_value"]
