"""The package installs, its command runs, and the Dagster code location loads."""

import subprocess
import sys

import dagster as dg


def test_definitions_load_as_a_code_location():
    from hubspot_assets.definitions import defs

    assert isinstance(defs, dg.Definitions)
    # Resolving the repository fails on a broken asset graph or a bad import, as `dagster dev` would.
    defs.get_repository_def()


def test_cli_lists_its_command_groups():
    out = subprocess.run(
        [sys.executable, "-m", "hubspot_assets.cli", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "sandbox" in out


def test_env_example_lists_every_setting():
    from pathlib import Path

    from hubspot_assets.settings import Settings

    text = (Path(__file__).resolve().parents[1] / ".env.example").read_text(encoding="utf-8")
    missing = [name for name in Settings.model_fields if f"HUBSPOT_{name.upper()}=" not in text]
    assert missing == []
