"""dlt's settings for the `hubspot` pipeline come from the project's `.dlt/config.toml`, not from process-wide
`dlt.config` set per call; a run that does not find them stops at once with what to do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dlt
import pytest

from hubspot_assets.sources.pipeline import LOADER_FILE_FORMAT, sync_session
from hubspot_assets.sources.warehouse import DltSettingsError, extract_pool, require_extract_pool
from tests.sources.sandbox_warehouse import settings_for

ROOT = Path(__file__).resolve().parents[2]


def test_a_run_takes_its_pools_and_telemetry_off_from_the_project_config_and_leaves_dlt_config_alone(
    sandbox, tmp_path
):
    settings = settings_for(sandbox, tmp_path, objects="contacts")
    with sync_session(settings, mode="incremental", snapshot=False) as session:
        session.pipeline.run(session.source.with_resources("contacts"), loader_file_format=LOADER_FILE_FORMAT)
    resolved = {
        (value.key, value.sections[-1] if value.sections else ""): (value.value, value.provider_name)
        for value in session.pipeline.last_trace.resolved_config_values
    }
    assert resolved[("workers", "extract")] == (48, "config.toml")
    assert resolved[("max_parallel_items", "extract")] == (96, "config.toml")
    assert resolved[("workers", "load")] == (1, "config.toml")
    assert dlt.current.run_context().runtime_config.dlthub_telemetry is False  # what started (or not) telemetry
    # Nothing was set for every pipeline of the process: the unscoped keys are still unset.
    assert dlt.config.get("extract.workers") is None
    assert dlt.config.get("load.workers") is None


def test_the_project_pools_apply_to_the_hubspot_pipeline_only():
    from dlt.common.configuration import inject_section, resolve_configuration
    from dlt.common.configuration.specs import ConfigSectionContext
    from dlt.extract.pipe_iterator import PipeIterator

    assert extract_pool() == (48, 96)
    with inject_section(ConfigSectionContext(pipeline_name="another_pipeline", sections=("extract",))):
        other = resolve_configuration(PipeIterator.PipeIteratorConfiguration())
    assert (other.workers, other.max_parallel_items) != (48, 96)  # dlt's defaults for any other pipeline


def _make_pipeline_in(cwd: Path, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    code = (
        "from hubspot_assets.settings import Settings\n"
        "from hubspot_assets.sources.warehouse import make_pipeline\n"
        f"pipeline = make_pipeline(Settings(warehouse_path={str(tmp_path / 'w.duckdb')!r}))\n"
        "print('made', pipeline.pipeline_name)\n"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DLT_", "HUBSPOT__", "EXTRACT__"))}
    environment.update(PYTHONPATH=str(ROOT), HOME=str(tmp_path / "home"), **env)
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=environment, capture_output=True, text=True,
                          timeout=120)


def test_a_run_outside_the_project_folder_stops_at_once_saying_to_set_dlt_project_dir(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    done = _make_pipeline_in(elsewhere, tmp_path)

    assert done.returncode != 0
    assert "DltSettingsError" in done.stderr
    assert "set DLT_PROJECT_DIR" in done.stderr
    assert f"found no {elsewhere.resolve() / '.dlt' / 'config.toml'}" in done.stderr  # where dlt looked
    assert not (tmp_path / ".dlt").exists()  # it stopped before dlt wrote anything


def test_dlt_project_dir_lets_a_run_start_from_any_folder(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    done = _make_pipeline_in(elsewhere, tmp_path, DLT_PROJECT_DIR=str(ROOT))

    assert done.returncode == 0, done.stderr[-2000:]
    assert "made hubspot" in done.stdout


def test_a_source_with_more_resources_than_extract_threads_stops_before_extracting():
    require_extract_pool(48)  # the project's pool holds 48 resources

    with pytest.raises(DltSettingsError, match=r"needs 49 extract threads .* gives it 48") as raised:
        require_extract_pool(49)

    assert "raise [hubspot.extract] workers and max_parallel_items to at least 49" in str(raised.value)
    assert str(ROOT / ".dlt" / "config.toml") in str(raised.value)

