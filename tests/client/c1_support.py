"""Helpers shared by C1's client tests: sandbox admin calls and client settings pointing at a sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from hubspot_assets.settings import Settings

TOKEN_KEY = "test-token-key-6f1b2c3d4e5f"


def admin_post(sandbox: Any, path: str, body: dict | None = None) -> dict:
    response = requests.post(f"{sandbox.url}/_sandbox/{path}", json=body or {}, timeout=10)
    response.raise_for_status()
    return response.json() if response.content else {}


def force_fault(sandbox: Any, kind: str, count: int = 1, arg: float | None = None, path: str | None = None) -> None:
    """Make the next `count` requests (matching `path`) fail as `kind` (sandbox fault injection)."""
    force: dict[str, Any] = {"kind": kind, "count": count}
    if arg is not None:
        force["arg"] = arg
    if path is not None:
        force["path"] = path
    admin_post(sandbox, "faults", {"force": force})


def clear_faults(sandbox: Any) -> None:
    """Drop every fault rule and forced fault."""
    requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=10).raise_for_status()


def set_platform(sandbox: Any, **changes: Any) -> dict:
    """Change the sandbox's run-time knobs (tier, rate_window_s, daily_limit, latency_ms, reset_limits)."""
    return admin_post(sandbox, "platform", changes)


def request_stats(sandbox: Any) -> dict:
    response = requests.get(f"{sandbox.url}/_sandbox/stats", timeout=10)
    response.raise_for_status()
    return response.json()["requests"]


def own_total(stats: dict) -> int:
    """Requests counted since the reset, less those slowed by an earlier test's `slow` fault: on the shared
    session sandbox such a request can finish (and be counted) after the next test reset the statistics."""
    return int(stats["total"]) - int(stats.get("faults", {}).get("slow", 0))


def reset_stats(sandbox: Any) -> None:
    admin_post(sandbox, "stats/reset")


def endpoint_count(stats: dict, endpoint: str) -> int:
    return int(stats.get("by_endpoint", {}).get(endpoint, 0))


def client_settings(sandbox: Any, tmp_path: Path, *, oauth: bool = False, **overrides: Any) -> Settings:
    """Settings for a client talking to `sandbox`, with fast retries and state under `tmp_path`."""
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
    return Settings(_env_file=None, **values)


def run_workers(sandbox: Any, tmp_path: Path, *, processes: int, requests_each: int, threads: int = 4,
                budget: str = "general", tier: str | None = None, extra: dict | None = None) -> list[dict]:
    """Run `processes` client processes sharing one app's credentials and state dir; their metrics snapshots."""
    import json
    import subprocess
    import sys

    job = {
        "base_url": sandbox.url,
        "access_token": sandbox.config.access_token,
        "state_dir": str(tmp_path / "state"),
        "tier": tier or sandbox.config.tier,
        "requests": requests_each,
        "threads": threads,
        "budget": budget,
        **(extra or {}),
    }
    import tempfile

    procs = []
    for _ in range(processes):
        err = tempfile.TemporaryFile(mode="w+")
        proc = subprocess.Popen([sys.executable, "-m", "tests.client.c1_support"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=err, text=True, cwd=Path(__file__).parents[2])
        procs.append((proc, err))
    for proc, _ in procs:
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(job))  # secrets on stdin, never in the process list
        proc.stdin.close()
    results = []
    for proc, err in procs:
        assert proc.stdout is not None
        out = proc.stdout.read()
        proc.wait(timeout=120)
        err.seek(0)
        assert proc.returncode == 0, err.read()[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def _worker_main() -> None:
    """One client process: N requests on one budget from several threads; prints its metrics as JSON."""
    import json
    import sys
    import time
    from concurrent.futures import ThreadPoolExecutor

    from hubspot_assets.hubspot.transport import Budget, Transport

    job = json.loads(sys.stdin.read())
    if job.get("mode") == "oauth_refresh":
        _oauth_worker(job)
        return
    settings = Settings(
        _env_file=None, base_url=job["base_url"], access_token=job["access_token"], state_dir=job["state_dir"],
        tier=job["tier"], retry_backoff_base_s=0.05, **job.get("settings", {}),
    )
    budget = Budget(job["budget"])
    transport = Transport(settings)
    if budget is Budget.SEARCH:
        def call(_: int) -> None:
            transport.request("POST", "/crm/v3/objects/contacts/search", json={"limit": 1}, budget=budget)
    else:
        def call(_: int) -> None:
            transport.request("GET", "/crm/v3/objects/contacts", params={"limit": 1}, budget=budget)
    started = time.monotonic()
    with ThreadPoolExecutor(job["threads"]) as pool:
        list(pool.map(call, range(job["requests"])))
    snapshot = transport.metrics.snapshot()
    snapshot["elapsed_s"] = time.monotonic() - started
    snapshot["by_status"] = {str(k): v for k, v in snapshot["by_status"].items()}
    print(json.dumps(snapshot))


def _oauth_worker(job: dict) -> None:
    """Threads of one process asking the shared OAuth store for a token, then calling the API with it."""
    import json
    from concurrent.futures import ThreadPoolExecutor

    from hubspot_assets.hubspot.auth import OAuthTokenProvider
    from hubspot_assets.hubspot.transport import Transport

    settings = Settings(_env_file=None, **job["settings"])
    provider = OAuthTokenProvider(settings)
    transport = Transport(settings, token_provider=provider)
    with ThreadPoolExecutor(job["threads"]) as pool:
        tokens = list(pool.map(lambda _: provider.access_token(), range(job["threads"])))
        list(pool.map(lambda _: transport.request("GET", "/crm/v3/objects/contacts", params={"limit": 1}),
                      range(job["threads"])))
    print(json.dumps({"refreshes": provider.refresh_count, "distinct_tokens": len(set(tokens)),
                      "failures": transport.metrics.snapshot()["failures"]}))


if __name__ == "__main__":
    _worker_main()
