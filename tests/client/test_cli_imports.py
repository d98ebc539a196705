"""`hubspot-elt --help` lists every command without loading the sandbox: the HubSpot emulator is imported only
when `hubspot-elt sandbox` runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# Runs the command in a fresh interpreter and reports its output, exit code and whether any sandbox module loaded.
PROBE = """
import json, sys
from click.testing import CliRunner
from hubspot_assets.cli import main
result = CliRunner().invoke(main, sys.argv[1:])
loaded = sorted(m for m in sys.modules if m == "hubspot_assets.sandbox" or m.startswith("hubspot_assets.sandbox."))
print(json.dumps({"output": result.output, "exit_code": result.exit_code, "sandbox_modules": loaded}))
"""


def run_cli(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[2])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _listed_commands(help_text: str) -> set[str]:
    section = help_text.split("Commands:", 1)[1]
    return {line.split()[0] for line in section.splitlines() if line.startswith("  ") and line.split()}


def test_help_lists_every_command_without_importing_the_sandbox():
    result = run_cli("--help")
    assert result["exit_code"] == 0, result["output"]
    assert _listed_commands(result["output"]) == {"auth", "models", "sandbox", "sync", "webhooks"}
    assert "The local HubSpot emulator" in result["output"]
    assert result["sandbox_modules"] == []


def test_auth_help_lists_its_commands_without_importing_the_sandbox():
    result = run_cli("auth", "--help")
    assert result["exit_code"] == 0, result["output"]
    assert _listed_commands(result["output"]) == {"login", "status", "logout"}
    assert result["sandbox_modules"] == []


def test_the_sandbox_command_loads_its_group_when_invoked():
    result = run_cli("sandbox", "--help")
    assert result["exit_code"] == 0, result["output"]
    assert "serve" in _listed_commands(result["output"])
    assert "hubspot_assets.sandbox.cli" in result["sandbox_modules"]
