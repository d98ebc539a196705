"""What a user sees after a run, on a real load against the sandbox: the materializations' row counts and column
schemas (HubSpot's labels), the metadata trimmed to what a user reads, tables the run wrote nothing for shown as
skipped, and the asset checks passing on good data and naming the offenders on bad data."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from hubspot_assets.defs.assets import build_hubspot_raw_assets
from hubspot_assets.defs.checks import (
    LIVE_ROWS_MATCH_HUBSPOT,
    NO_DUPLICATE_KEYS,
    NO_LINKS_TO_MISSING_RECORDS,
    NO_PARTICIPANTS_OF_MISSING_MESSAGES,
)
from hubspot_assets.defs.metadata import INTERNAL_COLUMN_TEXT, RECORD_COLUMN_TEXT
from hubspot_assets.defs.resources import WarehouseResource
from hubspot_assets.sandbox.config import SandboxConfig
from hubspot_assets.sandbox.server import SandboxServer
from hubspot_assets.sources.columns import column_name
from hubspot_assets.sources.history import HISTORY_OFF
from tests.defs.dagster_runs import FULL, check_results, materializations, observations, resources_for

SEARCH = "POST /crm/v3/objects/{objectType}/search"
RECORD_TABLES = ("contacts", "companies", "deals", "tickets", "products", "line_items", "calls", "emails", "notes",
                 "meetings", "tasks", "communications", "quotes", "pets", "vehicles")


@dataclass
class Loaded:
    server: SandboxServer
    warehouse: Path
    assets: dg.AssetsDefinition
    result: dg.ExecuteInProcessResult

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            return connection.execute(sql, params or []).fetchall()

    def check_only(self, tables: list[str] | None = None, *, snapshot: Path | None = None):
        """Run only the checks (of `tables`, default all), as the UI's "Execute checks" does."""
        selection = dg.AssetSelection.checks_for_assets(
            *([["hubspot_raw", t] for t in tables] if tables else [self.assets])
        )
        resources = resources_for(self.server, self.warehouse)
        if snapshot is not None:
            resources["warehouse"] = WarehouseResource(warehouse_path=str(self.warehouse), snapshot_path=str(snapshot))
        result = dg.materialize([self.assets], resources=resources, selection=selection)
        assert result.success
        return check_results(result)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Iterator[Loaded]:
    """A full run of every asset and check into a fresh warehouse, from a sandbox of this module's own."""
    server = SandboxServer(SandboxConfig(seed=42, scale="small", tier="unlimited")).start()
    try:
        warehouse = tmp_path_factory.mktemp("quality") / "warehouse.duckdb"
        assets = build_hubspot_raw_assets(["pets", "vehicles"])
        result = dg.materialize([assets], resources=resources_for(server, warehouse), run_config=FULL)
        assert result.success
        yield Loaded(server, warehouse, assets, result)
    finally:
        server.stop()


def _snapshot_copy(loaded: Loaded, tmp_path: Path) -> Path:
    copy = tmp_path / "changed.snapshot.duckdb"
    shutil.copyfile(loaded.warehouse.with_name("warehouse.snapshot.duckdb"), copy)
    return copy


def test_a_materialization_carries_the_row_count_and_only_the_metadata_a_user_reads(loaded):
    metadata = materializations(loaded.result)
    for table in ("contacts", "pets", "owners", "associations"):
        values = metadata[table]
        assert values["dagster/row_count"].value == loaded.rows(f"SELECT count(*) FROM hubspot_raw.{table}")[0][0] > 0
        assert values["dagster/table_name"].text == f"hubspot_raw.{table}"
        assert set(values) - {"delete_markers"} == {
            "dagster/table_name", "dagster/column_schema", "dagster/row_count", "rows_loaded", "api_requests",
            "run_http_requests", "run_rate_limited_429s", "sync_mode", "snapshot_path",
        }, table  # no dagster-dlt `jobs` (local file paths), source, pipeline, or load timestamps


