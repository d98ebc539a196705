"""`make demo` end to end: sandbox, OAuth login, full sync, the models, and a snapshot an analyst can query."""

import os
import re
import subprocess
import sys

import duckdb


def test_demo_loads_every_area_including_transcripts_into_a_queryable_snapshot(tmp_path):
    warehouse = tmp_path / "demo" / "warehouse.duckdb"
    run = subprocess.run(
        [sys.executable, "-m", "hubspot_assets.demo", "--warehouse", str(warehouse)],
        capture_output=True, text=True, timeout=240, env={**os.environ, "COLUMNS": "200"},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Connected over OAuth" in run.stdout
    # Real time: each change made in the sandbox reached the warehouse through the receiver and a partial refresh.
    for change in ("a contact's job title changed", "a new chat message", "two contacts merged", "a contact deleted"):
        assert re.search(rf"{re.escape(change)}\s*│\s*\d+\.\d\s*│\s*\d+", run.stdout), change
    snapshot = warehouse.with_name("warehouse.snapshot.duckdb")
    with duckdb.connect(str(snapshot), read_only=True) as con:
        tables = {row[0] for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'hubspot_raw'").fetchall()}
        assert {"contacts", "calls", "associations", "threads", "messages", "call_transcript_utterances"} <= tables
        # Transcripts need the OAuth scope the demo's login asked for: utterances join their calls.
        joined = con.execute(
            "select count(*) from hubspot_raw.call_transcript_utterances u "
            "join hubspot_raw.calls c on c.id = u.call_id").fetchone()[0]
        assert joined > 0
        assert con.execute("select count(*) from hubspot_raw.contacts").fetchone()[0] >= 900
        # The summary line counts the rows the table above it prints (delete markers are no rows).
        data_tables = [t for t in tables if not t.startswith("_dlt")]
        total = sum(con.execute(f'select count(*) from hubspot_raw."{t}"').fetchone()[0] for t in data_tables)
    assert f"{total:,} rows in {len(data_tables)} tables" in run.stdout
    # Then the models: a line per model, every one built, and the marts' row counts as the snapshot holds them.
    with duckdb.connect(str(snapshot), read_only=True) as con:
        marts = {row[0] for row in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'hubspot'").fetchall()}
        customers = con.execute("select count(*) from hubspot.customers").fetchone()[0]
    assert {"customers", "interactions", "deals", "conversations"} <= marts
    assert "hubspot.customers" in run.stdout and " FAIL " not in run.stdout and "ERROR" not in run.stdout
    assert re.search(rf"│ customers\s+│\s+{customers:,} │", run.stdout), run.stdout[-3000:]
