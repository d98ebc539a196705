"""The code location loads without an API call, without reading connection settings and without writing files;
custom objects are one asset per table, and one unknown to the definitions is still loaded; the asset body runs
the CLI's `sync_session`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import dagster as dg

import hubspot_assets.defs.assets as assets_module
from hubspot_assets.defs.assets import build_hubspot_raw_assets
from hubspot_assets.defs.catalog import dlt_schema_file
from tests.defs.dagster_runs import load_definitions, materializations, resources_for
from tests.sources.sandbox_warehouse import query, settings_for

ROOT = Path(__file__).resolve().parents[2]


def _resources(server, warehouse: Path, **hubspot) -> dict:
    return resources_for(server, warehouse, **hubspot)


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


def test_definitions_load_with_no_api_call_no_file_written_and_one_asset_per_stored_custom_table(sandbox, tmp_path):
    warehouse = tmp_path / "data" / "warehouse.duckdb"
    schema = dlt_schema_file(warehouse)  # what earlier runs left: the dlt schema next to the warehouse
    schema.parent.mkdir(parents=True)
    tables = ("contacts", "associations", "pets", "vehicles", "_dlt_loads")
    schema.write_text(json.dumps({"tables": {name: {"name": name, "resource": name} for name in tables}}))
    (tmp_path / "home").mkdir()
    (tmp_path / "cwd").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUBSPOT_", "DAGSTER_"))}
    env.update(HUBSPOT_BASE_URL=sandbox.url, HUBSPOT_ACCESS_TOKEN=sandbox.token, HUBSPOT_WAREHOUSE_PATH=str(warehouse),
               PYTHONPATH=str(ROOT), HOME=str(tmp_path / "home"))
    code = (
        "import json\n"
        "from hubspot_assets.definitions import defs\n"
        "[assets] = [a for a in defs.assets if getattr(a, 'op', None) and a.op.name == 'hubspot_raw_sync']\n"
        "print(json.dumps({s.key.path[-1]: sorted(s.metadata) for s in assets.specs}))\n"
    )
    files_before = sorted(tmp_path.rglob("*"))
    sandbox.admin("stats/reset", json={})
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path / "cwd", env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    specs = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"pets", "vehicles", "custom_objects", "contacts"} <= set(specs)
    # Only the table name: none of dagster-dlt's "(unserializable)" source, pipeline and translator entries.
    assert {name: keys for name, keys in specs.items() if name != "custom_objects"} == {
        name: ["dagster/table_name"] for name in specs if name != "custom_objects"}
    assert sandbox.admin("stats")["requests"]["total"] == 0  # HubSpot was not asked anything
    assert sorted(tmp_path.rglob("*")) == files_before  # no file written: not in cwd, HOME or the warehouse folder


def test_dagster_definitions_validate_passes_on_the_workspace(tmp_path):
    """What CI runs to catch a broken code location (a bad import, a bad asset graph), as `dagster dev` loads it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUBSPOT_", "DAGSTER_"))}
    (tmp_path / "home").mkdir()
    env.update(DAGSTER_HOME=str(tmp_path / "home"), HUBSPOT_WAREHOUSE_PATH=str(tmp_path / "warehouse.duckdb"))
    dagster = Path(sys.executable).with_name("dagster")
    done = subprocess.run([str(dagster), "definitions", "validate", "-w", str(ROOT / "workspace.yaml")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "All code locations passed validation" in done.stderr + done.stdout


def test_a_bad_base_url_fails_the_run_with_what_to_set(tmp_path):
    no_scheme = SimpleNamespace(url="api.hubapi.com", token="pat-x")
    result = dg.materialize(
        [build_hubspot_raw_assets()],
        resources=_resources(no_scheme, tmp_path / "warehouse.duckdb"),
        selection=[dg.AssetKey(["hubspot_raw", "owners"])],
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = str(failure.step_failure_data.error)
    assert "HUBSPOT_BASE_URL must start with http:// or https://" in message
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_a_custom_object_unknown_to_the_definitions_is_loaded_and_becomes_its_own_asset_after_a_reload(
    sandbox_factory, tmp_path, monkeypatch
):
    server = sandbox_factory()
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("HUBSPOT_WAREHOUSE_PATH", str(warehouse))
    settings = settings_for(server, tmp_path)

    def reload() -> dg.AssetsDefinition:
        [assets] = [a for a in load_definitions().assets if getattr(a, "op", None) and a.op.name == "hubspot_raw_sync"]
        return assets

    def names(assets: dg.AssetsDefinition) -> set[str]:
        return {key.path[-1] for key in assets.keys}

    def run(assets: dg.AssetsDefinition, tables: list[str], **resource: str) -> dict[str, dict]:
        result = dg.materialize([assets], resources=_resources(server, warehouse, **resource),
                                selection=[dg.AssetKey(["hubspot_raw", t]) for t in tables])
        assert result.success
        return materializations(result)

    # Before any run the definitions know no custom object: `custom_objects` stands for all of them. A first run
    # that loads only pets (HUBSPOT_OBJECTS) writes pets through it.
    before = reload()
    assert "custom_objects" in names(before) and not {"pets", "vehicles"} & names(before)
    first = run(before, ["custom_objects"], objects="pets")
    assert first["custom_objects"]["custom_object_tables"].data == {"pets": len(server.admin("truth/pets")["results"])}

    # After a reload pets is an asset of its own; vehicles (as if created in HubSpot since) is still unknown.
    known = reload()
    assert "pets" in names(known) and "vehicles" not in names(known)
    server.admin("stats/reset", json={})
    second = run(known, ["pets", "custom_objects"])
    vehicles = len(server.admin("truth/vehicles")["results"])
    assert second["custom_objects"]["custom_object_tables"].data == {"vehicles": vehicles}
    assert second["custom_objects"]["rows_loaded"].value == vehicles > 0
    assert second["custom_objects"]["api_requests"].value > 0
    # pets continues from the cursor the catch-all kept for it: one search, not a second full read.
    assert second["pets"]["api_requests"].value == 2  # its property definitions and one search
    assert query(settings, "SELECT count(*) FROM hubspot_raw.vehicles")[0][0] == vehicles

    assert {"pets", "vehicles", "custom_objects"} <= names(reload())
    # dagster-dlt drops the pipeline's local state before each run; the schema comes back from the warehouse, so a
    # run of other tables keeps the custom object assets.
    run(reload(), ["owners"])
    assert {"pets", "vehicles"} <= names(reload())


def test_the_asset_body_is_the_cli_sync_session_so_a_run_after_a_crash_during_load_finishes_the_pending_package(
    sandbox_factory, tmp_path, monkeypatch
):
    """The asset runs inside the CLI's `sync_session` (fail-fast checks, writer lock, the package a killed run left,
    snapshot), so a fix made there holds in Dagster too."""
    from hubspot_assets.sources.pipeline import LOADER_FILE_FORMAT, prepare
    from hubspot_assets.sources.warehouse import make_pipeline

    server = sandbox_factory()
    settings = settings_for(server, tmp_path)
    resources = _resources(server, tmp_path / "warehouse.duckdb")
    pipelines = [dg.AssetKey(["hubspot_raw", "pipelines"])]
    hubspot_raw_assets = build_hubspot_raw_assets()
    assert dg.materialize([hubspot_raw_assets], resources=resources, selection=pipelines).success
    # What a run killed between normalize and load leaves: a normalized `owners` package, nothing in the warehouse.
    pipeline = make_pipeline(settings)
    pipeline.extract(prepare(settings, mode="full").source().with_resources("owners"),
                     loader_file_format=LOADER_FILE_FORMAT)
    pipeline.normalize()
    assert pipeline.has_pending_data

    sessions = []
    real = assets_module.sync_session

    def spy(settings, **kwargs):
        sessions.append(kwargs)
        return real(settings, **kwargs)

    monkeypatch.setattr(assets_module, "sync_session", spy)
    result = dg.materialize([hubspot_raw_assets], resources=resources, selection=pipelines,
                            run_config={"ops": {"hubspot_raw_sync": {"config": {"mode": "full"}}}})
    assert result.success
    [kwargs] = sessions
    assert kwargs["mode"] == "full" and kwargs["custom_tables"] == ()
    [materialization] = result.asset_materializations_for_node("hubspot_raw_sync")
    metadata = materialization.metadata
    stored = query(settings, "SELECT count(*) FROM hubspot_raw.pipelines")[0][0]
    assert metadata["rows_loaded"].value == stored > 0  # it extracted its own table too
    assert metadata["run_http_requests"].value > 0 and metadata["api_requests"].value > 0
    assert metadata["snapshot_path"].value == str(tmp_path / "warehouse.snapshot.duckdb")
    assert query(settings, "SELECT count(*) FROM hubspot_raw.owners")[0][0] > 0  # the pending package got loaded
