"""One warehouse writer at a time, however a run is launched: every op that writes `hubspot_raw` runs in the pool
`hubspot_warehouse`, and the instance of `make dev` (dagster.yaml) limits that pool to one slot."""

from __future__ import annotations

import shutil
import subprocess

import dagster as dg

from hubspot_assets.defs.jobs import WAREHOUSE_POOL
from tests.defs.dagster_runs import ROOT, load_definitions


def test_the_dagster_yaml_of_make_dev_gives_the_warehouse_pool_one_slot(tmp_path):
    shutil.copyfile(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
        storage = instance.event_log_storage
        # What a run's step does when it starts: the pool gets the instance default, then the step claims a slot.
        storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)
        assert storage.get_concurrency_info(WAREHOUSE_POOL).slot_count == 1
        first = storage.claim_concurrency_slot(WAREHOUSE_POOL, "run-a", "hubspot_raw_sync")
        second = storage.claim_concurrency_slot(WAREHOUSE_POOL, "run-b", "hubspot_raw_sync")
        assert first.is_claimed and not second.is_claimed  # the second writer waits for the first
        storage.free_concurrency_slot_for_step("run-a", "hubspot_raw_sync")
        assert storage.claim_concurrency_slot(WAREHOUSE_POOL, "run-b", "hubspot_raw_sync").is_claimed


def test_every_op_that_materializes_a_hubspot_raw_asset_runs_in_the_warehouse_pool():
    definitions = load_definitions()
    ops = [a for a in definitions.assets if isinstance(a, dg.AssetsDefinition)]  # not the webhook queue's AssetSpec
    writers = [a for a in ops if any(key.path[0] == "hubspot_raw" for key in a.keys)]
    assert writers and {a.op.pool for a in writers} == {WAREHOUSE_POOL}
    # Serializing needs no run tag: jobs and "Materialize all" run the same op.
    for job in definitions.resolve_all_job_defs():
        assert "hubspot/warehouse" not in job.tags, job.name


def test_make_dev_runs_dagster_on_an_instance_configured_by_the_dagster_yaml():
    dry_run = subprocess.run(["make", "-n", "dev"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "cp dagster.yaml .dagster_home/dagster.yaml" in dry_run
    assert f'DAGSTER_HOME="{ROOT}/.dagster_home"' in dry_run and "dagster dev -w workspace.yaml" in dry_run
