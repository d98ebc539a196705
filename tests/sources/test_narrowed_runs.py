"""A run narrowed to some object types (HUBSPOT_OBJECTS, `--objects`) reads only what those types need, keeps the
metadata of the other types, and counts each request for the resource that made it, from the transport itself."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import duckdb
import pytest

from hubspot_assets.hubspot.client import HubSpotClient
from hubspot_assets.sandbox.config import SandboxConfig
from hubspot_assets.sandbox.server import SandboxServer
from hubspot_assets.sources.catalog import discover_catalog
from hubspot_assets.sources.pipeline import run_sync
from tests.conftest import DEFAULTS
from tests.sources.sandbox_warehouse import query, settings_for


@pytest.fixture(scope="module")
def portal() -> Iterator[SandboxServer]:
    """A small portal for the tests that change nothing in HubSpot; each loads a warehouse of its own and counts
    only its own requests (the tests of a module run one after the other)."""
    server = SandboxServer(SandboxConfig(**DEFAULTS)).start()
    try:
        yield server
    finally:
        server.stop()


def _endpoints(server) -> dict[str, int]:
    return server.admin("stats")["requests"]["by_endpoint"]


def test_a_run_narrowed_to_contacts_reads_no_owner_no_conversation_and_no_other_type(portal, tmp_path):
    server = portal
    settings = settings_for(server, tmp_path, objects="contacts")
    server.admin("stats/reset", json={})
    report = run_sync(settings, mode="full", snapshot=False)

    endpoints = _endpoints(server)
    assert not [e for e in endpoints if "conversations" in e or "owners" in e or "pipelines" in e], endpoints
    assert endpoints.get("GET /crm/v3/properties/{objectType}") == 1  # the contacts' definitions only
    assert "contacts" in report.row_counts
    assert set(report.row_counts) <= {"contacts", "merges", "associations", "properties", "property_options"}
    assert "threads" in report.skipped and "owners" in report.skipped
    assert "HUBSPOT_OBJECTS" in report.skipped["threads"]


def test_owners_and_conversations_are_read_when_named_among_the_objects(portal, tmp_path):
    server = portal
    settings = settings_for(server, tmp_path, objects="companies,owners,conversations")
    report = run_sync(settings, mode="full", snapshot=False)
    assert report.rows_loaded("owners") > 0 and report.rows_loaded("threads") > 0
    assert report.rows_loaded("messages") > 0
    assert "contacts" not in report.row_counts


def test_a_narrowed_run_keeps_the_property_definitions_of_the_types_it_does_not_read(portal, tmp_path):
    server = portal
    run_sync(settings_for(server, tmp_path), mode="full", snapshot=False, resources=["properties", "pipelines"])
    before = dict(query(settings_for(server, tmp_path),
                        "SELECT object_type, count(*) FROM hubspot_raw.properties GROUP BY 1"))
    assert {"contacts", "deals"} <= set(before)

    run_sync(settings_for(server, tmp_path, objects="contacts"), mode="full", snapshot=False,
             resources=["properties", "pipelines"])
    after = dict(query(settings_for(server, tmp_path),
                       "SELECT object_type, count(*) FROM hubspot_raw.properties GROUP BY 1"))
    assert after == before  # contacts' definitions replaced by the same ones, every other type's kept
    pipelines = query(settings_for(server, tmp_path), "SELECT DISTINCT object_type FROM hubspot_raw.pipelines")
    assert {row[0] for row in pipelines} == {"deals", "tickets"}


def test_each_request_counts_for_the_resource_that_made_it_as_the_sandbox_logged_it(portal, tmp_path):
    server = portal
    settings = settings_for(server, tmp_path, objects="deals")
    server.admin("stats/reset", json={})
    report = run_sync(settings, mode="full", snapshot=False)

    endpoints = _endpoints(server)
    # Every request of the run but the catalog's (/crm/v3/schemas, made before any resource starts) has a resource.
    assert sum(report.api_calls.values()) == sum(endpoints.values()) - endpoints["GET /crm/v3/schemas"]
    # Pipelines are read once for both tables, by whichever of the two asks first.
    pipeline_calls = report.api_calls.get("pipelines", 0) + report.api_calls.get("pipeline_stages", 0)
    assert pipeline_calls == endpoints["GET /crm/v3/pipelines/{objectType}"] == 1
    reads = sum(n for e, n in endpoints.items() if e.startswith(("GET /crm/v3/objects", "POST /crm/v3/objects")))
    assert report.api_calls["deals"] == reads  # the list, batch reads and searches of the deals' read


def test_a_partial_refresh_reads_only_the_named_records_their_definitions_and_their_links(sandbox_factory, tmp_path):
    server = sandbox_factory()
    settings = settings_for(server, tmp_path)
    run_sync(settings, mode="incremental", snapshot=False)
    contact = next(int(r["id"]) for r in server.admin("truth/contacts")["results"] if not r["archived"])
    server.admin("mutate", json={"operations": [
        {"op": "update", "objectType": "contacts", "id": str(contact), "properties": {"firstname": "Webhook"}}]})
    server.admin("stats/reset", json={})
    report = run_sync(settings, snapshot=False, record_ids={"contacts": [contact]})

    endpoints = _endpoints(server)
    assert "GET /crm/v3/schemas" not in endpoints  # the catalog the earlier run found (state_dir) is reused
    assert endpoints.pop("GET /crm/v3/properties/{objectType}") == 1  # the contacts' layout
    assert endpoints.pop("POST /crm/v3/objects/{objectType}/batch/read") == 1
    # Its links, and nothing else at all: to each hub type it is read against (3), and those held on the side of the
    # types that link to contacts: one read from contacts' side per type, one re-read of the records found.
    assert set(endpoints) == {"POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read"}, endpoints
    holders = [t for t, targets in discover_catalog(HubSpotClient.from_settings(settings)).association_plan().items()
               if "contacts" in targets]
    linking = {row[0] for row in query(settings, "SELECT DISTINCT from_object_type FROM hubspot_raw.associations "
                                                 "WHERE to_object_type = 'contacts' AND to_id = ?", contact)}
    assert endpoints["POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read"] == (
        3 + len(holders) + len(linking))
    assert query(settings, "SELECT firstname FROM hubspot_raw.contacts WHERE id = ?", contact) == [("Webhook",)]
    assert {"owners", "pipelines", "inboxes"} <= set(report.skipped)


def test_a_run_narrowed_to_some_types_leaves_the_history_of_the_others_for_later(portal, tmp_path):
    server = portal
    settings = settings_for(server, tmp_path, objects="contacts",
                            property_history="contacts:lifecyclestage;deals:dealstage")
    report = run_sync(settings, mode="full", snapshot=False, resources=["contacts", "property_history"])
    types = {row[0] for row in query(settings, "SELECT DISTINCT object_type FROM hubspot_raw.property_history")}
    assert types == {"contacts"} and report.rows_loaded("property_history") > 0


def test_a_partial_refresh_of_threads_rereads_them_and_their_messages_only(sandbox_factory, tmp_path):
    server = sandbox_factory()
    settings = settings_for(server, tmp_path)
    run_sync(settings, mode="incremental", snapshot=False, resources=["threads", "messages"])
    thread = server.admin("truth/threads")["results"][0]["id"]
    server.admin("mutate", json={"operations": [{"op": "new_message", "threadId": str(thread), "text": "Hello again"}]})
    server.admin("stats/reset", json={})
    run_sync(settings, snapshot=False, resources=["threads", "messages"], record_ids={"threads": [thread]})

    endpoints = _endpoints(server)
    assert endpoints == {"GET /conversations/v3/conversations/threads/{id}": 1,
                         "GET /conversations/v3/conversations/threads/{id}/messages": 1}, endpoints
    texts = [row[0] for row in query(settings, "SELECT text FROM hubspot_raw.messages WHERE conversations_thread_id = ?",
                                     str(thread))]
    assert "Hello again" in texts
    latest = query(settings, "SELECT epoch_ms(latest_message_timestamp) FROM hubspot_raw.threads WHERE id = ?",
                   str(thread))[0][0]
    truth = next(t for t in server.admin("truth/threads")["results"] if t["id"] == thread)
    assert latest == datetime.fromisoformat(truth["latestMessageTimestamp"].replace("Z", "+00:00")).timestamp() * 1000


WHOLE_LISTS = ("owners", "inboxes", "channels", "channel_accounts")


def _whole_list_rows(settings) -> dict[str, list[tuple]]:
    return {table: query(settings, f"SELECT * EXCLUDE (_dlt_load_id, _dlt_id) FROM hubspot_raw.{table} ORDER BY id")
            for table in WHOLE_LISTS}


def test_runs_that_do_not_read_the_whole_lists_keep_them_and_a_run_that_does_drops_what_hubspot_dropped(
    portal, tmp_path
):
    server = portal
    settings = settings_for(server, tmp_path)
    resources = [*WHOLE_LISTS, "contacts"]
    run_sync(settings, mode="full", snapshot=False, resources=resources)
    loaded = _whole_list_rows(settings)
    assert all(loaded.values()), loaded

    run_sync(settings_for(server, tmp_path, objects="contacts"), mode="full", snapshot=False)
    contact = query(settings, "SELECT id FROM hubspot_raw.contacts LIMIT 1")[0][0]
    run_sync(settings, snapshot=False, record_ids={"contacts": [contact]})
    assert _whole_list_rows(settings) == loaded  # neither run read them; both left them as they were

    with duckdb.connect(str(settings.absolute(settings.warehouse_path))) as warehouse:  # an owner since removed
        warehouse.execute("INSERT INTO hubspot_raw.owners (id, email, _dlt_load_id, _dlt_id) "
                          "VALUES ('999999999', 'gone@example.com', '1', 'x')")
    report = run_sync(settings, mode="incremental", snapshot=False, resources=resources)
    assert _whole_list_rows(settings) == loaded  # the owner HubSpot no longer lists is gone
    assert report.delete_markers["owners"] == 1
