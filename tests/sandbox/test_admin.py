"""The admin API over real HTTP: stats, ground truth, mutations (with webhooks), determinism across starts."""

from __future__ import annotations

import time
from datetime import datetime

import requests

from tests.sandbox.api_calls import get, post
from tests.sandbox.webhook_receiver import WebhookReceiver


def test_stats_count_live_and_archived_records_like_truth(sandbox):
    stats = sandbox.admin("stats")
    assert set(stats["objects"]) >= {"contacts", "companies", "deals", "tickets", "calls", "pets", "vehicles"}
    for object_type in ("contacts", "deals"):
        truth = sandbox.admin(f"truth/{object_type}")
        archived = sum(1 for r in truth["results"] if r["archived"])
        assert stats["objects"][object_type] == {"total": len(truth["results"]) - archived, "archived": archived}
    assert 900 <= stats["objects"]["contacts"]["total"] <= 1100
    assert "total" in stats["requests"]


def test_stats_reset_clears_request_counts(sandbox_factory):
    sandbox = sandbox_factory()
    for _ in range(3):
        get(sandbox, "/crm/v3/objects/contacts", limit=1)
    assert sandbox.admin("stats")["requests"]["total"] >= 3
    sandbox.admin("stats/reset", {})
    assert sandbox.admin("stats")["requests"]["total"] <= 1


def test_mutate_operations_change_records_with_current_timestamps(sandbox_factory):
    sandbox = sandbox_factory()
    page = get(sandbox, "/crm/v3/objects/contacts", limit=100, associations="companies").json()["results"]
    linked = next(r["id"] for r in page if r.get("associations"))
    contacts = [r["id"] for r in page if r["id"] != linked][:2] + [linked]
    company = get(sandbox, "/crm/v3/objects/companies", limit=1).json()["results"][0]["id"]
    truth_before = {r["id"]: r for r in sandbox.admin("truth/contacts")["results"]}
    answer = sandbox.admin("mutate", {"operations": [
        {"op": "update", "objectType": "contacts", "id": contacts[0], "properties": {"city": "Nantes"}},
        {"op": "archive", "objectType": "contacts", "id": contacts[1]},
        {"op": "create", "objectType": "contacts", "properties": {"email": "made@example.com"},
         "associations": [{"objectType": "companies", "id": company}]},
        {"op": "unassociate", "fromType": "contacts", "fromId": contacts[2], "toType": "companies",
         "toId": _first_company(sandbox, contacts[2])},
    ]})
    new_id = answer["results"][2]["id"]
    truth_after = {r["id"]: r for r in sandbox.admin("truth/contacts")["results"]}
    assert truth_after[contacts[0]]["updatedAt"] > "2026"  # now, later than any generated timestamp
    assert truth_after[contacts[1]]["archived"] and \
        truth_after[contacts[1]]["updatedAt"] == truth_before[contacts[1]]["updatedAt"]
    assert truth_after[contacts[2]]["updatedAt"] == truth_before[contacts[2]]["updatedAt"]
    assert new_id in truth_after and new_id not in truth_before
    record = get(sandbox, f"/crm/v3/objects/contacts/{contacts[0]}", properties="city").json()
    assert record["properties"]["city"] == "Nantes"
    links = get(sandbox, f"/crm/v4/objects/contacts/{new_id}/associations/companies").json()["results"]
    assert [str(link["toObjectId"]) for link in links] == [company]


def _first_company(sandbox, contact: str) -> str:
    """A company linked to the contact (generated links)."""
    record = get(sandbox, f"/crm/v3/objects/contacts/{contact}", associations="companies").json()
    return record["associations"]["companies"]["results"][0]["id"]


def test_malformed_mutations_are_400_naming_the_operation(sandbox):
    answer = requests.post(sandbox.url + "/_sandbox/mutate", json={"operations": [{"op": "explode"}]})
    assert answer.status_code == 400 and "operations[0]" in answer.json()["message"]
    answer = requests.post(sandbox.url + "/_sandbox/mutate", json={"operations": [
        {"op": "update", "objectType": "contacts", "id": "abc", "properties": {}}]})
    assert answer.status_code == 400 and "id" in answer.json()["message"]


