"""Helpers shared by C2's client-surface tests: a `HubSpotClient` pointed at a sandbox, and the sandbox's
admin answers (ground truth per object type, request statistics)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from hubspot_assets.hubspot.client import HubSpotClient
from hubspot_assets.settings import Settings


def make_client(sandbox: Any, tmp_path: Path, **overrides: Any) -> HubSpotClient:
    """A client for `sandbox` with a private-app token, fast retries and rate-limit state under `tmp_path`."""
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
    return HubSpotClient(Settings(_env_file=None, **values), **knobs)


def truth(sandbox: Any, object_type: str) -> list[dict[str, Any]]:
    """Every record the sandbox holds of a type: `[{"id", "updatedAt", "archived"}]`, ascending by id."""
    answer = requests.get(f"{sandbox.url}/_sandbox/truth/{object_type}", timeout=60)
    answer.raise_for_status()
    return answer.json()["results"]


def live_ids(sandbox: Any, object_type: str) -> list[str]:
    return [str(r["id"]) for r in truth(sandbox, object_type) if not r["archived"]]


def archived_ids(sandbox: Any, object_type: str) -> list[str]:
    return [str(r["id"]) for r in truth(sandbox, object_type) if r["archived"]]


def request_stats(sandbox: Any) -> dict[str, Any]:
    answer = requests.get(f"{sandbox.url}/_sandbox/stats", timeout=30)
    answer.raise_for_status()
    return answer.json()["requests"]


def reset_stats(sandbox: Any) -> None:
    requests.post(f"{sandbox.url}/_sandbox/stats/reset", timeout=30).raise_for_status()


def by_endpoint(stats: dict[str, Any], endpoint: str) -> int:
    return int(stats.get("by_endpoint", {}).get(endpoint, 0))


def flatten(pages: Any) -> list[dict[str, Any]]:
    return [record for page in pages for record in page]
