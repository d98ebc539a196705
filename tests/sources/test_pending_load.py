"""A run killed during its load step leaves a dlt package behind; the next run loads it and then does its own work."""

from __future__ import annotations

from hubspot_assets.sources.pipeline import LOADER_FILE_FORMAT, prepare, run_sync
from hubspot_assets.sources.warehouse import make_pipeline
from tests.sources.sandbox_warehouse import assert_table_matches_truth, query, settings_for


def test_run_after_a_crash_during_load_finishes_the_pending_package_then_extracts_its_own_changes(
    sandbox_factory, tmp_path
):
    server = sandbox_factory()
    settings = settings_for(server, tmp_path, objects="contacts")
    run_sync(settings, mode="incremental", resources=["contacts"])
    server.admin("mutate", json={"random": {"updates": 5, "object_types": ["contacts"]}, "seed": 10})
    # What a run killed between normalize and load leaves: a normalized package, nothing in the warehouse.
    pipeline = make_pipeline(settings)
    source = prepare(settings, mode="incremental").source().with_resources("contacts")
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


def test_a_load_out_of_warehouse_memory_says_what_to_set_and_the_next_run_loses_nothing(
    sandbox_factory, tmp_path, monkeypatch
):
    import pytest

    from hubspot_assets.sources.pipeline import WarehouseMemoryError, run_sync
    from tests.sources.sandbox_warehouse import assert_table_matches_truth, settings_for

    # dlt retries a failed load job (default 5 times, waiting 1 s between its load loop's rounds) before it raises;
    # the same out-of-memory error then reaches the run after the first try. What dlt leaves is the same package
    # either way, a retried job with its files, which the next run must load.
    monkeypatch.setenv("HUBSPOT__LOAD__RAISE_ON_MAX_RETRIES", "1")
    server = sandbox_factory()
    tight = settings_for(server, tmp_path, objects="contacts", warehouse_memory_limit="1MB")
    with pytest.raises(WarehouseMemoryError, match="HUBSPOT_WAREHOUSE_MEMORY_LIMIT=1MB"):
        run_sync(tight, mode="incremental", resources=["contacts"])
    settings = settings_for(server, tmp_path, objects="contacts")
    run_sync(settings, mode="incremental", resources=["contacts"])
    assert_table_matches_truth(settings, server, "contacts")


def test_a_mistyped_warehouse_memory_limit_names_the_setting(tmp_path):
    import pytest

    from hubspot_assets.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="HUBSPOT_WAREHOUSE_MEMORY_LIMIT must be a size"):
        load_settings(warehouse_memory_limit="lots")