def test_random_mutations_are_reproducible_and_emit_signed_webhooks(sandbox_factory):
    with WebhookReceiver() as receiver:
        first = sandbox_factory(webhook_target=receiver.url, webhook_backoff_scale=0.001)
        spec = {"random": {"updates": 5, "creates": 2, "archives": 2, "merges": 1, "associations": 3}, "seed": 7}
        changes = first.admin("mutate", spec)
        assert sum(len(v) for v in changes["updated"].values()) == 5 and changes["merged"]
        events = _wait_for_events(receiver, {"creation", "propertyChange", "merge", "deletion"})
        types = {e["subscriptionType"].split(".")[1] for e in events}
        assert {"creation", "propertyChange", "merge", "deletion", "associationChange"} <= types
        assert all(e["portalId"] and e["eventId"] and e["occurredAt"] for e in events)
        merge = next(e for e in events if e["subscriptionType"].endswith(".merge"))
        assert merge["primaryObjectId"] == int(changes["merged"][0]["primaryId"])
        assert merge["mergedObjectIds"] == [int(changes["merged"][0]["mergedId"])]
        headers = {k.lower() for k in receiver.received[0].headers}
        assert {"x-hubspot-signature", "x-hubspot-signature-v3"} <= headers
    second = sandbox_factory()
    assert second.admin("mutate", spec) == changes


def _wait_for_events(receiver: WebhookReceiver, actions: set[str], timeout: float = 10.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        events = [e for post in list(receiver.received) for e in post.events]
        if actions <= {e["subscriptionType"].split(".")[1] for e in events} or time.monotonic() > deadline:
            return events
        time.sleep(0.05)


def test_same_seed_gives_identical_data_across_starts_and_another_seed_differs(sandbox_factory):
    a, b, c = sandbox_factory(seed=5), sandbox_factory(seed=5), sandbox_factory(seed=6)
    names = ",".join(p["name"] for p in get(a, "/crm/v3/properties/contacts").json()["results"][:200])

    def sample(sandbox):
        page = get(sandbox, "/crm/v3/objects/contacts", limit=50, properties=names,
                   propertiesWithHistory="firstname").json()
        calls = get(sandbox, "/crm/v3/objects/calls", limit=20, properties="hs_call_body").json()
        assoc = post(sandbox, "/crm/v4/associations/contacts/companies/batch/read",
                     {"inputs": [{"id": r["id"]} for r in page["results"]]}).json()["results"]
        return page["results"], calls["results"], assoc, sandbox.admin("truth/deals")["results"]

    assert sample(a) == sample(b)
    assert sample(a)[0] != sample(c)[0]


def test_in_process_sandbox_serves_and_stops():
    from hubspot_assets.sandbox.server import run_in_thread

    with run_in_thread(tier="unlimited", scale="50") as sandbox:
        answer = get(sandbox, "/crm/v3/objects/contacts", limit=5)
        assert answer.status_code == 200 and len(answer.json()["results"]) == 5
        url = sandbox.url
    try:
        requests.get(url + "/_sandbox/ping", timeout=2)
    except requests.ConnectionError:
        pass
    else:
        raise AssertionError("the in-process sandbox still answers after stop()")


def test_the_clock_moves_the_portals_time_forward_for_later_changes_and_never_back():
    from hubspot_assets.sandbox.server import run_in_thread

    day_ms = 86_400_000
    with run_in_thread(tier="unlimited", scale="50") as sandbox:
        before = sandbox.admin("clock")
        assert before["offset_ms"] == 0
        moved = sandbox.admin("clock", {"advance_ms": day_ms})
        assert moved["offset_ms"] == day_ms and moved["now_ms"] >= before["now_ms"] + day_ms
        record = post(sandbox, "/crm/v3/objects/contacts", {"properties": {"email": "later@example.com"}}).json()
        created_ms = datetime.fromisoformat(record["createdAt"].replace("Z", "+00:00")).timestamp() * 1000
        assert created_ms >= before["now_ms"] + day_ms
        for body in ({"advance_ms": -1}, {"advance_ms": 1.5}, {"advance": 5}):
            answer = requests.post(f"{sandbox.url}/_sandbox/clock", json=body, timeout=10)
            assert answer.status_code == 400 and "advance_ms" in answer.json()["message"]
        assert sandbox.admin("clock")["offset_ms"] == day_ms
