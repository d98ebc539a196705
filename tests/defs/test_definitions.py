"""The code location loads, and the hubspot_raw assets (one `@dg.multi_asset` with dagster-dlt's translator)
materialize for real against the sandbox: the whole set, a subset, and an incremental run after a full one."""

from __future__ import annotations

import dagster as dg

from hubspot_assets.defs.assets import build_hubspot_raw_assets
from hubspot_assets.defs.schedules import build_schedules
from hubspot_assets.settings import Settings
from hubspot_assets.sources.history import HISTORY_OFF
from tests.defs.dagster_runs import FULL, load_definitions, materializations, observations, resources_for
from tests.sources.sandbox_warehouse import CRM_TYPES, assert_table_matches_truth, query, settings_for


def test_definitions_load_with_one_dlt_asset_per_table_under_hubspot_raw_and_no_phantom_deps():
    from hubspot_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {key for key in graph.get_all_asset_keys() if key.path[0] == "hubspot_raw"}
    names = {key.path[-1] for key in keys}
    assert {"contacts", "deals", "associations", "owners", "messages", "call_transcript_utterances"} <= names
    assert "conversation_messages_raw" not in names  # the hidden parent of messages is not an asset
    models = {key for key in graph.get_all_asset_keys() if key.path[0] in ("hubspot_staging", "hubspot")}
    webhook_queue = {dg.AssetKey(["hubspot_webhooks", "queue"])}  # the external asset of defs/webhook_queue.py
    # no upstream asset of dagster-dlt's default translator
    assert graph.get_all_asset_keys() - models - webhook_queue == keys
    for key in keys:
        node = graph.get(key)
        assert not node.parent_keys, f"{key} depends on {node.parent_keys}"
        assert node.group_name in {"hubspot_crm", "hubspot_metadata", "hubspot_conversations"}
        assert node.description
        assert {"hubspot", "dlt", "duckdb"} <= set(node.kinds)
    # the models are a multi-asset of their own
    [hubspot_raw_assets] = [a for a in defs.assets if getattr(a, "op", None) and a.op.name == "hubspot_raw_sync"]
    # Built with dagster-dlt's translator, without its unserializable source/pipeline/translator entries.
    assert all(spec.metadata == {"dagster/table_name": f"hubspot_raw.{spec.key.path[-1]}"}
               for spec in hubspot_raw_assets.specs if spec.key.path[-1] != "custom_objects")
    assert hubspot_raw_assets.op.name == "hubspot_raw_sync"
    assert hubspot_raw_assets.op.pool == "hubspot_warehouse"  # one warehouse writer at a time
    jobs = {job.name for job in defs.resolve_all_job_defs()}
    assert {"hubspot_full_sync", "hubspot_incremental_sync", "hubspot_reconcile"} <= jobs
    schedules = {s.name: s for s in defs.resolve_all_schedule_defs()} if hasattr(defs, "resolve_all_schedule_defs") \
        else {s.name: s for s in defs.schedules}
    assert {"hubspot_incremental_schedule", "hubspot_reconcile_schedule"} <= set(schedules)


def test_known_custom_object_tables_are_one_asset_each_beside_the_catch_all():
    assets = build_hubspot_raw_assets(["pets", "vehicles", "contacts"])  # a fixed name is not a custom table
    names = [key.path[-1] for key in assets.keys]
    assert {"pets", "vehicles", "custom_objects"} <= set(names) and names.count("contacts") == 1
    pets = assets.specs_by_key[dg.AssetKey(["hubspot_raw", "pets"])]
    assert "custom object `pets`" in pets.description and pets.group_name == "hubspot_crm"
    assert pets.metadata["dagster/table_name"] == "hubspot_raw.pets"
    assert "dagster/table_name" not in assets.specs_by_key[dg.AssetKey(["hubspot_raw", "custom_objects"])].metadata


def test_schedule_cron_strings_come_from_settings():
    schedules = {s.name: s for s in build_schedules(Settings(incremental_cron="*/5 * * * *", reconcile_cron="30 2 * * *"))}
    assert schedules["hubspot_incremental_schedule"].cron_schedule == "*/5 * * * *"
    assert schedules["hubspot_reconcile_schedule"].cron_schedule == "30 2 * * *"
    assert schedules["hubspot_reconcile_schedule"].job_name == "hubspot_reconcile"


def _resources(server, settings):
    return resources_for(server, settings.warehouse_path)


def _tables(settings) -> set[str]:
    return {r[0] for r in query(settings, "SELECT table_name FROM information_schema.tables "
                                          "WHERE table_schema = 'hubspot_raw' AND table_name NOT LIKE '_dlt%'")}


