"""The code location loads without reading connection settings or writing files; custom objects are one asset per
table; the asset body runs the same `run_sync` as the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

import hubspot_assets.defs.assets as assets_module
from hubspot_assets.defs.assets import build_hubspot_raw_assets, hubspot_raw_assets
from hubspot_assets.defs.resources import HubSpotResource, WarehouseResource
from tests.sources.support import query, settings_for

ROOT = Path(__file__).resolve().parents[2]


def _resources(server, warehouse: Path) -> dict:
    return {
        "hubspot": HubSpotResource(base_url=server.url, access_token=server.token, tier="unlimited"),
        "warehouse": WarehouseResource(warehouse_path=str(warehouse)),
    }


def test_definitions_load_with_a_bad_base_url_and_create_no_files(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBSPOT_")}
    env.update(HUBSPOT_BASE_URL="api.hubapi.com", PYTHONPATH=str(ROOT), HOME=str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    code = (
        "from hubspot_assets.definitions import defs\n"
        "keys = defs.resolve_asset_graph().get_all_asset_keys()\n"
        "print(len(keys), len(list(defs.schedules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assets, schedules = map(int, done.stdout.split())
    assert assets > 20 and schedules == 2
    assert list(cwd.iterdir()) == []  # no ./data/.dlt/ written by an import


def test_a_bad_base_url_fails_the_run_with_what_to_set(tmp_path):
    result = dg.materialize(
        [hubspot_raw_assets],
        resources={
            "hubspot": HubSpotResource(base_url="api.hubapi.com", access_token="pat-x"),
            "warehouse": WarehouseResource(warehouse_path=str(tmp_path / "warehouse.duckdb")),
        },
        selection=[dg.AssetKey(["hubspot_raw", "owners"])],
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = str(failure.step_failure_data.error)
    assert "HUBSPOT_BASE_URL must start with http:// or https://" in message
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_each_custom_object_table_becomes_an_asset_after_the_first_run(sandbox_factory, tmp_path, monkeypatch):
    from hubspot_assets.defs import extraction_definitions

    server = sandbox_factory()
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("HUBSPOT_WAREHOUSE_PATH", str(warehouse))

    def names() -> set[str]:
        graph = extraction_definitions().resolve_asset_graph()
        return {key.path[-1] for key in graph.get_all_asset_keys()}

    assert "custom_objects" in names() and "pets" not in names()  # before the first run: one asset for all
    first = dg.materialize([hubspot_raw_assets], resources=_resources(server, warehouse),
                           selection=[dg.AssetKey(["hubspot_raw", "custom_objects"])])
    assert first.success
    assert {"pets", "vehicles"} <= names() and "custom_objects" not in names()

    # Materializing only `pets` (a subset) loads it and reports its own row count.
    assets = build_hubspot_raw_assets(["pets", "vehicles"])
    pets = dg.AssetKey(["hubspot_raw", "pets"])
    second = dg.materialize([assets], resources=_resources(server, warehouse), selection=[pets],
                            run_config={"ops": {"hubspot_raw_sync": {"config": {"mode": "full"}}}})
    assert second.success
    [materialization] = second.asset_materializations_for_node("hubspot_raw_sync")
    assert materialization.asset_key == pets
    live = [r for r in server.admin("truth/pets")["results"] if not r["archived"]]
    assert materialization.metadata["rows_loaded"].value >= len(live) > 0
    settings = settings_for(server, tmp_path)
    assert query(settings, "SELECT count(*) FROM hubspot_raw.pets")[0][0] == len(server.admin("truth/pets")["results"])


def test_the_asset_body_is_run_sync_so_a_run_after_a_crash_during_load_finishes_the_pending_package(
    sandbox_factory, tmp_path, monkeypatch
):
    """The asset runs the CLI's `run_sync` with the selected tables, so a fix made there (loading the package a
    killed run left) holds in Dagster too, and the metadata is that run's report."""
    from hubspot_assets.sources.pipeline import LOADER_FILE_FORMAT, prepare
    from hubspot_assets.sources.warehouse import make_pipeline

    server = sandbox_factory()
    settings = settings_for(server, tmp_path)
    resources = _resources(server, tmp_path / "warehouse.duckdb")
    pipelines = [dg.AssetKey(["hubspot_raw", "pipelines"])]
    assert dg.materialize([hubspot_raw_assets], resources=resources, selection=pipelines).success
    # What a run killed between normalize and load leaves: a normalized `owners` package, nothing in the warehouse.
    pipeline = make_pipeline(settings)
    pipeline.extract(prepare(settings, mode="full").source(settings).with_resources("owners"),
                     loader_file_format=LOADER_FILE_FORMAT)
    pipeline.normalize()
    assert pipeline.has_pending_data

    calls = []
    real = assets_module.run_sync

    def spy(settings, **kwargs):
        report = real(settings, **kwargs)
        calls.append((kwargs, report))
        return report

    monkeypatch.setattr(assets_module, "run_sync", spy)
    result = dg.materialize([hubspot_raw_assets], resources=resources, selection=pipelines,
                            run_config={"ops": {"hubspot_raw_sync": {"config": {"mode": "full"}}}})
    assert result.success
    [(kwargs, report)] = calls
    assert kwargs["resources"] == ["pipelines"] and kwargs["mode"] == "full"
    [materialization] = result.asset_materializations_for_node("hubspot_raw_sync")
    metadata = materialization.metadata
    assert metadata["rows_loaded"].value == report.row_counts["pipelines"] > 0  # it extracted its own table too
    assert metadata["run_http_requests"].value == report.api["requests"] > 0
    assert metadata["snapshot_path"].value == str(report.snapshot)
    assert query(settings, "SELECT count(*) FROM hubspot_raw.owners")[0][0] > 0  # the pending package got loaded
