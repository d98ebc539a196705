"""`hubspot-elt sync` runs the extraction from a terminal and reports what it loaded."""

from __future__ import annotations

from click.testing import CliRunner

from hubspot_assets.cli import main
from tests.sources.sandbox_warehouse import query, settings_for


def test_sync_command_loads_the_warehouse_and_prints_a_table_of_rows(sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("HUBSPOT_BASE_URL", sandbox.url)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", sandbox.token)
    monkeypatch.setenv("HUBSPOT_STATE_DIR", str(tmp_path / "state"))
    warehouse = tmp_path / "w.duckdb"
    result = CliRunner().invoke(main, ["sync", "--objects", "deals,companies", "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    assert "deals" in result.output and "rows loaded" in result.output
    settings = settings_for(sandbox, tmp_path, warehouse_path=warehouse)
    # The first run reads everything, archived deals included (flagged).
    deals = sandbox.admin("truth/deals")["results"]
    assert query(settings, "SELECT count(*), count(*) FILTER (WHERE archived) FROM hubspot_raw.deals")[0] == (
        len(deals), sum(1 for r in deals if r["archived"]))
    assert query(settings, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'hubspot_raw' "
                           "AND table_name = 'contacts'")[0][0] == 0


def test_a_fatal_error_is_printed_once_without_retry_lines(tmp_path):
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "HUBSPOT_BASE_URL": f"http://127.0.0.1:{port}", "HUBSPOT_ACCESS_TOKEN": "pat-na1-nothing",
           "HUBSPOT_WAREHOUSE_PATH": str(tmp_path / "w.duckdb"), "HUBSPOT_STATE_DIR": str(tmp_path / "state")}
    done = subprocess.run([sys.executable, "-c", "from hubspot_assets.cli import main; main()", "sync"], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert output.count("could not reach") == 1, output
    assert "HUBSPOT_BASE_URL" in output
