"""Models benchmark: how long the SQL models of dbt_like_models/ take to build, from scratch and incrementally.

    .venv/bin/python bench/models.py [--scale medium] [--changed-share 0.01] [--changed-records 10]
                                     [--warehouse-dir DIR [--sync-only]]

Loads a sandbox into a temporary warehouse (full sync, tier unlimited, no latency), then times:
  1. every model built from scratch (`--full-refresh`);
  2. an incremental build after `--changed-share` of the hub records (contacts, companies, deals, tickets) changed
     and an incremental sync loaded them;
  3. the same after `--changed-records` records changed.
Prints each build's wall time, the time per phase summed over the models (versions: deciding what is up to date;
build; tests; contract), the slowest models with their phases, and the process's peak memory while building
(sampled).
`--warehouse-dir` keeps the synced warehouse there and reuses it on the next run with the same `--scale` (the
sandbox starts from the same seed, so only the changes are synced): a `large` sync takes a quarter of an hour;
`--sync-only` stops after it. The reused warehouse holds the models of the last run: give a fresh copy of it.
Goals (issue 12): a full build at `large` under 60 s on 2 cores, the 1% build under a tenth of it, the 10-record
build under 2 s, peak memory under 2 GB.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hubspot_assets.models.runner import run_models  # noqa: E402
from hubspot_assets.sandbox.config import SandboxConfig  # noqa: E402
from hubspot_assets.sandbox.server import SandboxServer  # noqa: E402
from hubspot_assets.settings import load_settings  # noqa: E402
from hubspot_assets.sources.pipeline import run_sync  # noqa: E402

HUBS = ("contacts", "companies", "deals", "tickets")


class PeakMemory:
    """The highest resident memory of this process while the block runs, sampled every 50 ms."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()

    def __enter__(self) -> PeakMemory:
        self.peak = self.process.memory_info().rss
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def build(settings, label: str, *, full_refresh: bool = False) -> float:
    with PeakMemory() as memory:
        started = time.monotonic()
        results = run_models(settings, full_refresh=full_refresh)
        seconds = time.monotonic() - started
    failed = [r.model.relation for r in results if not r.ok]
    modes = {}
    for result in results:
        modes[result.mode] = modes.get(result.mode, 0) + 1
    print(f"{label}: {len(results)} models in {seconds:.2f} s, peak memory {memory.peak / 2**20:,.0f} MB "
          f"({', '.join(f'{n} {mode}' for mode, n in sorted(modes.items()))})"
          + (f"; NOT OK: {', '.join(failed)}" if failed else ""))
    phases: dict[str, float] = {}
    for result in results:
        for phase, spent in result.phases.items():
            phases[phase] = phases.get(phase, 0.0) + spent
    outside = seconds - sum(phases.values())
    print("  by phase: " + ", ".join(f"{phase} {spent:.2f} s" for phase, spent in phases.items())
          + f"; outside the models (writer lock, project load, snapshot publish) {outside:.2f} s")
    for result in results:
        if result.mode == "failed":
            print(f"  {result.model.relation} FAILED: {result.error}")
    for result in sorted(results, key=lambda r: -r.seconds)[:8]:
        spent = " ".join(f"{phase[0]} {s:5.2f}" for phase, s in result.phases.items())
        print(f"    {result.seconds:7.2f} s  {result.model.relation:<42} {result.mode:<11} {result.rows or 0:>10,} rows"
              f"  ({spent})")
    return seconds


def change_and_sync(server, settings, updates: int, seed: int) -> None:
    server.admin("mutate", json={"random": {"updates": updates, "object_types": list(HUBS),
                                            "messages": max(1, updates // 20)}, "seed": seed})
    started = time.monotonic()
    report = run_sync(settings, mode="incremental", snapshot=False)
    print(f"  {updates:,} records changed; incremental sync: {report.rows:,} rows in {time.monotonic() - started:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="medium")
    parser.add_argument("--changed-share", type=float, default=0.01)
    parser.add_argument("--changed-records", type=int, default=10)
    parser.add_argument("--warehouse-dir", type=Path, default=None)
    parser.add_argument("--sync-only", action="store_true")
    args = parser.parse_args()
    server = SandboxServer(SandboxConfig(seed=42, scale=args.scale, tier="unlimited")).start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-models-") as tmp:
            folder = args.warehouse_dir or Path(tmp)
            settings = load_settings(
                base_url=server.url, access_token=server.token, tier="unlimited",
                warehouse_path=folder / "warehouse.duckdb", state_dir=folder / "state",
                token_store_path=folder / "tokens.enc",
            )
            if not settings.warehouse_path.exists():
                started = time.monotonic()
                first = run_sync(settings, mode="full", snapshot=False)
                print(f"scale {args.scale}: full sync of {first.rows:,} rows in {time.monotonic() - started:.1f} s")
            if args.sync_only:
                return 0
            full = build(settings, "full build", full_refresh=True)

            types = server.admin("stats")["objects"]
            share = int(sum(types[t]["total"] for t in HUBS) * args.changed_share)
            change_and_sync(server, settings, share, seed=3)
            incremental = build(settings, f"incremental build after {args.changed_share:.0%} changed")
            print(f"  ratio to the full build: {incremental / full:.2f} (goal: under 0.10)")

            change_and_sync(server, settings, args.changed_records, seed=4)
            build(settings, f"incremental build after {args.changed_records} records changed")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
