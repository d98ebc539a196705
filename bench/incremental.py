"""Incremental sync benchmark: how many requests a run costs when nothing changed, and when 1% changed.

    .venv/bin/python bench/incremental.py [--scale small] [--tier unlimited] [--changed-share 0.01]

Loads a sandbox once (full sync), then runs an incremental sync with no change, then changes a share of the
records (updates spread over contacts, companies, deals and tickets, plus a few new messages) and runs again.
Prints requests per endpoint for each run and the goal check: a no-change run costs at most one search per object
type plus the metadata calls.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hubspot_assets.sandbox.config import SandboxConfig  # noqa: E402
from hubspot_assets.sandbox.server import SandboxServer  # noqa: E402
from hubspot_assets.settings import load_settings  # noqa: E402
from hubspot_assets.sources.pipeline import run_sync  # noqa: E402

METADATA = ("/schemas", "/properties/", "/owners", "/pipelines/", "/inboxes", "/channels", "/channel-accounts")


def run(server, settings, label: str) -> dict:
    server.admin("stats/reset", json={})
    started = time.monotonic()
    report = run_sync(settings, mode="incremental", snapshot=False)
    seconds = time.monotonic() - started
    by_endpoint = server.admin("stats")["requests"]["by_endpoint"]
    total = sum(by_endpoint.values())
    metadata = sum(n for e, n in by_endpoint.items() if any(m in e for m in METADATA))
    print(f"{label}: {total} requests in {seconds:.1f} s ({metadata} metadata), "
          f"{sum(report.row_counts.values()):,} rows")
    for endpoint, count in sorted(by_endpoint.items(), key=lambda kv: -kv[1]):
        print(f"    {count:6d}  {endpoint}")
    return {"total": total, "metadata": metadata, "by_endpoint": by_endpoint}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small")
    parser.add_argument("--tier", default="unlimited")
    parser.add_argument("--changed-share", type=float, default=0.01)
    args = parser.parse_args()
    server = SandboxServer(SandboxConfig(seed=42, scale=args.scale, tier=args.tier)).start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-incremental-") as tmp:
            settings = load_settings(
                base_url=server.url, access_token=server.token, tier=args.tier,
                warehouse_path=Path(tmp) / "warehouse.duckdb", state_dir=Path(tmp) / "state",
                token_store_path=Path(tmp) / "tokens.enc",
            )
            started = time.monotonic()
            first = run_sync(settings, mode="full", snapshot=False)
            print(f"initial full sync: {sum(first.row_counts.values()):,} rows in {time.monotonic() - started:.1f} s")
            types = server.admin("stats")["objects"]
            no_change = run(server, settings, "no-change incremental run")
            searches = no_change["by_endpoint"].get("POST /crm/v3/objects/{objectType}/search", 0)
            print(f"  goal (<= 1 search per object type + metadata): {searches} searches for {len(types)} types, "
                  f"{no_change['total'] - searches - no_change['metadata']} other requests")
            hubs = ("contacts", "companies", "deals", "tickets")
            updates = int(sum(types[t]["total"] for t in hubs) * args.changed_share)
            server.admin("mutate", json={"random": {"updates": updates, "object_types": list(hubs),
                                                    "messages": max(1, updates // 20)}, "seed": 3})
            run(server, settings, f"incremental run after {updates} updates ({args.changed_share:.0%} of hub records)")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
