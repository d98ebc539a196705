"""`hubspot-elt models build` and `run_models`: the writer lock, the snapshot without the build state, a line per
model, the exit status."""

from __future__ import annotations

import duckdb
from click.testing import CliRunner

from hubspot_assets.cli import main
from hubspot_assets.models.runner import run_models
from hubspot_assets.settings import Settings
from hubspot_assets.sources.warehouse import snapshot_path, writer_lock
from tests.models.folders import LAYERED, raw_warehouse, write_models


def _warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    raw_warehouse(path).close()
    return path


def _schemas(path) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return {r[0] for r in connection.execute("SELECT schema_name FROM information_schema.schemata").fetchall()}


def test_run_models_publishes_a_snapshot_with_the_models_and_without_their_build_state(tmp_path):
    settings = Settings(warehouse_path=_warehouse(tmp_path))
    results = run_models(settings, folder=write_models(tmp_path, LAYERED))
    assert all(r.ok for r in results)
    snapshot = snapshot_path(settings)
    assert {"hubspot", "hubspot_staging", "hubspot_raw"} <= _schemas(snapshot)
    assert "hubspot_models_state" not in _schemas(snapshot)
    assert "hubspot_models_state" in _schemas(settings.warehouse_path)
    with duckdb.connect(str(snapshot), read_only=True) as connection:  # the staging view works in the copy
        assert connection.execute("SELECT count(*) FROM hubspot_staging.stg_contacts").fetchall() == [(4,)]


def test_run_models_holds_the_writer_lock(tmp_path):
    settings = Settings(warehouse_path=_warehouse(tmp_path))
    seen = []

    def try_lock(result):  # while models build, no other writer gets in
        try:
            with writer_lock(settings, timeout_s=0):
                seen.append("got the lock")
        except TimeoutError:
            seen.append("locked")

    run_models(settings, folder=write_models(tmp_path, LAYERED), on_result=try_lock)
    assert seen == ["locked"] * 3


def _cli(*args: str):
    return CliRunner().invoke(main, ["models", "build", *args], catch_exceptions=False)


def test_the_cli_prints_a_line_per_model_and_exits_0_when_all_pass(tmp_path):
    folder, warehouse = write_models(tmp_path, LAYERED), _warehouse(tmp_path)
    result = _cli("--models-dir", str(folder), "--warehouse", str(warehouse))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["ok", "hubspot_staging.stg_contacts", "view"]
    assert lines[1].split()[:5] == ["ok", "hubspot.customers", "full", "4", "rows"]
    assert lines[1].endswith("checks 3/3")
    assert lines[-1].startswith("3 models: 3 ok, 0 failed, 0 blocked. Snapshot for queries: ")
    again = _cli("--models-dir", str(folder), "--warehouse", str(warehouse), "--select", "customers")
    assert "up to date" in again.output and "stg_contacts" not in again.output
    full = _cli("--models-dir", str(folder), "--warehouse", str(warehouse), "--select", "customers", "--full-refresh")
    assert " full " in full.output.splitlines()[0]
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("UPDATE hubspot_raw.contacts SET email = 'new@x.com' WHERE id = 1")
    changed = _cli("--models-dir", str(folder), "--warehouse", str(warehouse), "--select", "customers")
    assert changed.output.splitlines()[0].endswith("1 keys rebuilt  checks 3/3 (3 on the rebuilt keys' rows)")


def test_the_cli_names_failed_checks_and_blocked_models_and_exits_1(tmp_path):
    warehouse = _warehouse(tmp_path)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("INSERT INTO hubspot_raw.contacts VALUES (4, 'dup@x.com', 'lead', false)")
    result = _cli("--models-dir", str(write_models(tmp_path, LAYERED)), "--warehouse", str(warehouse))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[1].split()[:2] == ["FAIL", "hubspot.customers"]
    assert "checks 2/3: unique_customer_id 1 rows, e.g. {'value': 4, 'n': 2}" in lines[1]
    assert lines[2].split()[:2] == ["SKIP", "hubspot.lifecycle_counts"]
    assert "blocked: upstream hubspot.customers failed unique_customer_id" in lines[2]


def test_the_cli_reports_a_project_error_without_a_traceback(tmp_path):
    folder = write_models(tmp_path, {"staging/stg_x.sql": "SELECT * FROM nowhere"})
    result = CliRunner().invoke(main, ["models", "build", "--models-dir", str(folder),
                                       "--warehouse", str(_warehouse(tmp_path))])
    assert result.exit_code == 1
    assert "Error: dbt_like_models/staging/stg_x.sql: table 'nowhere' has no schema" in result.output
    assert "Traceback" not in result.output


def test_models_is_listed_in_the_cli():
    result = CliRunner().invoke(main, ["--help"])
    assert "models" in result.output and "Build the SQL models" in result.output
