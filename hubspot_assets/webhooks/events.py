"""HubSpot's webhook events as typed models, each naming what a partial refresh must re-read.

HubSpot POSTs a JSON array of events; the type field it sends is `subscriptionType` (its docs table says
eventType). `parse_batch(body)` turns a decoded body into events or raises `MalformedBatch`:
- CRM objects (`contact.*`, `company.*`, `deal.*`, `ticket.*`, `product.*`, `line_item.*` and the generic
  `object.*` with `objectTypeId` for engagements and custom objects): creation, deletion, propertyChange,
  restore, privacyDeletion -> `CrmObjectEvent`; merge -> `MergeEvent`; associationChange ->
  `AssociationChangeEvent`.
- Conversations (`conversation.*`): creation, deletion, privacyDeletion, propertyChange, newMessage ->
  `ConversationEvent` (`objectId` is the thread id).
- Any other type -> `UnknownEvent`: kept whole, so nothing HubSpot sends is lost to a type we do not know yet.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError
from pydantic.alias_generators import to_camel

from hubspot_assets.hubspot.properties import STANDARD_OBJECT_TYPES

# The prefix of a subscription type -> the object type the warehouse and the client call it.
OBJECT_PREFIXES = {
    "contact": "contacts",
    "company": "companies",
    "deal": "deals",
    "ticket": "tickets",
    "product": "products",
    "line_item": "line_items",
}
CRM_ACTIONS = frozenset({"creation", "deletion", "propertyChange", "restore", "privacyDeletion"})
CONVERSATION_ACTIONS = frozenset({"creation", "deletion", "privacyDeletion", "propertyChange", "newMessage"})
TYPE_NAMES_BY_ID = {type_id: name for name, type_id, _, _ in STANDARD_OBJECT_TYPES}
THREADS = "threads"  # the warehouse table of conversation threads


class MalformedBatch(ValueError):
    """The body is not a JSON list of HubSpot events; the message says why (for the log, not the caller)."""


class WebhookEvent(BaseModel):
    """The fields every HubSpot webhook event carries. `object_type` and `object_ids` name what to re-read."""

    # HubSpot sends some ids and values as numbers, others as strings: accept both where a string is meant.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True,
                              coerce_numbers_to_str=True)

    event_id: int
    occurred_at: int = Field(description="When the change happened in HubSpot (ms since the epoch).")
    subscription_type: str
    subscription_id: int | None = None
    portal_id: int | None = None
    app_id: int | None = None
    attempt_number: int | None = None
    change_source: str | None = None
    _raw: dict[str, Any] | None = PrivateAttr(default=None)

    @property
    def action(self) -> str:
        """What happened: `creation`, `propertyChange`, `merge`, ... (the part after the dot)."""
        return self.subscription_type.partition(".")[2]

    @property
    def object_type(self) -> str | None:
        return None

    @property
    def object_ids(self) -> tuple[int, ...]:
        return ()

    @property
    def thread_id(self) -> int | None:
        return None

    def payload(self) -> bytes:
        """The event as HubSpot sent it (JSON), for the queue: parsing again gives the same event."""
        return orjson.dumps(self._raw) if self._raw is not None else self.model_dump_json(by_alias=True).encode()

    @property
    def dedupe_key(self) -> str:
        """Equal for two deliveries of one event. HubSpot delivers at least once and does not promise unique
        `eventId`s, so the key adds `occurredAt`, and what the event is about so that a reused id on another
        object's change is not mistaken for a repeat."""
        subject = ",".join(map(str, self.object_ids)) or str(self.model_extra.get("objectId", ""))
        return f"{self.event_id}:{self.occurred_at}:{self.subscription_type}:{subject}"


