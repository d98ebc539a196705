"""Incremental runs against the sandbox: only what changed is read, and reconciliation restores the truth."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from hubspot_assets.sandbox.config import SandboxConfig
from hubspot_assets.sandbox.server import SandboxServer
from hubspot_assets.settings import Settings
from hubspot_assets.sources.columns import epoch_ms
from hubspot_assets.sources.pipeline import run_sync
from tests.conftest import DEFAULTS
from tests.sources.sandbox_warehouse import (
    CRM_TYPES,
    assert_table_matches_truth,
    custom_types,
    query,
    settings_for,
    truth,
)

METADATA_ENDPOINTS = {
    "GET /crm/v3/schemas",
    "GET /crm/v3/properties/{objectType}",
    "GET /crm/v3/owners",
    "GET /crm/v3/pipelines/{objectType}",
    "GET /conversations/v3/conversations/inboxes",
    "GET /conversations/v3/conversations/channels",
    "GET /conversations/v3/conversations/channel-accounts",
}


def _requests(server) -> dict[str, int]:
    return server.admin("stats")["requests"]["by_endpoint"]


@dataclass
class SecondRun:
    """A small portal loaded by a first incremental run, then run again with nothing changed in between."""

    server: SandboxServer
    settings: Settings
    report: Any
    requests: dict[str, int]  # what the second run asked HubSpot


@pytest.fixture(scope="module")
def second_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecondRun]:
    # One first load serves two tests: the no-change run's cost, then (from the same warehouse) the changes.
    server = SandboxServer(SandboxConfig(**DEFAULTS)).start()
    try:
        settings = settings_for(server, tmp_path_factory.mktemp("incremental"))
        run_sync(settings, mode="incremental")
        server.admin("stats/reset", json={})
        report = run_sync(settings, mode="incremental")
        yield SecondRun(server, settings, report, _requests(server))
    finally:
        server.stop()


def test_no_change_run_costs_one_search_per_object_type_plus_metadata(second_run):
    server, report, by_endpoint = second_run.server, second_run.report, dict(second_run.requests)
    object_types = len(CRM_TYPES) + len(custom_types(server))
    searches = by_endpoint.pop("POST /crm/v3/objects/{objectType}/search", 0)
    threads = by_endpoint.pop("GET /conversations/v3/conversations/threads", 0)
    metadata = sum(by_endpoint.pop(e, 0) for e in METADATA_ENDPOINTS)
    assert searches <= object_types
    assert threads <= 1
    assert by_endpoint == {}, f"a run without changes made other requests: {by_endpoint}"
    assert metadata <= object_types + 10
    assert report.row_counts.get("associations", 0) == 0


def test_incremental_then_reconcile_brings_the_warehouse_back_to_truth(second_run):
    server, settings = second_run.server, second_run.settings
    changed = server.admin(
        "mutate",
        json={
            "random": {"updates": 40, "creates": 15, "archives": 6, "merges": 3, "associations": 15, "messages": 8},
            "seed": 11,
        },
    )
    gone = query(settings, "SELECT id FROM hubspot_raw.contacts WHERE NOT archived ORDER BY id DESC LIMIT 1")[0][0]
    server.admin("mutate", json={"operations": [{"op": "gdpr_delete", "objectType": "contacts", "id": str(gone)}]})

    server.admin("stats/reset", json={})
    run_sync(settings, mode="incremental")
    incremental = _requests(server)
    # Changes are found by search; records are not listed again page by page.
    assert "GET /crm/v3/objects/{objectType}" not in incremental
    # The incremental run alone (before any reconciliation) loaded the new version of every updated record and
    # every created one: the stored last-modified time is the sandbox's.
    touched = {(t, int(i)) for key in ("updated", "created") for t, ids in changed[key].items() for i in ids}
    assert len(touched) >= 40
    for object_type in sorted({t for t, _ in touched}):
        truth_ms = {i: epoch_ms(r["updatedAt"]) for i, r in truth(server, object_type).items() if not r["archived"]}
        stored = dict(query(settings, f"SELECT id, epoch_ms(updated_at) FROM hubspot_raw.{object_type}"))
        for record_id in sorted(i for t, i in touched if t == object_type and i in truth_ms):
            assert stored.get(record_id) == truth_ms[record_id], (object_type, record_id)

    run_sync(settings, mode="reconcile")
    for object_type in CRM_TYPES:
        assert_table_matches_truth(settings, server, object_type)
    for name in custom_types(server):
        assert_table_matches_truth(settings, server, name)
    assert query(settings, "SELECT count(*) FROM hubspot_raw.contacts WHERE id = ?", gone)[0][0] == 0
    merged = {(m["objectType"], int(m["mergedId"]), int(m["primaryId"])) for m in changed["merged"]}
    stored_merges = set(query(settings, "SELECT object_type, merged_id, survivor_id FROM hubspot_raw.merges"))
    assert merged <= stored_merges

    # Association changes do not move last-modified dates; reconciliation re-reads them all.
    for link in changed["associated"]:
        stored = query(
            settings,
            "SELECT count(*) FROM hubspot_raw.associations WHERE "
            "(from_object_type = ? AND from_id = ? AND to_object_type = ? AND to_id = ?) OR "
            "(from_object_type = ? AND from_id = ? AND to_object_type = ? AND to_id = ?)",
            link["fromType"], int(link["fromId"]), link["toType"], int(link["toId"]),
            link["toType"], int(link["toId"]), link["fromType"], int(link["fromId"]),
        )[0][0]
        live = requests.get(
            f"{server.url}/crm/v4/objects/{link['fromType']}/{link['fromId']}/associations/{link['toType']}",
            headers=server.headers, timeout=30,
        ).json()["results"]
        linked = any(int(r["toObjectId"]) == int(link["toId"]) for r in live)
        if link["op"] == "associate" and linked:
            assert stored > 0, link
        if link["op"] == "unassociate" and not linked:
            assert stored == 0, link


def test_more_than_10000_changes_between_runs_are_all_loaded(sandbox_factory, tmp_path):
    from tests.sources.sandbox_warehouse import truth

    server = sandbox_factory(scale="10600")
    settings = settings_for(server, tmp_path, objects="contacts")
    run_sync(settings, mode="incremental", resources=["contacts"])
    live = [i for i, r in truth(server, "contacts").items() if not r["archived"]]
    assert len(live) > 10_000
    server.admin("mutate", json={"operations": [
        {"op": "update", "objectType": "contacts", "id": str(i), "properties": {"firstname": "Renamed"}} for i in live
    ]})
    server.admin("stats/reset", json={})
    report = run_sync(settings, mode="incremental", resources=["contacts"])
    assert report.row_counts["contacts"] >= len(live)
    searches = server.admin("stats")["requests"]["by_endpoint"]["POST /crm/v3/objects/{objectType}/search"]
    assert searches >= len(live) // 200  # read through search, restarted past its 10,000-result cap
    assert_table_matches_truth(settings, server, "contacts", live_only=True)
    renamed = query(settings, "SELECT count(*) FROM hubspot_raw.contacts WHERE firstname = 'Renamed'")[0][0]
    assert renamed == len(live)


def test_a_run_failing_half_way_commits_nothing_and_the_next_run_completes(sandbox_factory, tmp_path):
    from tests.sources.sandbox_warehouse import truth

    server = sandbox_factory()
    settings = settings_for(server, tmp_path, retry_max_attempts=1)
    tables = ["contacts", "companies", "associations"]
    run_sync(settings, mode="incremental", resources=tables)
    changed = server.admin("mutate", json={"random": {"updates": 30, "object_types": ["contacts"]}, "seed": 5})
    before = dict(query(settings, "SELECT id, updated_at FROM hubspot_raw.contacts"))
    # The association reads (after the records were read) fail: the run stops half-way.
    server.admin("faults", json={"spec": "500:1.0@/crm/v4/associations/*"})
    try:
        run_sync(settings, mode="incremental", resources=tables)
    except Exception as error:  # noqa: BLE001 - any failure will do; what matters is what it left behind
        assert "500" in str(error) or "ServerError" in repr(error)
    else:
        raise AssertionError("the run should fail while associations answer 500")
    assert dict(query(settings, "SELECT id, updated_at FROM hubspot_raw.contacts")) == before
    server.admin("faults", json={"spec": ""})
    run_sync(settings, mode="incremental", resources=tables)
    assert_table_matches_truth(settings, server, "contacts", live_only=True)
    updated = {int(i) for i in changed["updated"]["contacts"]}
    live = {i for i, r in truth(server, "contacts").items() if not r["archived"]}
    assert updated & live


def test_a_new_custom_property_becomes_a_new_typed_column_on_the_next_run(sandbox_factory, tmp_path):
    server = sandbox_factory()
    settings = settings_for(server, tmp_path, objects="contacts")
    run_sync(settings, mode="incremental", resources=["contacts", "properties"])
    columns = dict(query(settings, "SELECT column_name, data_type FROM information_schema.columns "
                                   "WHERE table_schema = 'hubspot_raw' AND table_name = 'contacts'"))
    assert "loyalty_score" not in columns

    # HubSpot now defines `loyalty_score` (a number) on contacts, and one contact gets a value.
    created = requests.post(f"{server.url}/crm/v3/properties/contacts", headers=server.headers, timeout=30, json={
        "name": "loyalty_score", "label": "Loyalty score", "type": "number", "fieldType": "number",
        "groupName": "contactinformation"})
    assert created.status_code == 201, created.text
    contact_id = query(settings, "SELECT min(id) FROM hubspot_raw.contacts WHERE NOT archived")[0][0]
    patched = requests.patch(f"{server.url}/crm/v3/objects/contacts/{contact_id}", headers=server.headers,
                             timeout=30, json={"properties": {"loyalty_score": "42.5"}})
    assert patched.status_code == 200, patched.text

    run_sync(settings, mode="incremental", resources=["contacts", "properties"])
    columns = dict(query(settings, "SELECT column_name, data_type FROM information_schema.columns "
                                   "WHERE table_schema = 'hubspot_raw' AND table_name = 'contacts'"))
    assert columns["loyalty_score"] == "DOUBLE"
    assert query(settings, "SELECT loyalty_score FROM hubspot_raw.contacts WHERE id = ?", contact_id) == [(42.5,)]
    assert query(settings, "SELECT count(loyalty_score) FROM hubspot_raw.contacts")[0][0] == 1
    assert query(settings, "SELECT type FROM hubspot_raw.properties WHERE name = 'loyalty_score'") == [("number",)]


def test_partial_refresh_of_chosen_records_merges_through_the_same_tables(sandbox_factory, tmp_path):
    from tests.sources.sandbox_warehouse import truth

    server = sandbox_factory()
    settings = settings_for(server, tmp_path)
    tables = ["contacts", "associations"]
    run_sync(settings, mode="incremental", resources=tables)
    live = sorted(i for i, r in truth(server, "contacts").items() if not r["archived"])
    updated, archived, erased = live[0], live[1], live[2]
    company = sorted(i for i, r in truth(server, "companies").items() if not r["archived"])[0]
    server.admin("mutate", json={"operations": [
        {"op": "update", "objectType": "contacts", "id": str(updated), "properties": {"firstname": "Refreshed"}},
        {"op": "associate", "fromType": "contacts", "fromId": str(updated), "toType": "companies", "toId": str(company)},
        {"op": "archive", "objectType": "contacts", "id": str(archived)},
        {"op": "gdpr_delete", "objectType": "contacts", "id": str(erased)},
    ]})
    server.admin("stats/reset", json={})
    run_sync(settings, resources=tables, record_ids={"contacts": [updated, archived, erased]})
    used = server.admin("stats")["requests"]["by_endpoint"]
    assert not any("search" in e or e == "GET /crm/v3/objects/{objectType}" for e in used), used
    rows = dict(query(settings, "SELECT id, firstname FROM hubspot_raw.contacts WHERE id IN (?, ?)", updated, archived))
    assert rows[updated] == "Refreshed"
    assert query(settings, "SELECT archived FROM hubspot_raw.contacts WHERE id = ?", archived) == [(True,)]
    assert query(settings, "SELECT count(*) FROM hubspot_raw.contacts WHERE id = ?", erased) == [(0,)]
    assert query(settings, "SELECT count(*) FROM hubspot_raw.associations WHERE from_object_type = 'contacts' "
                           "AND from_id = ? AND to_object_type = 'companies' AND to_id = ?", updated, company)[0][0] > 0
    dupes = query(settings, "SELECT count(*) - count(DISTINCT id) FROM hubspot_raw.contacts")[0][0]
    assert dupes == 0


@pytest.mark.timeout(120)
def test_a_failing_resource_stops_the_run_instead_of_leaving_others_waiting(sandbox_factory, tmp_path):
    server = sandbox_factory()
    settings = settings_for(server, tmp_path, retry_max_attempts=1)
    # Contacts fail to list: associations, merges and history wait for contacts and must give up, not hang.
    server.admin("faults", json={"spec": "500:1.0@/crm/v3/objects/contacts*"})
    with pytest.raises(Exception) as caught:
        run_sync(settings, mode="incremental", resources=["contacts", "associations", "merges"])
    assert "500" in str(caught.value) or "Server" in repr(caught.value)
    assert query(settings, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'contacts'") == [(0,)]
