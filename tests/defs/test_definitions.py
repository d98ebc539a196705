"""The code location loads, and the hubspot_raw assets materialize for real against the sandbox."""

from __future__ import annotations

import dagster as dg

from hubspot_assets.defs.assets import hubspot_raw_assets
from hubspot_assets.defs.resources import HubSpotResource, WarehouseResource
from hubspot_assets.defs.schedules import build_schedules
from hubspot_assets.settings import Settings
from tests.sources.support import assert_table_matches_truth, query, settings_for


def test_definitions_load_with_one_asset_per_table_under_hubspot_raw_and_no_phantom_deps():
    from hubspot_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {key for key in graph.get_all_asset_keys() if key.path[0] == "hubspot_raw"}
    names = {key.path[-1] for key in keys}
    assert {"contacts", "deals", "associations", "owners", "messages", "call_transcript_utterances"} <= names
    assert "conversation_messages_raw" not in names  # the hidden parent of messages is not an asset
    for key in keys:
        node = graph.get(key)
        assert not node.parent_keys, f"{key} depends on {node.parent_keys}"
        assert node.group_name in {"hubspot_crm", "hubspot_metadata", "hubspot_conversations"}
        assert node.description
        assert {"hubspot", "dlt", "duckdb"} <= set(node.kinds)
    assert hubspot_raw_assets.op.pool == "hubspot_warehouse"  # one warehouse writer at a time
    jobs = {job.name for job in defs.resolve_all_job_defs()}
    assert {"hubspot_full_sync", "hubspot_incremental_sync", "hubspot_reconcile"} <= jobs
    schedules = {s.name: s for s in defs.resolve_all_schedule_defs()} if hasattr(defs, "resolve_all_schedule_defs") \
        else {s.name: s for s in defs.schedules}
    assert {"hubspot_incremental_schedule", "hubspot_reconcile_schedule"} <= set(schedules)


def test_schedule_cron_strings_come_from_settings():
    schedules = {s.name: s for s in build_schedules(Settings(incremental_cron="*/5 * * * *", reconcile_cron="30 2 * * *"))}
    assert schedules["hubspot_incremental_schedule"].cron_schedule == "*/5 * * * *"
    assert schedules["hubspot_reconcile_schedule"].cron_schedule == "30 2 * * *"
    assert schedules["hubspot_reconcile_schedule"].job_name == "hubspot_reconcile"


def _resources(server, settings):
    return {
        "hubspot": HubSpotResource(base_url=server.url, access_token=server.token, tier="unlimited"),
        "warehouse": WarehouseResource(warehouse_path=str(settings.warehouse_path)),
    }


def test_materializing_the_assets_loads_the_sandbox_with_row_and_request_counts(sandbox_factory, tmp_path):
    server = sandbox_factory()
    settings = settings_for(server, tmp_path)
    result = dg.materialize(
        [hubspot_raw_assets],
        resources=_resources(server, settings),
        run_config={"ops": {"hubspot_raw_sync": {"config": {"mode": "full"}}}},
        selection=[dg.AssetKey(["hubspot_raw", name]) for name in ("contacts", "deals", "custom_objects", "owners")],
    )
    assert result.success
    materializations = {
        m.asset_key.path[-1]: m.metadata for m in result.asset_materializations_for_node("hubspot_raw_sync")
    }
    assert materializations["contacts"]["rows_loaded"].value == len(server.admin("truth/contacts")["results"])
    assert materializations["contacts"]["api_requests"].value > 0
    assert materializations["custom_objects"]["rows_loaded"].value > 0
    assert_table_matches_truth(settings, server, "contacts")
    assert_table_matches_truth(settings, server, "deals")
    assert (tmp_path / "warehouse.snapshot.duckdb").exists()


def test_materializing_a_subset_loads_only_the_selected_tables(sandbox_factory, tmp_path):
    server = sandbox_factory()
    settings = settings_for(server, tmp_path)
    result = dg.materialize(
        [hubspot_raw_assets],
        resources=_resources(server, settings),
        selection=[dg.AssetKey(["hubspot_raw", "deals"]), dg.AssetKey(["hubspot_raw", "associations"])],
    )
    assert result.success
    tables = {r[0] for r in query(settings, "SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = 'hubspot_raw' AND table_name NOT LIKE '_dlt%'")}
    assert tables == {"deals", "associations"}
    deals = server.admin("truth/deals")["results"]
    stored = [r[0] for r in query(settings, "SELECT id FROM hubspot_raw.deals")]
    assert len(stored) == len(set(stored))
    # Every live deal; archived ones too when the first run reads everything (sources' choice, not the assets').
    assert {int(r["id"]) for r in deals if not r["archived"]} <= set(stored) <= {int(r["id"]) for r in deals}
