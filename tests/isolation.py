"""Keeping the test suite out of the working tree: `isolate` (the conftest's autouse fixtures call it) and
`working_tree_files` (what the end-of-run check compares)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# What a run may leave in the working tree besides the virtualenv: the install's metadata and Python's caches.
EXPECTED_LEFTOVERS = (".egg-info/", "__pycache__/", ".pytest_cache/")


def isolate(patch: pytest.MonkeyPatch, folder: Path) -> None:
    """Run from `folder`, with every `HUBSPOT_*` variable of the developer's environment dropped and every path
    setting that defaults into `data/` pointed into `folder/data`.

    The current directory matters twice: pydantic-settings reads `.env` from it (so a developer's own `.env` in the
    repo root stays out of the tests), and relative defaults resolve from it (so a `ClientSettings()` built without
    a `state_dir` keeps its rate-limit files in `folder/data/state`). Subprocesses the tests start inherit both the
    folder and the variables. The snapshot defaults to the warehouse's folder, so it follows the warehouse.
    dlt also looks for the project's `.dlt/` (config.toml) in the current directory: `DLT_PROJECT_DIR` keeps it
    on the repo's, so tests run with the project's dlt configuration as `make dev` and `make demo` do.
    """
    for name in [name for name in os.environ if name.startswith("HUBSPOT_")]:
        patch.delenv(name)
    data = folder / "data"
    patch.setenv("HUBSPOT_STATE_DIR", str(data / "state"))
    patch.setenv("HUBSPOT_TOKEN_STORE_PATH", str(data / "oauth_tokens.enc"))
    patch.setenv("HUBSPOT_WAREHOUSE_PATH", str(data / "warehouse.duckdb"))
    patch.setenv("HUBSPOT_QUEUE_URL", f"sqlite:///{data / 'webhook_queue.sqlite'}")
    patch.setenv("DLT_PROJECT_DIR", str(REPO))
    patch.chdir(folder)


def working_tree_files(root: Path = REPO) -> set[str] | None:
    """Untracked and ignored files under `root` (relative paths), leaving out `.venv/` and the expected leftovers;
    None when `root` is not in a git clone (or git is missing)."""
    try:
        listed = subprocess.run(
            ["git", "status", "--porcelain", "--ignored", "--untracked-files=all", "-z", "--", ".",
             ":(exclude).venv"],
            cwd=root, capture_output=True, text=True, timeout=60, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    paths = {entry[3:] for entry in listed.split("\0") if entry[:2] in ("??", "!!")}
    return {path for path in paths if not any(part in f"/{path}" for part in EXPECTED_LEFTOVERS)}