def test_the_column_schema_shows_hubspots_label_and_description_for_every_property_column(loaded):
    metadata = materializations(loaded.result)
    for table in ("contacts", "pets"):
        columns = {c.name: c for c in metadata[table]["dagster/column_schema"].schema.columns}
        stored = loaded.rows("SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_schema = 'hubspot_raw' AND table_name = ?", [table])
        assert {name: column.type for name, column in columns.items()} == dict(stored)  # the warehouse's types
        properties = loaded.rows("SELECT name, label, description FROM hubspot_raw.properties WHERE object_type = ?",
                                 [table])
        assert len(properties) > 5
        for name, label, description in properties:
            text = columns[column_name(name)].description
            assert text.startswith(label) and (description is None or description in text), (table, name, text)
        for name, text in RECORD_COLUMN_TEXT.items():
            assert columns[name].description == text
        assert columns["_hubspot_deleted"].description == INTERNAL_COLUMN_TEXT["_hubspot_deleted"]
        assert columns["id"].constraints.other == ["primary key"] and not columns["email" if table == "contacts"
                                                                                  else "pet_name"].constraints.other
    pets = {c.name: c.description for c in metadata["pets"]["dagster/column_schema"].schema.columns}
    assert pets["pet_name"] == "Pet name"  # a custom object's own property, labelled too


def test_tables_the_run_wrote_nothing_for_are_shown_as_skipped_not_materialized(loaded):
    metadata, skipped = materializations(loaded.result), observations(loaded.result)
    tables = {r[0] for r in loaded.rows("SELECT table_name FROM information_schema.tables "
                                        "WHERE table_schema = 'hubspot_raw'")}
    # History is off; the sandbox's private-app token lacks the transcript scope.
    for table in ("property_history", "call_transcript_utterances"):
        assert table not in metadata and table not in tables
        assert skipped[table]["skipped"].text, table
        assert not [key for key in check_results(loaded.result) if key[0] == table]
    assert skipped["property_history"]["skipped"].text == HISTORY_OFF
    assert set(skipped) == {"property_history", "call_transcript_utterances"}


def test_every_check_passes_on_a_full_load_against_hubspots_own_totals(loaded):
    results = check_results(loaded.result)
    assert results and all(r.passed for r in results.values()), [k for k, r in results.items() if not r.passed]
    tables = set(materializations(loaded.result)) - {"custom_objects"}
    assert {t for t, name in results if name == NO_DUPLICATE_KEYS} == tables
    assert {t for t, name in results if name == LIVE_ROWS_MATCH_HUBSPOT} == set(RECORD_TABLES)
    assert {name for t, name in results if t == "associations"} == {NO_DUPLICATE_KEYS, NO_LINKS_TO_MISSING_RECORDS}
    assert (("message_participants", NO_PARTICIPANTS_OF_MISSING_MESSAGES)) in results
    live = loaded.server.admin("stats")["objects"]
    for table in RECORD_TABLES:
        assert results[(table, LIVE_ROWS_MATCH_HUBSPOT)].metadata["hubspot_total"].value == live[table]["total"]


def test_checks_alone_read_the_snapshot_and_ask_hubspot_one_search_per_record_table(loaded):
    loaded.server.admin("stats/reset", json={})
    results = loaded.check_only()
    assert results and all(r.passed for r in results.values())
    by_endpoint = loaded.server.admin("stats")["requests"]["by_endpoint"]
    # One search per record table and the custom object schemas; nothing listed or read: no load ran.
    assert by_endpoint == {SEARCH: len(RECORD_TABLES), "GET /crm/v3/schemas": 1}, by_endpoint