def test_materializing_every_asset_loads_each_table_with_its_row_and_request_counts(sandbox_factory, tmp_path):
    server = sandbox_factory()
    settings = settings_for(server, tmp_path)
    assets = build_hubspot_raw_assets(["pets", "vehicles"])
    result = dg.materialize([assets], resources=_resources(server, settings), run_config=FULL)
    assert result.success
    metadata = materializations(result)
    skipped = observations(result)
    # Every asset either got a materialization or, when the run wrote no table for it, an observation saying why.
    assert set(metadata) | set(skipped) == {key.path[-1] for key in assets.keys} and not set(metadata) & set(skipped)
    tables = _tables(settings)
    assert set(metadata) - {"custom_objects"} == tables
    for table, values in metadata.items():
        if table == "custom_objects":
            continue
        stored = query(settings, f'SELECT count(*) FROM hubspot_raw."{table}"')[0][0]
        assert values["rows_loaded"].value == stored, table
        assert values["run_http_requests"].value > 0 and values["sync_mode"].text == "full"
    for table in (*CRM_TYPES, "pets", "vehicles"):
        assert metadata[table]["api_requests"].value > 0, table
        # A full run loads every record of the type, archived ones included.
        assert metadata[table]["rows_loaded"].value == len(server.admin(f"truth/{table}")["results"]) > 0, table
    # Every custom object has an asset of its own: the catch-all had nothing to load.
    assert metadata["custom_objects"]["rows_loaded"].value == 0
    assert metadata["custom_objects"]["custom_object_tables"].data == {}
    # History is off by default: no materialization, and the observation says so instead of reporting 0 rows.
    assert skipped["property_history"]["skipped"].text == HISTORY_OFF
    assert "property_history" not in tables
    assert_table_matches_truth(settings, server, "contacts")
    assert_table_matches_truth(settings, server, "pets")
    assert (tmp_path / "warehouse.snapshot.duckdb").exists()

    # The next incremental run restores dlt's state (cursors) from the warehouse (dagster-dlt drops the local
    # state before each run): one search per record type, nothing re-listed (the checks, which ask HubSpot's
    # totals, left out).
    server.admin("stats/reset", json={})
    again = dg.materialize([assets], resources=_resources(server, settings),
                           selection=dg.AssetSelection.assets(*[["hubspot_raw", t] for t in ("contacts", "pets")])
                           .without_checks())
    assert again.success
    metadata = materializations(again)
    assert set(metadata) == {"contacts", "pets"}
    by_endpoint = server.admin("stats")["requests"]["by_endpoint"]
    assert by_endpoint.get("POST /crm/v3/objects/{objectType}/search") == 2, by_endpoint
    assert "GET /crm/v3/objects/{objectType}" not in by_endpoint, by_endpoint
    for table in ("contacts", "pets"):  # its property definitions, then one search
        assert metadata[table]["api_requests"].value == 2
        # Only records inside the look-back window are read again, not the table.
        stored = query(settings, f"SELECT count(*) FROM hubspot_raw.{table}")[0][0]
        assert metadata[table]["rows_loaded"].value < stored / 2

    # Definitions that lost the stored schema know no custom table: the catch-all loads pets and vehicles, from the
    # cursors their own resources kept (property definitions and one search each, no second full read).
    server.admin("stats/reset", json={})
    forgot = dg.materialize([build_hubspot_raw_assets()], resources=_resources(server, settings),
                            selection=[dg.AssetKey(["hubspot_raw", "custom_objects"])])
    assert forgot.success
    [caught] = forgot.asset_materializations_for_node("hubspot_raw_sync")
    assert caught.metadata["api_requests"].value == 4
    assert set(caught.metadata["custom_object_tables"].data) <= {"pets", "vehicles"}


def test_materializing_a_subset_runs_only_the_selected_resources(sandbox_factory, tmp_path):
    server = sandbox_factory()
    settings = settings_for(server, tmp_path)
    assets = build_hubspot_raw_assets(["pets", "vehicles"])
    server.admin("stats/reset", json={})
    result = dg.materialize(
        [assets],
        resources=_resources(server, settings),
        selection=[dg.AssetKey(["hubspot_raw", "owners"]), dg.AssetKey(["hubspot_raw", "pets"])],
    )
    assert result.success
    materialized = {m.asset_key.path[-1] for m in result.asset_materializations_for_node("hubspot_raw_sync")}
    assert materialized == {"owners", "pets"}
    assert _tables(settings) == {"owners", "pets"}
    # The sandbox saw only what those two need: the object types, pets' properties and records, the owners; no
    # associations, pipelines or conversations.
    endpoints = {e.split(" ", 1)[1] for e in server.admin("stats")["requests"]["by_endpoint"]}
    assert not [e for e in endpoints if "associations" in e or "conversations" in e or "pipelines" in e], endpoints
    assert "/crm/v3/owners" in endpoints
    live = [r for r in server.admin("truth/pets")["results"] if not r["archived"]]
    stored = [r[0] for r in query(settings, "SELECT id FROM hubspot_raw.pets")]
    assert {int(r["id"]) for r in live} <= set(stored) and len(stored) == len(set(stored))


def test_the_reconcile_job_runs_every_asset_in_its_mode_through_the_op_config(sandbox_factory, tmp_path, monkeypatch):
    server = sandbox_factory()
    for name, value in {"BASE_URL": server.url, "ACCESS_TOKEN": server.token, "TIER": "unlimited",
                        "WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"), "OBJECTS": "deals",
                        "STATE_DIR": str(tmp_path / "state"), "TOKEN_STORE_PATH": str(tmp_path / "t.enc")}.items():
        monkeypatch.setenv(f"HUBSPOT_{name}", value)
    definitions = load_definitions()
    result = definitions.resolve_job_def("hubspot_reconcile").execute_in_process()
    assert result.success
    metadata = materializations(result)
    skipped = observations(result)
    # Every asset ran: materialized, or observed as skipped when the run wrote no table for it.
    assert set(metadata) | set(skipped) == {
        key.path[-1] for key in definitions.resolve_asset_graph().get_all_asset_keys() if key.path[0] == "hubspot_raw"}
    assert {values["sync_mode"].text for values in [*metadata.values(), *skipped.values()]} == {"reconcile"}
    assert "contacts" in skipped and "deals" in metadata
    settings = settings_for(server, tmp_path)
    assert metadata["deals"]["rows_loaded"].value == query(settings, "SELECT count(*) FROM hubspot_raw.deals")[0][0] > 0
    assert "contacts" not in _tables(settings)  # HUBSPOT_OBJECTS=deals
