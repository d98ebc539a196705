"""End to end: the dlt source loads the sandbox into a temporary DuckDB and the warehouse equals the ground truth."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import requests

from hubspot_assets.sources.pipeline import run_sync
from tests.sources.sandbox_warehouse import CRM_TYPES, assert_table_matches_truth, custom_types, query, settings_for


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """One full sync of a fresh small sandbox (shared by the read-only checks of this module)."""
    from hubspot_assets.sandbox.config import SandboxConfig
    from hubspot_assets.sandbox.server import SandboxServer

    server = SandboxServer(SandboxConfig(seed=42, scale="small", tier="unlimited")).start()
    settings = settings_for(server, tmp_path_factory.mktemp("full"))
    report = run_sync(settings, mode="full")
    try:
        yield server, settings, report
    finally:
        server.stop()


def test_full_sync_loads_every_record_of_every_type_as_in_sandbox_truth(loaded):
    server, settings, _ = loaded
    for object_type in CRM_TYPES:
        assert_table_matches_truth(settings, server, object_type)
    customs = custom_types(server)
    assert customs, "the sandbox portal should have custom objects"
    for name in customs:
        assert_table_matches_truth(settings, server, name)


def test_archived_records_are_flagged_with_archived_at(loaded):
    server, settings, _ = loaded
    rows = query(settings, "SELECT count(*), count(archived_at) FROM hubspot_raw.contacts WHERE archived")
    archived, with_time = rows[0]
    assert archived == server.admin("truth/contacts")["archived"] > 0
    assert with_time == archived


def test_property_values_are_typed_and_equal_to_the_api(loaded):
    server, settings, _ = loaded
    props = requests.get(f"{server.url}/crm/v3/properties/contacts", headers=server.headers, timeout=30).json()
    by_type: dict[str, list[str]] = {}
    for prop in props["results"]:
        by_type.setdefault(prop["type"], []).append(prop["name"])
    names = [n for t in ("number", "datetime", "date", "bool", "string", "enumeration") for n in by_type.get(t, [])[:6]]
    page = requests.get(
        f"{server.url}/crm/v3/objects/contacts",
        params={"limit": 50, "properties": ",".join(names)},
        headers=server.headers,
        timeout=30,
    ).json()["results"]
    columns = dict(query(settings, "SELECT column_name, data_type FROM information_schema.columns "
                                   "WHERE table_schema = 'hubspot_raw' AND table_name = 'contacts'"))
    expected_sql = {"number": ("DOUBLE", "BIGINT"), "datetime": ("TIMESTAMP WITH TIME ZONE",), "date": ("DATE",),
                    "bool": ("BOOLEAN",), "string": ("VARCHAR",), "enumeration": ("VARCHAR",)}
    for hs_type, props_of_type in by_type.items():
        for name in props_of_type:
            if hs_type in expected_sql:
                assert columns[name] in expected_sql[hs_type], f"{name} ({hs_type}) loaded as {columns[name]}"
    compared = 0
    for record in page:
        row = query(settings, f"SELECT {', '.join(names)} FROM hubspot_raw.contacts WHERE id = ?", int(record["id"]))[0]
        for name, stored in zip(names, row, strict=True):
            value = record["properties"].get(name)
            hs_type = next(t for t, ns in by_type.items() if name in ns)
            if value in (None, ""):
                assert stored in (None, "") if hs_type in ("string", "enumeration") else stored is None, name
                continue
            compared += 1
            if hs_type == "number":
                assert float(stored) == float(value), name
            elif hs_type == "datetime":
                assert stored == datetime.fromisoformat(value.replace("Z", "+00:00")), name
            elif hs_type == "date":
                assert stored == date.fromisoformat(value[:10]), name
            elif hs_type == "bool":
                assert stored == (value == "true"), name
            else:
                assert stored == value, name
    assert compared > 200


def test_email_property_becomes_a_column_named_email(loaded):
    _, settings, _ = loaded
    assert query(settings, "SELECT count(email) FROM hubspot_raw.contacts")[0][0] > 0


def test_associations_are_one_row_per_link_with_type_category_and_label(loaded):
    server, settings, _ = loaded
    contact_ids = [r[0] for r in query(settings, "SELECT id FROM hubspot_raw.contacts WHERE NOT archived ORDER BY id LIMIT 25")]
    for contact_id in contact_ids:
        answer = requests.get(
            f"{server.url}/crm/v4/objects/contacts/{contact_id}/associations/companies",
            headers=server.headers,
            timeout=30,
        ).json()
        expected = {
            (int(link["toObjectId"]), t["typeId"], t["category"], t.get("label"))
            for link in answer["results"]
            for t in link["associationTypes"]
        }
        stored = set(query(
            settings,
            "SELECT to_id, type_id, category, label FROM hubspot_raw.associations "
            "WHERE from_object_type = 'contacts' AND to_object_type = 'companies' AND from_id = ?",
            contact_id,
        ))
        assert stored == expected, contact_id
    duplicates = query(settings, "SELECT count(*) - count(DISTINCT (from_object_type, from_id, to_object_type, to_id, "
                                 "type_id)) FROM hubspot_raw.associations")[0][0]
    assert duplicates == 0


def test_metadata_tables_hold_owners_pipelines_stages_and_option_labels(loaded):
    server, settings, _ = loaded
    owners = requests.get(f"{server.url}/crm/v3/owners", params={"limit": 100}, headers=server.headers, timeout=30).json()
    stored_owner_ids = {r[0] for r in query(settings, "SELECT id FROM hubspot_raw.owners WHERE NOT archived")}
    assert {o["id"] for o in owners["results"]} <= stored_owner_ids
    stages = query(settings, "SELECT count(*) FROM hubspot_raw.pipeline_stages WHERE object_type = 'deals'")[0][0]
    assert stages > 0
    props = requests.get(f"{server.url}/crm/v3/properties/contacts", headers=server.headers, timeout=30).json()
    with_options = [p for p in props["results"] if p.get("options")]
    assert with_options
    for prop in with_options[:10]:
        stored = set(query(settings, "SELECT value, label FROM hubspot_raw.property_options "
                                     "WHERE object_type = 'contacts' AND property_name = ?", prop["name"]))
        assert stored == {(str(o["value"]), o["label"]) for o in prop["options"]}, prop["name"]


def test_conversations_load_threads_messages_and_participants(loaded):
    _, settings, _ = loaded
    threads = query(settings, "SELECT count(*) FROM hubspot_raw.threads")[0][0]
    messages = query(settings, "SELECT count(*), count(DISTINCT id), count(DISTINCT type) FROM hubspot_raw.messages")[0]
    orphans = query(settings, "SELECT count(*) FROM hubspot_raw.message_participants p "
                              "LEFT JOIN hubspot_raw.messages m ON m.id = p.message_id WHERE m.id IS NULL")[0][0]
    senders = query(settings, "SELECT count(*) FROM hubspot_raw.message_participants WHERE role = 'sender'")[0][0]
    assert threads > 0 and messages[0] == messages[1] > threads
    assert messages[2] > 1, "several message types (MESSAGE, COMMENT, ...) are loaded"
    assert senders > 0 and orphans == 0


def test_missing_transcript_scope_is_reported_once_and_the_rest_loads(loaded):
    _, settings, report = loaded
    notes = [w for w in report.warnings if "transcript" in w.lower()]
    assert len(notes) == 1 and "crm.extensions_calling_transcripts.read" in notes[0]
    assert report.row_counts.get("calls", 0) > 0
    why = report.skipped["call_transcript_utterances"]  # what the Dagster UI and `sync` show after "skipped:"
    assert why.startswith("the credentials lack the scope crm.extensions_calling_transcripts.read"), why


def test_snapshot_is_published_and_readable_while_the_warehouse_is_locked(loaded):
    import duckdb

    _, settings, report = loaded
    assert report.snapshot is not None and report.snapshot.exists()
    with duckdb.connect(str(settings.absolute(settings.warehouse_path))):  # a writer holds the warehouse
        with duckdb.connect(str(report.snapshot), read_only=True) as reader:
            assert reader.execute("SELECT count(*) FROM hubspot_raw.contacts").fetchone()[0] > 0


def test_threads_and_messages_match_the_sandbox_conversation_truth(loaded):
    server, settings, _ = loaded
    threads = server.admin("truth/threads")["results"]
    stored_threads = dict(query(settings, "SELECT id, archived FROM hubspot_raw.threads"))
    assert {str(t["id"]) for t in threads} == {str(i) for i in stored_threads}
    for thread in threads:
        assert bool(stored_threads[str(thread["id"])]) == bool(thread["archived"]), thread["id"]
    # Archived threads' messages too: HubSpot still serves them.
    messages = server.admin("truth/messages")["results"]
    assert any(m["archived"] for m in messages)
    stored = dict(query(settings, "SELECT id, type FROM hubspot_raw.messages"))
    assert {str(m["id"]): m["type"] for m in messages} == {str(k): v for k, v in stored.items()}
    assert query(settings, "SELECT count(*) - count(DISTINCT id) FROM hubspot_raw.messages")[0][0] == 0
