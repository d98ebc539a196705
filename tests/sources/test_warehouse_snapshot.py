"""The read-only snapshot analysts query: only data (no dlt staging schema), published atomically, and a killed
publish's temporary copy is cleared by the next one."""

from __future__ import annotations

import subprocess
import sys

import duckdb

from hubspot_assets.sources.pipeline import run_sync
from hubspot_assets.sources.warehouse import STAGING_SCHEMA, publish_snapshot, snapshot_path, writer_lock
from tests.sources.sandbox_warehouse import settings_for


def _schemas(path) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return {row[0] for row in connection.execute(
            "SELECT schema_name FROM duckdb_schemas() WHERE NOT internal").fetchall()}


def _contacts(connection) -> int:
    return connection.execute("SELECT count(*) FROM hubspot_raw.contacts").fetchone()[0]


def test_the_snapshot_holds_the_data_schemas_but_not_dlt_staging(sandbox, tmp_path):
    settings = settings_for(sandbox, tmp_path, objects="contacts,companies")
    report = run_sync(settings, mode="full", resources=["contacts", "companies"])
    warehouse = settings.absolute(settings.warehouse_path)
    with duckdb.connect(str(warehouse)) as connection:  # a model schema, as the SQL models write
        connection.execute("CREATE SCHEMA hubspot_staging")
        connection.execute("CREATE TABLE hubspot_staging.stg_contacts AS SELECT id FROM hubspot_raw.contacts")
    assert STAGING_SCHEMA in _schemas(warehouse), "dlt staged the merge there"

    with writer_lock(settings):
        snapshot = publish_snapshot(settings)

    assert snapshot == report.snapshot
    assert STAGING_SCHEMA not in _schemas(snapshot)
    assert {"hubspot_raw", "hubspot_staging"} <= _schemas(snapshot)
    with duckdb.connect(str(warehouse), read_only=True) as live, duckdb.connect(str(snapshot), read_only=True) as copy:
        for table in ("hubspot_raw.contacts", "hubspot_raw.companies", "hubspot_staging.stg_contacts"):
            count = f"SELECT count(*) FROM {table}"
            assert copy.execute(count).fetchone() == live.execute(count).fetchone() != (0,)
    assert STAGING_SCHEMA in _schemas(warehouse), "the live warehouse keeps dlt's staging"
    assert [p.name for p in snapshot.parent.iterdir() if p.name.endswith((".tmp", ".wal"))] == []


def test_a_reader_of_the_old_snapshot_keeps_reading_it_while_a_new_one_is_published(sandbox_factory, tmp_path):
    server = sandbox_factory()
    settings = settings_for(server, tmp_path, objects="contacts")
    run_sync(settings, mode="incremental", resources=["contacts"])
    snapshot = snapshot_path(settings)
    with duckdb.connect(str(snapshot), read_only=True) as reader:
        before = _contacts(reader)
        server.admin("mutate", json={"operations": [
            {"op": "create", "objectType": "contacts", "properties": {"email": f"new{i}@example.com"}}
            for i in range(3)
        ]})

        run_sync(settings, mode="incremental", resources=["contacts"])

        assert _contacts(reader) == before, "the open reader still sees the snapshot it opened"
    with duckdb.connect(str(snapshot), read_only=True) as fresh:
        assert _contacts(fresh) == before + 3


def test_the_next_publish_removes_a_killed_publishs_temporary_copy_but_not_a_running_ones(sandbox, tmp_path):
    settings = settings_for(sandbox, tmp_path, objects="contacts")
    run_sync(settings, mode="incremental", resources=["contacts"], snapshot=False)
    target = snapshot_path(settings)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)  # a process that has ended
    running = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        killed = [target.with_name(f".{target.name}.{dead_pid}.1700000000000000000.tmp"),
                  target.with_name(f".{target.name}.{dead_pid}.1700000000000000000.tmp.wal")]
        live = target.with_name(f".{target.name}.{running.pid}.1700000000000000001.tmp")
        other = target.with_name(f".other.duckdb.{dead_pid}.1700000000000000002.tmp")  # not this snapshot's
        for path in (*killed, live, other):
            path.write_bytes(b"half a copy")

        with writer_lock(settings):
            publish_snapshot(settings)

        assert not any(p.exists() for p in killed)
        assert live.exists() and other.exists()
        with duckdb.connect(str(target), read_only=True) as connection:
            assert _contacts(connection) > 0
    finally:
        running.kill()
        running.wait()
