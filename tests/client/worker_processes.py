"""Client processes that share one HubSpot app: N requests on one rate budget from several threads, or threads
asking a shared OAuth token store for a token. Each prints its metrics as JSON on its last line.

`run_workers` starts them as `python -m tests.client.worker_processes` with the job (and its secrets) on stdin,
never on the command line where the process list would show them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from hubspot_assets.hubspot.settings import ClientSettings


def run_workers(sandbox: Any, tmp_path: Path, *, processes: int, requests_each: int, threads: int = 4,
                budget: str = "general", tier: str | None = None, extra: dict | None = None) -> list[dict]:
    """Run `processes` client processes sharing one app's credentials and state dir; their metrics snapshots."""
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
    procs = []
    for _ in range(processes):
        err = tempfile.TemporaryFile(mode="w+")
        proc = subprocess.Popen([sys.executable, "-m", "tests.client.worker_processes"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=err, text=True, cwd=Path(__file__).parents[2])
        procs.append((proc, err))
    for proc, _ in procs:
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(job))
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


def _budget_worker(job: dict) -> None:
    """One client process: N requests on one budget from several threads."""
    from hubspot_assets.hubspot.transport import Budget, Transport

    settings = ClientSettings(
        base_url=job["base_url"], access_token=job["access_token"], state_dir=job["state_dir"],
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
    with ThreadPoolExecutor(job["threads"]) as pool:
        list(pool.map(call, range(job["requests"])))
    snapshot = transport.metrics.snapshot()
    snapshot["by_status"] = {str(k): v for k, v in snapshot["by_status"].items()}
    print(json.dumps(snapshot))


def _oauth_worker(job: dict) -> None:
    """Threads of one process asking the shared OAuth store for a token, then calling the API with it."""
    from hubspot_assets.hubspot.auth import OAuthTokenProvider
    from hubspot_assets.hubspot.transport import Transport

    settings = ClientSettings(**job["settings"])
    provider = OAuthTokenProvider(settings)
    transport = Transport(settings, token_provider=provider)
    with ThreadPoolExecutor(job["threads"]) as pool:
        tokens = list(pool.map(lambda _: provider.access_token(), range(job["threads"])))
        list(pool.map(lambda _: transport.request("GET", "/crm/v3/objects/contacts", params={"limit": 1}),
                      range(job["threads"])))
    print(json.dumps({"refreshes": provider.refresh_count, "distinct_tokens": len(set(tokens)),
                      "failures": transport.metrics.snapshot()["failures"]}))


if __name__ == "__main__":
    work = json.loads(sys.stdin.read())
    (_oauth_worker if work.get("mode") == "oauth_refresh" else _budget_worker)(work)
