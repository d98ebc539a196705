"""The suite writes nothing into the working tree and reads nothing of a developer's own settings
(tests/isolation.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hubspot_assets.hubspot.client import HubSpotClient
from hubspot_assets.hubspot.settings import ClientSettings
from hubspot_assets.settings import load_settings
from tests.isolation import REPO, working_tree_files


def test_a_test_runs_from_an_empty_folder_of_its_own_outside_the_repo(work_folder):
    assert Path.cwd() == work_folder and list(work_folder.iterdir()) == []
    assert REPO not in work_folder.parents and work_folder != REPO


def test_every_path_setting_points_into_the_test_folder(work_folder):
    settings = load_settings()
    paths = {
        "state_dir": settings.absolute(settings.state_dir),
        "token_store_path": settings.absolute(settings.token_store_path),
        "warehouse_path": settings.absolute(settings.warehouse_path),
        "queue": Path(settings.queue_url.removeprefix("sqlite:///")),
    }
    assert {name: work_folder in path.parents for name, path in paths.items()} == dict.fromkeys(paths, True)


def test_settings_come_from_the_current_folders_env_file_not_the_repos(work_folder):
    # pydantic-settings reads `.env` from the current directory, which is the test's folder and not the repo root:
    # a developer's own `.env` next to the Makefile is never read.
    assert load_settings().tier == "pro"
    (work_folder / ".env").write_text("HUBSPOT_TIER=free\n", encoding="utf-8")
    assert load_settings().tier == "free"


def test_the_developers_own_hubspot_variables_are_dropped():
    assert sorted(n for n in os.environ if n.startswith("HUBSPOT_")) == [
        "HUBSPOT_QUEUE_URL", "HUBSPOT_STATE_DIR", "HUBSPOT_TOKEN_STORE_PATH", "HUBSPOT_WAREHOUSE_PATH"
    ]


def test_dlt_reads_the_projects_own_dlt_folder_not_the_test_folders():
    import dlt

    assert Path(dlt.current.run_context().settings_dir) == REPO / ".dlt"


def test_client_settings_built_without_a_state_dir_keep_their_rate_limit_state_in_the_test_folder(
    sandbox, work_folder
):
    # A plain ClientSettings reads no environment: its default `data/state` resolves from the current directory.
    settings = ClientSettings(base_url=sandbox.url, access_token=sandbox.token, tier="pro")
    with HubSpotClient.from_settings(settings) as client:
        assert next(iter(client.owners(page_size=1)))["id"]
    assert any((work_folder / "data" / "state").iterdir())


def test_a_subprocess_runs_from_the_test_folder_with_the_same_settings(work_folder):
    code = (
        "import json, os\n"
        "from hubspot_assets.settings import load_settings\n"
        "s = load_settings()\n"
        "print(json.dumps({'cwd': os.getcwd(), 'state_dir': str(s.absolute(s.state_dir))}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    seen = json.loads(done.stdout)
    assert Path(seen["cwd"]) == work_folder and Path(seen["state_dir"]) == work_folder / "data" / "state"


def test_the_end_of_run_check_names_new_files_but_not_the_virtualenv_or_caches(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("data/\n__pycache__/\n.venv/\n*.egg-info/\n", encoding="utf-8")
    before = working_tree_files(tmp_path)
    for path in ("data/state/ratelimit-1.sqlite", "pkg/__pycache__/m.pyc", ".venv/bin/python",
                 "x.egg-info/PKG-INFO", ".pytest_cache/v/cache", "stray.txt"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("", encoding="utf-8")
    assert working_tree_files(tmp_path) - before == {"data/state/ratelimit-1.sqlite", "stray.txt"}


def test_the_end_of_run_check_is_off_outside_a_git_clone(tmp_path):
    assert working_tree_files(tmp_path) is None
