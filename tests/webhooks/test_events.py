"""Every event type HubSpot sends parses into a typed event that names what to re-read."""

from __future__ import annotations

import pytest

from hubspot_assets.webhooks.events import (
    AssociationChangeEvent,
    ConversationEvent,
    CrmObjectEvent,
    MalformedBatch,
    MergeEvent,
    UnknownEvent,
    parse_batch,
    parse_event,
)
from tests.webhooks.conftest import crm_event

CRM_TYPES = {"contact": "contacts", "company": "companies", "deal": "deals", "ticket": "tickets",
             "product": "products", "line_item": "line_items"}


@pytest.mark.parametrize("prefix", sorted(CRM_TYPES))
@pytest.mark.parametrize("action", ["creation", "deletion", "propertyChange", "restore", "privacyDeletion"])
def test_crm_record_events_name_the_object_type_and_id(prefix: str, action: str) -> None:
    event = parse_event(crm_event(f"{prefix}.{action}", object_id=4711))
    assert type(event) is CrmObjectEvent
    assert (event.object_type, event.object_ids, event.action) == (CRM_TYPES[prefix], (4711,), action)


def test_generic_object_events_name_standard_types_by_name_and_custom_types_by_id() -> None:
    call = parse_event(crm_event("object.creation", object_id=9, objectTypeId="0-48"))
    pet = parse_event(crm_event("object.propertyChange", object_id=10, objectTypeId="2-123456"))
    assert (call.object_type, pet.object_type) == ("calls", "2-123456")


def test_merge_names_the_survivor_first_and_then_the_merged_records() -> None:
    event = parse_event(crm_event("contact.merge", object_id=1, primaryObjectId=1, mergedObjectIds=[2, 3],
                                  newObjectId=1))
    assert isinstance(event, MergeEvent)
    assert event.object_ids == (1, 2, 3)


def test_association_change_names_its_end_and_the_other_type() -> None:
    event = parse_event(crm_event("contact.associationChange", object_id=5, associationType="CONTACT_TO_COMPANY",
                                  fromObjectId=5, toObjectId=77, associationRemoved=True,
                                  isPrimaryAssociation=False))
    assert isinstance(event, AssociationChangeEvent)
    assert (event.object_type, event.object_ids, event.to_object_type, event.to_object_id) == (
        "contacts", (5,), "companies", 77)
    assert event.association_removed is True


@pytest.mark.parametrize("action", ["creation", "deletion", "privacyDeletion", "propertyChange", "newMessage"])
def test_conversation_events_name_the_thread(action: str) -> None:
    raw = crm_event(f"conversation.{action}", object_id=8800)
    if action == "newMessage":
        raw.update(messageId="abc123", messageType="MESSAGE")
    event = parse_event(raw)
    assert isinstance(event, ConversationEvent)
    assert (event.object_type, event.thread_id, event.object_ids) == ("threads", 8800, (8800,))


def test_unknown_types_are_kept_whole() -> None:
    event = parse_event({"eventId": 1, "occurredAt": 2, "subscriptionType": "contact.teleported",
                         "objectId": 3, "destination": "mars"})
    assert isinstance(event, UnknownEvent)
    assert event.model_dump(by_alias=True)["destination"] == "mars"
    assert event.object_ids == ()


def test_redeliveries_share_a_dedupe_key_and_a_reused_event_id_on_another_record_does_not() -> None:
    first = crm_event("contact.creation", object_id=1)
    again = {**first, "attemptNumber": 3}
    other = {**first, "objectId": 2}  # HubSpot does not promise unique eventIds
    keys = [parse_event(raw).dedupe_key for raw in (first, again, other)]
    assert keys[0] == keys[1] != keys[2]


@pytest.mark.parametrize("body", [
    {"eventId": 1},  # an object, not a list
    [1, 2],
    [{"eventId": 1, "occurredAt": 2}],  # no subscriptionType
    [{"subscriptionType": "contact.creation", "occurredAt": 2, "objectId": 3}],  # no eventId
    [{"eventId": 1, "occurredAt": 2, "subscriptionType": "contact.creation"}],  # no objectId
    [{"eventId": "x", "occurredAt": 2, "subscriptionType": "deal.creation", "objectId": 3}],
])
def test_bodies_that_are_not_lists_of_events_are_malformed(body: object) -> None:
    with pytest.raises(MalformedBatch):
        parse_batch(body)
