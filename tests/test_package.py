"""The package installs, its command runs, and the Dagster code location loads."""

import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
from click.testing import CliRunner


def test_definitions_load_as_a_code_location():
    from hubspot_assets.definitions import defs

    assert isinstance(defs, dg.Definitions)
    # Resolving the repository fails on a broken asset graph or a bad import, as `dagster dev` would.
    defs.get_repository_def()


def _listed_commands(help_text: str) -> set[str]:
    """The command names of a click `--help` page (the first word of each line under "Commands:")."""
    _, _, listing = help_text.partition("\nCommands:\n")
    # A command's line starts with two spaces and its name; a wrapped description is indented further.
    return {line.split()[0] for line in listing.splitlines() if line.startswith("  ") and line[2:3].strip()}


def test_the_installed_command_lists_its_commands_and_each_lists_its_own():
    command = shutil.which("hubspot-elt", path=str(Path(sys.executable).parent))
    assert command is not None, "pip install did not put the hubspot-elt command next to this Python"
    out = subprocess.run([command, "--help"], capture_output=True, text=True, check=True, timeout=60).stdout
    assert {"auth", "sandbox", "sync"} <= _listed_commands(out)

    from hubspot_assets.cli import main

    def help_of(*names: str) -> str:
        result = CliRunner().invoke(main, [*names, "--help"])
        assert result.exit_code == 0, result.output
        return result.output

    assert {"login", "status", "logout"} <= _listed_commands(help_of("auth"))
    assert "serve" in _listed_commands(help_of("sandbox"))
    assert {"--full", "--reconcile", "--objects", "--warehouse"} <= set(help_of("sync").split())


def test_env_example_lists_every_setting():
    from hubspot_assets.settings import Settings

    text = (Path(__file__).resolve().parents[1] / ".env.example").read_text(encoding="utf-8")
    missing = [name for name in Settings.model_fields if f"HUBSPOT_{name.upper()}=" not in text]
    assert missing == []
