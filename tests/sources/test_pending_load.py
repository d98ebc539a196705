"""A run killed during its load step leaves a dlt package behind; the next run loads it and then does its own work."""

from __future__ import annotations

from hubspot_assets.sources.pipeline import LOADER_FILE_FORMAT, prepare, run_sync
from hubspot_assets.sources.warehouse import make_pipeline
from tests.sources.support import assert_table_matches_truth, query, settings_for


def test_run_after_a_crash_during_load_finishes_the_pending_package_then_extracts_its_own_changes(
    sandbox_factory, tmp_path
):
    server = sandbox_factory()
    settings = settings_for(server, tmp_path, objects="contacts")
    run_sync(settings, mode="incremental", resources=["contacts"])
    server.admin("mutate", json={"random": {"updates": 5, "object_types": ["contacts"]}, "seed": 10})
    # What a run killed between normalize and load leaves: a normalized package, nothing in the warehouse.
    pipeline = make_pipeline(settings)
    source = prepare(settings, mode="incremental").source(settings).with_resources("contacts")
    pipeline.extract(source, loader_file_format=LOADER_FILE_FORMAT)
    pipeline.normalize()
    assert pipeline.has_pending_data
    changed = server.admin("mutate", json={"random": {"updates": 5, "object_types": ["contacts"]}, "seed": 11})
    assert changed["updated"]["contacts"]
    recent = [int(i) for i in changed["updated"]["contacts"]]

    report = run_sync(settings, mode="incremental", resources=["contacts"])

    assert report.row_counts.get("contacts", 0) >= 5, "the run extracted and loaded its own changes"
    assert report.snapshot is not None and report.snapshot.exists()
    assert_table_matches_truth(settings, server, "contacts", live_only=True)
    assert {r[0] for r in query(settings, "SELECT id FROM hubspot_raw.contacts")} >= set(recent)
    assert not make_pipeline(settings).has_pending_data
    assert query(settings, "SELECT count(*) - count(DISTINCT id) FROM hubspot_raw.contacts")[0][0] == 0