def test_a_duplicated_row_fails_no_duplicate_keys_with_its_key_and_shows_in_the_live_count(loaded, tmp_path):
    snapshot = _snapshot_copy(loaded, tmp_path)
    [(record_id,)] = loaded.rows("SELECT min(id) FROM hubspot_raw.contacts WHERE NOT archived")
    with duckdb.connect(str(snapshot)) as connection:
        connection.execute("INSERT INTO hubspot_raw.contacts SELECT * FROM hubspot_raw.contacts WHERE id = ?",
                           [record_id])
    results = loaded.check_only(["contacts", "deals"], snapshot=snapshot)
    duplicates = results[("contacts", NO_DUPLICATE_KEYS)]
    assert not duplicates.passed and duplicates.severity == dg.AssetCheckSeverity.ERROR
    assert duplicates.metadata["offending_rows"].value == 1
    assert duplicates.metadata["sample"].data == [{"id": record_id, "rows_with_key": 2}]
    assert duplicates.metadata["table"].text == "hubspot_raw.contacts"
    live = results[("contacts", LIVE_ROWS_MATCH_HUBSPOT)]
    assert not live.passed and live.metadata["difference"].value == 1 and "index lags" in live.description
    assert results[("deals", NO_DUPLICATE_KEYS)].passed and results[("deals", LIVE_ROWS_MATCH_HUBSPOT)].passed


def test_links_and_participants_of_missing_records_fail_their_checks_naming_them(loaded, tmp_path):
    snapshot = _snapshot_copy(loaded, tmp_path)
    [(contact, links)] = loaded.rows(
        "SELECT to_id, count(*) FROM hubspot_raw.associations WHERE to_object_type = 'contacts' "
        "GROUP BY to_id ORDER BY 2 DESC, 1 LIMIT 1")
    [(message, participants)] = loaded.rows(
        "SELECT message_id, count(*) FROM hubspot_raw.message_participants GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1")
    from_links = loaded.rows("SELECT count(*) FROM hubspot_raw.associations WHERE from_object_type = 'contacts' "
                             "AND from_id = ?", [contact])[0][0]
    with duckdb.connect(str(snapshot)) as connection:
        connection.execute("DELETE FROM hubspot_raw.contacts WHERE id = ?", [contact])
        connection.execute("DELETE FROM hubspot_raw.messages WHERE id = ?", [message])
    results = loaded.check_only(["associations", "message_participants"], snapshot=snapshot)
    orphans = results[("associations", NO_LINKS_TO_MISSING_RECORDS)]
    assert not orphans.passed and orphans.severity == dg.AssetCheckSeverity.WARN
    assert orphans.metadata["offending_rows"].value == links + from_links > 0
    assert {(r["to_object_type"], r["to_id"]) for r in orphans.metadata["sample"].data} >= {("contacts", contact)}
    assert "contacts" in orphans.metadata["object_types_checked"].data
    lonely = results[("message_participants", NO_PARTICIPANTS_OF_MISSING_MESSAGES)]
    assert not lonely.passed and lonely.metadata["offending_rows"].value == participants > 0
    assert lonely.metadata["sample"].data == [{"message_id": message}]


def test_a_record_created_in_hubspot_after_the_load_shows_in_the_live_count_until_the_next_run(loaded):
    created = loaded.server.admin("mutate", json={"operations": [
        {"op": "create", "objectType": "deals", "properties": {"dealname": "after the load"}}]})
    try:
        live = loaded.check_only(["deals"])[("deals", LIVE_ROWS_MATCH_HUBSPOT)]
        assert not live.passed and live.metadata["difference"].value == -1
        assert live.metadata["hubspot_total"].value == loaded.server.admin("stats")["objects"]["deals"]["total"]
    finally:  # archived records are not counted by search: the portal counts as before for the other tests
        [record] = created["results"]
        loaded.server.admin("mutate", json={"operations": [
            {"op": "archive", "objectType": "deals", "id": record["id"]}]})


def test_checks_before_any_load_fail_saying_to_materialize_first(tmp_path):
    from types import SimpleNamespace

    assets = build_hubspot_raw_assets()
    unused = SimpleNamespace(url="http://127.0.0.1:9", token="pat-unused")  # no request is made
    result = dg.materialize([assets], resources=resources_for(unused, tmp_path / "warehouse.duckdb"),
                            selection=dg.AssetSelection.checks_for_assets(["hubspot_raw", "owners"]))
    assert result.success
    [evaluation] = check_results(result).values()
    assert not evaluation.passed and "materialize the hubspot_raw assets first" in evaluation.description