class CrmObjectEvent(WebhookEvent):
    """A CRM record created, changed, archived (`deletion`), restored or erased (`privacyDeletion`)."""

    object_id: int
    object_type_id: str | None = Field(default=None, description="Only on generic `object.*` events.")
    property_name: str | None = None
    property_value: str | None = None
    change_flag: str | None = None
    source_id: str | None = None

    @property
    def object_type(self) -> str:
        prefix = self.subscription_type.partition(".")[0]
        if prefix in OBJECT_PREFIXES:
            return OBJECT_PREFIXES[prefix]
        # Custom objects keep their type id (2-...): the refresh resolves it against the portal's schemas.
        return TYPE_NAMES_BY_ID.get(self.object_type_id or "", self.object_type_id or prefix)

    @property
    def object_ids(self) -> tuple[int, ...]:
        return (self.object_id,)


class MergeEvent(CrmObjectEvent):
    """Records merged into one: the merged ones are archived, the survivor (`newObjectId`) must be re-read."""

    primary_object_id: int | None = None
    merged_object_ids: tuple[int, ...] = ()
    new_object_id: int | None = None

    @property
    def object_ids(self) -> tuple[int, ...]:
        survivor = self.new_object_id or self.primary_object_id or self.object_id
        return (survivor, *(i for i in self.merged_object_ids if i != survivor))


class AssociationChangeEvent(CrmObjectEvent):
    """An association added or removed. HubSpot sends one per direction; each names both ends."""

    association_type: str | None = Field(default=None, description="e.g. CONTACT_TO_COMPANY")
    from_object_id: int | None = None
    to_object_id: int | None = None
    association_removed: bool = False
    is_primary_association: bool = False

    @property
    def object_ids(self) -> tuple[int, ...]:
        return (self.from_object_id or self.object_id,)

    @property
    def to_object_type(self) -> str | None:
        """The other end's object type, from `associationType` (CONTACT_TO_COMPANY -> companies)."""
        _, _, target = (self.association_type or "").lower().partition("_to_")
        return OBJECT_PREFIXES.get(target)


class ConversationEvent(WebhookEvent):
    """A conversation thread created, changed, archived or erased, or a new message in it."""

    object_id: int = Field(description="The thread id.")
    property_name: str | None = None
    property_value: str | None = None
    message_id: str | None = None
    message_type: str | None = None
    change_flag: str | None = None

    @property
    def object_type(self) -> str:
        return THREADS

    @property
    def object_ids(self) -> tuple[int, ...]:
        return (self.object_id,)

    @property
    def thread_id(self) -> int:
        return self.object_id


class UnknownEvent(WebhookEvent):
    """A type this code does not handle yet: stored whole (every field in `model_extra`) and acknowledged."""


def event_class(subscription_type: str) -> type[WebhookEvent]:
    """The model of a subscription type; `UnknownEvent` for any type not listed in the module docstring."""
    prefix, _, action = subscription_type.partition(".")
    if prefix == "conversation":
        return ConversationEvent if action in CONVERSATION_ACTIONS else UnknownEvent
    if prefix not in OBJECT_PREFIXES and prefix != "object":
        return UnknownEvent
    if action == "merge":
        return MergeEvent
    if action == "associationChange":
        return AssociationChangeEvent
    return CrmObjectEvent if action in CRM_ACTIONS else UnknownEvent


def parse_event(raw: Any) -> WebhookEvent:
    """One event from its decoded JSON; `MalformedBatch` when it lacks what its type must carry."""
    if not isinstance(raw, dict):
        raise MalformedBatch(f"an event is a JSON {type(raw).__name__}, not an object")
    subscription_type = raw.get("subscriptionType")
    if not isinstance(subscription_type, str) or not subscription_type:
        raise MalformedBatch("an event has no subscriptionType")
    try:
        event = event_class(subscription_type).model_validate(raw)
    except ValidationError as error:
        fields = sorted({".".join(map(str, item["loc"])) for item in error.errors()})
        raise MalformedBatch(f"a {subscription_type} event has invalid or missing {', '.join(fields)}") from None
    event._raw = raw
    return event


def parse_batch(body: Any) -> list[WebhookEvent]:
    """Every event of a decoded webhook body; `MalformedBatch` unless it is a list of valid events."""
    if not isinstance(body, list):
        raise MalformedBatch(f"the body is a JSON {type(body).__name__}, not a list of events")
    return [parse_event(raw) for raw in body]
