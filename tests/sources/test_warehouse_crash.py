"""A sync killed half-way through its extraction leaves partly written files; the next run clears them and the
warehouse still ends equal to HubSpot."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hubspot_assets.sources.pipeline import LOADER_FILE_FORMAT, prepare, run_sync
from hubspot_assets.sources.warehouse import make_pipeline
from tests.sources.sandbox_warehouse import assert_table_matches_truth, query, settings_for

ROOT = Path(__file__).resolve().parents[2]


def _unfinished_job_files(normalize: Path, pattern: str = "*") -> list[Path]:
    """Job files of extractions still in their own folder (not yet moved to `extracted/`)."""
    return [p for p in normalize.glob(f"*/*/new_jobs/{pattern}") if p.relative_to(normalize).parts[0] != "extracted"]


def test_the_run_after_a_sync_killed_mid_extraction_clears_its_files_and_matches_hubspot(sandbox_factory, tmp_path):
    server = sandbox_factory()
    # Every read of companies answers 10 s late, so the run is still extracting when contacts are being written.
    server.admin("faults", json={"spec": "slow=10:1@/crm/v3/objects/companies*"})
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBSPOT_")}
    env.update(PYTHONPATH=str(ROOT), HUBSPOT_BASE_URL=server.url, HUBSPOT_ACCESS_TOKEN=server.token,
               HUBSPOT_TIER="unlimited", HUBSPOT_WAREHOUSE_PATH=str(tmp_path / "warehouse.duckdb"),
               HUBSPOT_STATE_DIR=str(tmp_path / "state"), HUBSPOT_TOKEN_STORE_PATH=str(tmp_path / "tokens.enc"),
               # dlt writes a job file once this many rows wait (default 5,000): a small portal then leaves
               # partly written files as a large one does.
               DATA_WRITER__BUFFER_MAX_ITEMS="100")
    killed = subprocess.Popen([sys.executable, "-m", "hubspot_assets.cli", "sync", "--full",
                               "--objects", "contacts,companies"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    normalize = tmp_path / ".dlt" / "warehouse" / "hubspot" / "normalize"
    try:
        while not _unfinished_job_files(normalize, "contacts.*.parquet"):
            assert killed.poll() is None, "the run ended before it was killed"
            time.sleep(0.02)
        killed.send_signal(signal.SIGKILL)
        killed.wait()
    finally:
        if killed.poll() is None:
            killed.kill()
    left = _unfinished_job_files(normalize)
    assert left, "the kill left partly written job files behind"
    server.admin("faults", method="DELETE")

    settings = settings_for(server, tmp_path, objects="contacts,companies")
    report = run_sync(settings, mode="full")

    assert not any(path.exists() for path in left)
    assert [p.name for p in normalize.iterdir() if p.is_dir()] == ["extracted"]
    assert report.row_counts["contacts"] > 0
    assert_table_matches_truth(settings, server, "contacts")
    assert_table_matches_truth(settings, server, "companies")


def test_a_completed_extraction_left_unloaded_is_kept_and_loaded_by_the_next_run(sandbox, tmp_path):
    settings = settings_for(sandbox, tmp_path, objects="contacts")
    run_sync(settings, mode="incremental", resources=["contacts"])
    # What a run killed right after its extraction leaves: a complete package waiting in `normalize/extracted/`.
    pipeline = make_pipeline(settings)
    source = prepare(settings, mode="full").source().with_resources("contacts")
    [load_id] = pipeline.extract(source, loader_file_format=LOADER_FILE_FORMAT).loads_ids
    normalize = Path(pipeline.working_dir) / "normalize"
    assert (normalize / "extracted" / load_id).is_dir()

    run_sync(settings, mode="incremental", resources=["contacts"])

    assert query(settings, "SELECT count(*) FROM hubspot_raw._dlt_loads WHERE load_id = ?", load_id)[0][0] == 1
    assert_table_matches_truth(settings, sandbox, "contacts")
