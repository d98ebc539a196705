"""The first run (no cursor yet) reads everything: archived records and archived threads (their messages are
checked by the full-sync test in test_sync_sandbox.py)."""

from __future__ import annotations

from hubspot_assets.sources.pipeline import run_sync
from tests.sources.sandbox_warehouse import assert_table_matches_truth, query, settings_for


def test_first_incremental_run_loads_archived_records_and_archived_threads(sandbox_factory, tmp_path):
    server = sandbox_factory()
    settings = settings_for(server, tmp_path, objects="companies")
    run_sync(settings, mode="incremental", resources=["companies", "threads"])

    assert_table_matches_truth(settings, server, "companies")  # archived ones included, flagged
    assert query(settings, "SELECT count(*) FROM hubspot_raw.companies WHERE archived AND archived_at IS NULL")[0][0] == 0
    threads = server.admin("truth/threads")["results"]
    stored_threads = dict(query(settings, "SELECT id, archived FROM hubspot_raw.threads"))
    assert {str(t["id"]): bool(t["archived"]) for t in threads} == {str(k): bool(v) for k, v in stored_threads.items()}
