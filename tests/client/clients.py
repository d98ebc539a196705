"""Clients for the tests: `ClientSettings` and a `HubSpotClient` pointed at a sandbox, with fast retries and every
file (rate-limit state, token store) under the test's `tmp_path`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hubspot_assets.hubspot.client import HubSpotClient
from hubspot_assets.hubspot.settings import ClientSettings

TOKEN_KEY = "test-token-key-6f1b2c3d4e5f"


def client_settings(sandbox: Any, tmp_path: Path, *, oauth: bool = False, **overrides: Any) -> ClientSettings:
    """Settings for a client talking to `sandbox`: its private-app token, or with `oauth` its OAuth app (the
    token store under `tmp_path`, encrypted with `TOKEN_KEY`)."""
    config = sandbox.config
    values: dict[str, Any] = {
        "base_url": sandbox.url,
        "tier": config.tier,
        "state_dir": tmp_path / "state",
        "token_store_path": tmp_path / "tokens.enc",
        "token_key": TOKEN_KEY,
        "client_id": config.client_id,
        "client_secret": config.client_secret,
        "retry_backoff_base_s": 0.01,
        "retry_backoff_max_s": 0.05,
        "read_timeout_s": 10.0,
    }
    if not oauth:
        values["access_token"] = config.access_token
    values.update(overrides)
    return ClientSettings(**values)


def make_client(sandbox: Any, tmp_path: Path, **overrides: Any) -> HubSpotClient:
    """A client for `sandbox` with only its private-app token (no OAuth app); `max_url_length` and `search_cap` go
    to the client, the other overrides to its settings."""
    config = sandbox.config
    values: dict[str, Any] = {
        "base_url": sandbox.url,
        "access_token": config.access_token,
        "tier": config.tier,
        "state_dir": tmp_path / "state",
        "token_store_path": tmp_path / "tokens.enc",
        "retry_backoff_base_s": 0.01,
        "retry_backoff_max_s": 0.05,
        "read_timeout_s": 30.0,
    }
    knobs = {k: overrides.pop(k) for k in ("max_url_length", "search_cap") if k in overrides}
    values.update(overrides)
    return HubSpotClient(ClientSettings(**values), **knobs)


def flatten(pages: Any) -> list[dict[str, Any]]:
    """The records of every page, in order."""
    return [record for page in pages for record in page]


def point_cli_at(sandbox: Any, tmp_path: Path, monkeypatch: Any) -> ClientSettings:
    """`hubspot-elt auth` pointed at the sandbox's OAuth app, its token store under `tmp_path`; the same settings
    for the test's own calls."""
    for name, value in {
        "HUBSPOT_BASE_URL": sandbox.url, "HUBSPOT_CLIENT_ID": sandbox.config.client_id,
        "HUBSPOT_CLIENT_SECRET": sandbox.config.client_secret, "HUBSPOT_TOKEN_KEY": TOKEN_KEY,
        "HUBSPOT_TOKEN_STORE_PATH": str(tmp_path / "tokens.enc"), "HUBSPOT_STATE_DIR": str(tmp_path / "state"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    return client_settings(sandbox, tmp_path, oauth=True)
