"""`hubspot-elt webhooks serve` and its settings: the command is listed but loaded only when run, and the
receiver it starts follows the HUBSPOT_WEBHOOK_* and HUBSPOT_QUEUE_URL settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hubspot_assets.cli import main
from hubspot_assets.settings import load_settings
from hubspot_assets.webhooks.cli import READY_PREFIX
from hubspot_assets.webhooks.queue import WebhookQueue
from tests.webhooks.conftest import crm_event, deliver


def test_webhooks_is_listed_and_loaded_only_when_run() -> None:
    listing = CliRunner().invoke(main, ["--help"]).output
    assert "webhooks" in listing
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, hubspot_assets.cli; print('hubspot_assets.webhooks' in sys.modules)"],
        capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    assert loaded == "False"
    serve_help = CliRunner().invoke(main, ["webhooks", "serve", "--help"])
    assert serve_help.exit_code == 0 and {"--host", "--port", "--path"} <= set(serve_help.output.split())


def test_signing_secrets_are_the_client_secret_then_the_rotation_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBSPOT_CLIENT_SECRET", "current")
    monkeypatch.setenv("HUBSPOT_WEBHOOK_SECRETS", "next, previous,current")
    settings = load_settings()
    assert settings.webhook_signing_secrets() == ["current", "next", "previous"]
    assert "previous" not in repr(settings)


def test_a_queue_url_of_another_kind_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="HUBSPOT_QUEUE_URL"):
        WebhookQueue("mysql://queue.example.com/hubspot")


def test_serve_follows_the_webhook_settings(work_folder: Path) -> None:
    env = dict(os.environ, HUBSPOT_CLIENT_SECRET="current", HUBSPOT_WEBHOOK_SECRETS="previous",
               HUBSPOT_WEBHOOK_PATH="/hooks/hubspot", HUBSPOT_WEBHOOK_PUBLIC_URL="https://hooks.example.com",
               HUBSPOT_QUEUE_URL="sqlite:///data/queue-from-settings.sqlite")  # relative: to where it runs
    process = subprocess.Popen([sys.executable, "-m", "hubspot_assets.cli", "webhooks", "serve", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        url = process.stdout.readline().removeprefix(READY_PREFIX).strip()
        assert url.endswith("/hooks/hubspot")
        signed = "https://hooks.example.com/hooks/hubspot"
        assert deliver(url, [crm_event()], secret="previous", signed_url=signed).status_code == 204
        assert deliver(url, [crm_event()], secret="current", signed_url=url).status_code == 401
    finally:
        process.terminate()
        process.wait(10)
    queue = WebhookQueue(f"sqlite:///{work_folder / 'data' / 'queue-from-settings.sqlite'}")
    assert queue.depth()["pending"] == 1
    queue.close()


def test_serve_without_a_client_secret_says_what_to_set() -> None:
    result = CliRunner().invoke(main, ["webhooks", "serve", "--port", "0"])
    assert result.exit_code == 1 and "HUBSPOT_CLIENT_SECRET" in result.output
