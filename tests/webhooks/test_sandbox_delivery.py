"""The sandbox's own webhook dispatcher (which signs, batches, shuffles, retries and redelivers as HubSpot does)
pointed at the receiver: changes made in the sandbox end in the queue as typed events, once each."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from hubspot_assets.sandbox.config import SandboxConfig
from hubspot_assets.sandbox.server import SandboxServer
from hubspot_assets.webhooks.events import AssociationChangeEvent, ConversationEvent, MergeEvent
from tests.conftest import DEFAULTS
from tests.webhooks.conftest import SECRET, metric_value


@pytest.fixture(scope="module")
def hubspot() -> Iterator[SandboxServer]:
    # One sandbox for the module, signing with the receiver's secret; retries take milliseconds.
    server = SandboxServer(SandboxConfig(**{**DEFAULTS, "client_secret": SECRET, "webhook_backoff_scale": 0.001}))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pointed(hubspot: SandboxServer, receiver_factory) -> Iterator:
    """A receiver with the sandbox's webhook target set to it, delivery quirks off unless a test turns them on."""
    receiver = receiver_factory()
    hubspot.admin("webhooks/config", {"duplicate_rate": 0, "redeliver_rate": 0})
    hubspot.admin("webhooks/deliveries", method="DELETE")
    hubspot.admin("webhooks/target", {"url": receiver.url}, method="PUT")
    yield receiver
    hubspot.admin("webhooks/target", method="DELETE")


def settle(hubspot: SandboxServer) -> list[dict]:
    """Wait until the sandbox has delivered everything; its delivery log."""
    hubspot.admin("webhooks/wait", {"timeout_s": 30})
    return hubspot.admin("webhooks/deliveries")["batches"]


def mutate(hubspot: SandboxServer, *operations: dict) -> list[dict]:
    return hubspot.admin("mutate", {"operations": list(operations)})["results"]


def queued(receiver) -> list:
    events = []
    while batch := receiver.queue.claim(500, "test"):
        events += [q.event for q in batch.events]
    return events


def test_every_kind_of_change_reaches_the_queue_as_a_typed_event(hubspot: SandboxServer, pointed) -> None:
    made = mutate(
        hubspot,
        {"op": "create", "objectType": "contacts", "properties": {"email": "kind-a@example.com"}},
        {"op": "create", "objectType": "contacts", "properties": {"email": "kind-b@example.com"}},
        {"op": "create", "objectType": "companies", "properties": {"name": "Kinds Inc"}},
    )
    first, second, company = (int(result["id"]) for result in made)
    mutate(
        hubspot,
        {"op": "update", "objectType": "contacts", "id": first, "properties": {"firstname": "Ada"}},
        {"op": "associate", "fromType": "contacts", "fromId": first, "toType": "companies", "toId": company},
        {"op": "archive", "objectType": "companies", "id": company},
        {"op": "restore", "objectType": "companies", "id": company},
        {"op": "merge", "objectType": "contacts", "primaryId": first, "mergedId": second},
        {"op": "gdpr_delete", "objectType": "contacts", "id": first},
        {"op": "new_thread"},
        {"op": "new_message"},
    )
    deliveries = settle(hubspot)
    events = queued(pointed)
    types = {event.subscription_type for event in events}
    assert {"contact.creation", "contact.propertyChange", "contact.associationChange", "company.associationChange",
            "company.deletion", "company.restore", "contact.merge", "contact.privacyDeletion",
            "conversation.creation", "conversation.newMessage"} <= types
    merge = next(e for e in events if isinstance(e, MergeEvent))
    assert merge.object_ids == (first, second)
    link = next(e for e in events if isinstance(e, AssociationChangeEvent) and e.object_type == "contacts")
    assert (link.object_ids, link.to_object_type, link.to_object_id) == ((first,), "companies", company)
    assert all(e.thread_id for e in events if isinstance(e, ConversationEvent))
    sent = {event_id for d in deliveries for event_id in d["eventIds"]}
    assert {e.event_id for e in events} == sent
    assert all(attempt["status"] == 204 for d in deliveries for attempt in d["attempts"])


def test_redelivered_batches_and_reused_event_ids_make_no_duplicate_work(hubspot: SandboxServer, pointed) -> None:
    hubspot.admin("webhooks/config", {"redeliver_rate": 1.0, "duplicate_rate": 0.3})
    made = mutate(hubspot, *({"op": "create", "objectType": "deals", "properties": {"dealname": f"Dup {i}"}}
                             for i in range(20)))
    deliveries = settle(hubspot)
    assert any(d["redelivery"] for d in deliveries)
    events = queued(pointed)
    creations = [e for e in events if e.subscription_type == "deal.creation"]
    assert sorted(e.object_id for e in creations) == sorted(int(r["id"]) for r in made)  # each once
    keys = [e.dedupe_key for e in events]
    assert len(keys) == len(set(keys))
    ids = [e.event_id for e in events]
    assert len(set(ids)) < len(ids)  # eventIds the sandbox reused on other changes: those changes were kept
    assert metric_value(pointed.metrics(), "hubspot_webhook_events_duplicate_total") >= len(events)


def test_a_burst_of_changes_arrives_whole_whatever_the_order(hubspot: SandboxServer, pointed) -> None:
    hubspot.admin("mutate", {"random": {"updates": 300, "creates": 20, "object_types": ["contacts"]}, "seed": 5})
    deliveries = settle(hubspot)
    sent = {event_id for d in deliveries for event_id in d["eventIds"]}
    events = queued(pointed)
    assert {e.event_id for e in events} == sent
    assert len(deliveries) > 1  # several concurrent, shuffled batches
    occurred = [e.occurred_at for e in events]
    assert occurred == sorted(occurred)  # claimed in the order the changes happened, not as delivered


def test_batches_sent_while_the_receiver_is_down_arrive_when_it_is_back(hubspot: SandboxServer, pointed,
                                                                        receiver_factory, sqlite_url: str) -> None:
    port = int(pointed.url.split(":")[2].split("/")[0])
    pointed.stop()  # an outage: the sandbox's posts now fail to connect, and it retries as HubSpot does
    made = mutate(hubspot, {"op": "create", "objectType": "tickets", "properties": {"subject": "During the outage"}})
    deadline = time.monotonic() + 30
    while not any(a["error"] for d in hubspot.admin("webhooks/deliveries")["batches"] for a in d["attempts"]):
        assert time.monotonic() < deadline, "the sandbox never tried to deliver"
        time.sleep(0.01)
    back = receiver_factory(queue_url=sqlite_url, port=port)
    settle(hubspot)
    ticket = int(made[0]["id"])
    assert [e.object_id for e in queued(back) if e.subscription_type == "ticket.creation"] == [ticket]
