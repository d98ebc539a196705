"""Client throughput under HubSpot's rate limits: share of each budget used, and 429s, with 1 and 2 processes.

    .venv/bin/python bench/client_throughput.py [--windows 3] [--search-windows 20] [--threads 8] [--latency-ms 100]

Starts a sandbox at tier `pro` (190 requests per 10 s, search 5/s) with simulated latency, then runs client
processes that share one private app's credentials and rate-limit state (as Dagster's step processes would):
- general budget: `GET /crm/v3/objects/contacts` from `--threads` threads per process;
- search budget: `POST /crm/v3/objects/contacts/search` likewise.

Throughput is measured in steady state: with a sliding-window limit of L per window W, request i+L can go out no
sooner than request i + W, so the rate over m full budgets is m*L / (t[1+m*L] - t[1]) (completion times).
Share = that rate / (L / W). Goal: >= 95% of each budget, zero 429s (from the sandbox's own count).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GENERAL_LIMIT, GENERAL_WINDOW_S = 190, 10.0
SEARCH_LIMIT, SEARCH_WINDOW_S = 5, 1.0


def worker() -> None:
    """One client process: `count` requests on one budget from several threads; prints completion times."""
    from hubspot_assets.hubspot.transport import Budget, Transport
    from hubspot_assets.settings import Settings

    job = json.loads(sys.stdin.read())
    settings = Settings(_env_file=None, base_url=job["url"], access_token=job["token"], tier="pro",
                        state_dir=job["state_dir"])
    transport = Transport(settings)
    budget = Budget(job["budget"])
    done: list[float] = []

    def call(_: int) -> None:
        if budget is Budget.SEARCH:
            transport.request("POST", "/crm/v3/objects/contacts/search", json={"limit": 1}, budget=budget)
        else:
            transport.request("GET", "/crm/v3/objects/contacts", params={"limit": 1})
        done.append(time.time())

    with ThreadPoolExecutor(job["threads"]) as pool:
        list(pool.map(call, range(job["count"])))
    print(json.dumps({"done": done, "metrics": {k: v for k, v in transport.metrics.snapshot().items()
                                                  if k in ("rate_limited", "retries", "failures")}}))


def run_scenario(url: str, token: str, budget: str, processes: int, total: int, threads: int) -> dict:
    requests.post(f"{url}/_sandbox/platform", json={"reset_limits": True}, timeout=10).raise_for_status()
    requests.post(f"{url}/_sandbox/stats/reset", timeout=10).raise_for_status()
    state_dir = tempfile.mkdtemp(prefix="client-bench-")
    per_process = [total // processes + (1 if i < total % processes else 0) for i in range(processes)]
    procs = []
    for count in per_process:
        proc = subprocess.Popen([sys.executable, __file__, "--worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True, cwd=ROOT)
        procs.append(proc)
        proc.stdin.write(json.dumps({"url": url, "token": token, "state_dir": state_dir, "budget": budget,
                                     "count": count, "threads": threads}))
        proc.stdin.close()
    done: list[float] = []
    client_429 = 0
    for proc in procs:
        out = proc.stdout.read()
        proc.wait()
        if proc.returncode != 0:
            raise SystemExit(f"worker failed with {proc.returncode}")
        result = json.loads(out.strip().splitlines()[-1])
        done.extend(result["done"])
        client_429 += result["metrics"]["rate_limited"]
    stats = requests.get(f"{url}/_sandbox/stats", timeout=10).json()["requests"]
    done.sort()
    limit, window = (SEARCH_LIMIT, SEARCH_WINDOW_S) if budget == "search" else (GENERAL_LIMIT, GENERAL_WINDOW_S)
    m = (len(done) - 1) // limit
    rate = m * limit / (done[m * limit] - done[0])
    return {
        "budget": budget,
        "processes": processes,
        "requests": len(done),
        "rate_per_s": rate,
        "share": rate / (limit / window),
        "sandbox_429": stats.get("rate_limited", 0),
        "client_429": client_429,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--windows", type=int, default=3, help="full 10-second budgets to measure (general)")
    parser.add_argument("--search-windows", type=int, default=20, help="full 1-second budgets to measure (search)")
    parser.add_argument("--threads", type=int, default=8, help="client threads per process")
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--only", choices=["general", "search"], default=None)
    args = parser.parse_args()
    if args.worker:
        worker()
        return

    from hubspot_assets.sandbox.config import SandboxConfig
    from hubspot_assets.sandbox.server import SandboxServer

    config = SandboxConfig(tier="pro", latency_ms=args.latency_ms, scale="small")
    with SandboxServer(config) as sandbox:
        print(f"sandbox tier pro, latency {args.latency_ms:g} ms, {args.threads} threads per process")
        print(f"{'budget':<8} {'procs':>5} {'requests':>8} {'req/s':>8} {'limit/s':>8} {'share':>7} {'429s':>5}")
        budgets = [b for b in ("general", "search") if args.only in (None, b)]
        for budget in budgets:
            limit, window, windows = (
                (SEARCH_LIMIT, SEARCH_WINDOW_S, args.search_windows) if budget == "search"
                else (GENERAL_LIMIT, GENERAL_WINDOW_S, args.windows)
            )
            for processes in (1, 2):
                r = run_scenario(sandbox.url, config.access_token, budget, processes, 1 + windows * limit, args.threads)
                print(f"{budget:<8} {processes:>5} {r['requests']:>8} {r['rate_per_s']:>8.2f} {limit / window:>8.1f} "
                      f"{r['share']:>6.1%} {r['sandbox_429']:>5}", flush=True)


if __name__ == "__main__":
    main()
