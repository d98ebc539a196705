"""End to end: the sandbox changes records with its webhook target pointed at the receiver, `drain_queue` (the code
of `hubspot-elt webhooks drain` and of the Dagster partial refresh) applies the queued events, and the warehouse then
matches the sandbox's ground truth without a full or incremental sync, at the cost of the reads the events need."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
from click.testing import CliRunner

from hubspot_assets.cli import main
from hubspot_assets.defs.assets import build_hubspot_raw_assets
from hubspot_assets.defs.jobs import partial_refresh_job
from hubspot_assets.defs.realtime import evaluate
from hubspot_assets.defs.resources import WebhookQueueResource
from hubspot_assets.hubspot.client import HubSpotClient
from hubspot_assets.sandbox.config import SandboxConfig
from hubspot_assets.sandbox.server import SandboxServer
from hubspot_assets.settings import Settings
from hubspot_assets.sources.catalog import discover_catalog
from hubspot_assets.sources.pipeline import run_sync
from hubspot_assets.sources.warehouse import writer_lock
from hubspot_assets.webhooks.queue import WebhookQueue
from hubspot_assets.webhooks.refresh import drain_queue
from tests.conftest import DEFAULTS
from tests.defs.dagster_runs import materializations, resources_for
from tests.sources.sandbox_warehouse import assert_table_matches_truth, query, settings_for, truth
from tests.webhooks.conftest import SECRET, RunningReceiver, start_receiver

# The reads a partial refresh may make: records and links by id, definitions, threads and their messages.
REFRESH_ENDPOINTS = {
    "GET /crm/v3/properties/{objectType}",
    "POST /crm/v3/objects/{objectType}/batch/read",
    "POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read",
    "GET /conversations/v3/conversations/threads/{id}",
    "GET /conversations/v3/conversations/threads/{id}/messages",
}
LINK_COLUMNS = "from_object_type, from_id, to_object_type, to_id, type_id"


@dataclass
class Portal:
    hubspot: SandboxServer
    receiver: RunningReceiver
    settings: Settings
    work: Path

    def mutate(self, *operations: dict) -> list[dict]:
        return self.hubspot.admin("mutate", {"operations": list(operations)})["results"]

    def drain(self, **overrides) -> tuple:
        """Wait for the sandbox to deliver everything, reset its request log, drain; (report, requests)."""
        self.hubspot.admin("webhooks/wait", {"timeout_s": 30})
        self.hubspot.admin("stats/reset", json={})
        settings = self.settings.model_copy(update=overrides)
        queue = WebhookQueue.from_settings(settings)
        try:
            report = drain_queue(settings, queue)
        finally:
            queue.close()
        return report, self.hubspot.admin("stats")["requests"]["by_endpoint"]

    def depth(self) -> dict[str, int]:
        queue = WebhookQueue.from_settings(self.settings)
        try:
            return queue.depth()
        finally:
            queue.close()


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    # A small portal; HubSpot's delivery quirks on (reused event ids, batches delivered twice, shuffled order).
    hubspot = SandboxServer(SandboxConfig(**{**DEFAULTS, "scale": "120", "client_secret": SECRET,
                                             "webhook_backoff_scale": 0.001}))
    hubspot.start()
    work = tmp_path_factory.mktemp("realtime")
    receiver = start_receiver(f"sqlite:///{work / 'queue.sqlite'}")
    try:
        hubspot.admin("webhooks/config", {"duplicate_rate": 0.2, "redeliver_rate": 0.3})
        hubspot.admin("webhooks/target", {"url": receiver.url}, method="PUT")
        settings = settings_for(hubspot, work, queue_url=f"sqlite:///{work / 'queue.sqlite'}", retry_max_attempts=1)
        run_sync(settings, mode="full")
        yield Portal(hubspot, receiver, settings, work)
    finally:
        receiver.stop()
        hubspot.stop()


def live_ids(settings: Settings, table: str, limit: int) -> list[int]:
    return [r[0] for r in query(settings, f"SELECT id FROM hubspot_raw.{table} WHERE NOT archived ORDER BY id "
                                          f"LIMIT {limit}")]


def test_every_kind_of_change_reaches_the_warehouse_from_webhooks_alone(portal: Portal) -> None:
    contacts = live_ids(portal.settings, "contacts", 6)
    companies = live_ids(portal.settings, "companies", 3)
    deal = live_ids(portal.settings, "deals", 1)[0]
    thread = truth(portal.hubspot, "threads")
    linked, company = query(portal.settings, "SELECT from_id, to_id FROM hubspot_raw.associations WHERE "
                            "from_object_type = 'contacts' AND to_object_type = 'companies' ORDER BY 1 LIMIT 1")[0]
    made = portal.mutate(
        {"op": "create", "objectType": "contacts", "properties": {"email": "realtime@example.com"},
         "associations": [{"objectType": "companies", "id": companies[0]}]},
        {"op": "update", "objectType": "contacts", "id": contacts[0], "properties": {"firstname": "Webhooked"}},
        {"op": "associate", "fromType": "contacts", "fromId": contacts[1], "toType": "companies", "toId": companies[1]},
        {"op": "unassociate", "fromType": "contacts", "fromId": linked, "toType": "companies", "toId": company},
        {"op": "archive", "objectType": "companies", "id": companies[2]},
        {"op": "archive", "objectType": "deals", "id": deal},
        {"op": "restore", "objectType": "deals", "id": deal},
        {"op": "merge", "objectType": "contacts", "primaryId": contacts[3], "mergedId": contacts[4]},
        {"op": "gdpr_delete", "objectType": "contacts", "id": contacts[5]},
        {"op": "new_thread"},
        {"op": "new_message", "threadId": next(iter(thread))},
    )
    report, requests = portal.drain()

    assert report.events > 0 and portal.depth()["pending"] == portal.depth()["dead"] == 0
    assert set(requests) <= REFRESH_ENDPOINTS, requests  # no search, no list: only what the events name
    for object_type in ("contacts", "companies", "deals"):
        assert_table_matches_truth(portal.settings, portal.hubspot, object_type)
    created = int(made[0]["id"])
    assert query(portal.settings, "SELECT firstname FROM hubspot_raw.contacts WHERE id = ?", contacts[0]) == [
        ("Webhooked",)]
    assert query(portal.settings, "SELECT count(*) FROM hubspot_raw.contacts WHERE id IN (?, ?) AND NOT archived",
                 contacts[4], contacts[5]) == [(0,)]  # merged away, erased
    assert query(portal.settings, "SELECT count(*) FROM hubspot_raw.merges WHERE merged_id = ?", contacts[4]) == [
        (1,)]
    # Links, threads and messages as HubSpot holds them now.
    assert set(query(portal.settings, f"SELECT {LINK_COLUMNS} FROM hubspot_raw.associations")) == hubspot_links(portal)
    assert (created, companies[0]) in {(r[1], r[3]) for r in query(
        portal.settings, f"SELECT {LINK_COLUMNS} FROM hubspot_raw.associations WHERE to_object_type = 'companies'")}
    for table in ("threads", "messages"):
        held = set(query(portal.settings, f"SELECT id::VARCHAR, archived FROM hubspot_raw.{table}"))
        hubspot = portal.hubspot.admin(f"truth/{table}")["results"]  # message ids are not numbers
        assert held == {(str(r["id"]), bool(r["archived"])) for r in hubspot}


def hubspot_links(portal: Portal) -> set[tuple]:
    """Every link between live records, read from HubSpot on the sides the warehouse stores them from."""
    client = HubSpotClient.from_settings(portal.settings)
    try:
        catalog = discover_catalog(client)
        links = set()
        for from_type, to_types in catalog.association_plan().items():
            ids = [i for i, r in truth(portal.hubspot, from_type).items() if not r["archived"]]
            for to_type in to_types:
                api = (catalog.custom.get(from_type, from_type), catalog.custom.get(to_type, to_type))
                links |= {(from_type, f, to_type, t, kind) for f, t, kind, *_ in client.association_links(*api, ids)}
        return links
    finally:
        client.close()


def test_a_thousand_changes_to_a_hundred_contacts_cost_two_api_calls(portal: Portal) -> None:
    portal.drain()  # whatever an earlier test left
    contacts = live_ids(portal.settings, "contacts", 100)
    portal.mutate(*({"op": "update", "objectType": "contacts", "id": contacts[i % 100],
                     "properties": {"jobtitle": f"Title {i}"}} for i in range(1000)))
    report, requests = portal.drain()
    assert report.events >= 1000
    assert sum(requests.values()) <= 2, requests  # the definitions and one batch read of 100
    last = {contacts[i % 100]: f"Title {i}" for i in range(1000)}
    held = dict(query(portal.settings, "SELECT id, jobtitle FROM hubspot_raw.contacts WHERE id IN "
                                       f"({', '.join(map(str, contacts))})"))
    assert held == last  # the last change of each contact, whatever order the events came in


def test_a_refresh_that_fails_gives_its_events_back_and_the_next_drain_applies_them(portal: Portal) -> None:
    portal.drain()
    contact = live_ids(portal.settings, "contacts", 1)[0]
    portal.mutate({"op": "update", "objectType": "contacts", "id": contact, "properties": {"lastname": "Retried"}})
    portal.hubspot.admin("faults", {"spec": "500:1.0@/crm/v3/objects/contacts/batch/read"})
    try:
        with pytest.raises(Exception, match="500|Server"):
            portal.drain()
    finally:
        portal.hubspot.admin("faults", method="DELETE")
    assert portal.depth()["pending"] >= 1 and portal.depth()["claimed"] == 0
    report, _ = portal.drain()
    assert report.events >= 1 and portal.depth()["pending"] == 0
    assert query(portal.settings, "SELECT lastname FROM hubspot_raw.contacts WHERE id = ?", contact) == [("Retried",)]


def test_events_that_keep_failing_become_dead_letters(portal: Portal) -> None:
    portal.drain()
    contact = live_ids(portal.settings, "contacts", 1)[0]
    portal.mutate({"op": "update", "objectType": "contacts", "id": contact, "properties": {"lastname": "Doomed"}})
    portal.hubspot.admin("faults", {"spec": "500:1.0@/crm/v3/objects/contacts/batch/read"})
    try:
        for _ in range(2):
            with pytest.raises(Exception, match="500|Server"):
                portal.drain(queue_max_attempts=2)
    finally:
        portal.hubspot.admin("faults", method="DELETE")
    queue = WebhookQueue.from_settings(portal.settings)
    try:
        dead = queue.dead_letters()
    finally:
        queue.close()
    assert [q.event.object_ids for q, _ in dead] == [(contact,)]
    assert all("500" in (error or "") or "Server" in (error or "") for _, error in dead)
    assert portal.depth()["pending"] == 0


def test_the_sensor_requests_one_refresh_whose_run_applies_the_events(portal: Portal) -> None:
    portal.drain()
    contact = live_ids(portal.settings, "contacts", 1)[0]
    for name in ("First", "Second", "Third"):
        portal.mutate({"op": "update", "objectType": "contacts", "id": contact, "properties": {"lastname": name}})
    portal.hubspot.admin("webhooks/wait", {"timeout_s": 30})
    instance = dg.DagsterInstance.ephemeral()
    queue = WebhookQueue.from_settings(portal.settings)
    try:
        with writer_lock(portal.settings):  # another writer: the sensor waits, events stay pending
            waiting = evaluate(instance, portal.settings, queue, [])
        request = evaluate(instance, portal.settings, queue, [])
        again = evaluate(instance, portal.settings, queue, [])
    finally:
        queue.close()
    assert isinstance(waiting, dg.SkipReason) and "writer lock" in waiting.skip_message
    assert isinstance(request, dg.RunRequest) and again.run_key == request.run_key  # a re-evaluation: no second run
    config = request.run_config["ops"]["hubspot_raw_sync"]["config"]
    assert config["record_ids"] == {"contacts": [contact]} and config["link_ids"] == {}  # three changes, one read
    assert {key.path[-1] for key in request.asset_selection} == {"contacts", "merges", "property_history"}

    resources = resources_for(portal.hubspot, portal.settings.warehouse_path)
    resources["webhook_queue"] = WebhookQueueResource(queue_url=portal.settings.queue_url)
    defs = dg.Definitions(assets=[build_hubspot_raw_assets()], jobs=[partial_refresh_job], resources=resources)
    result = defs.resolve_job_def(partial_refresh_job.name).execute_in_process(
        run_config=request.run_config, instance=instance, asset_selection=request.asset_selection)
    assert result.success
    metadata = materializations(result)["contacts"]
    assert metadata["webhook_events"].value == len(config["webhook_event_ids"]) >= 3
    assert metadata["webhook_queue_pending"].value == 0
    assert portal.depth()["pending"] == portal.depth()["claimed"] == 0
    assert query(portal.settings, "SELECT lastname FROM hubspot_raw.contacts WHERE id = ?", contact) == [("Third",)]
    queue = WebhookQueue.from_settings(portal.settings)
    try:
        assert isinstance(evaluate(instance, portal.settings, queue, []), dg.SkipReason)
    finally:
        queue.close()


def test_webhooks_drain_from_a_terminal_applies_the_events_and_says_so(portal: Portal) -> None:
    portal.drain()
    contact = live_ids(portal.settings, "contacts", 1)[0]
    portal.mutate({"op": "update", "objectType": "contacts", "id": contact, "properties": {"lastname": "Drained"}})
    portal.hubspot.admin("webhooks/wait", {"timeout_s": 30})
    settings = portal.settings
    env = {"HUBSPOT_BASE_URL": settings.base_url, "HUBSPOT_ACCESS_TOKEN": settings.access_token.get_secret_value(),
           "HUBSPOT_TIER": settings.tier, "HUBSPOT_WAREHOUSE_PATH": str(settings.warehouse_path),
           "HUBSPOT_STATE_DIR": str(settings.state_dir), "HUBSPOT_QUEUE_URL": settings.queue_url,
           "HUBSPOT_RETRY_MAX_ATTEMPTS": "1"}
    portal.hubspot.admin("faults", {"spec": "500:1.0@/crm/v3/objects/contacts/batch/read"})
    try:
        failed = CliRunner().invoke(main, ["webhooks", "drain"], env=env)
    finally:
        portal.hubspot.admin("faults", method="DELETE")
    assert failed.exit_code == 1 and "pending again" in failed.output, failed.output
    drained = CliRunner().invoke(main, ["webhooks", "drain"], env=env)
    assert drained.exit_code == 0, drained.output
    assert "applied" in drained.output and "drained:" in drained.output and "0 pending now" in drained.output
    assert query(settings, "SELECT lastname FROM hubspot_raw.contacts WHERE id = ?", contact) == [("Drained",)]
