"""Full sync benchmark: the real pipeline against a sandbox, with HubSpot's limits and latency.

    .venv/bin/python bench/full_sync.py [--scale medium] [--tier pro] [--latency-ms 100]
        [--resources contacts,companies,...] [--no-conversations] [--limits-off-speed]

Prints records/s, requests per 100 records, the share of the 10-second and search budgets used, 429s, peak
resident memory, and the extract / normalize / load split. `--limits-off-speed` also measures normalize and
load speed alone (tier unlimited, no latency) for a wide table (contacts) and narrow ones (associations, messages),
in rows/s and property values/s.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hubspot_assets.sandbox.config import SandboxConfig  # noqa: E402
from hubspot_assets.sandbox.server import SandboxServer  # noqa: E402
from hubspot_assets.settings import load_settings  # noqa: E402
from hubspot_assets.sources.pipeline import run_sync  # noqa: E402

BUDGET_PER_10S = {"free": 100, "starter": 100, "pro": 190, "professional": 190, "enterprise": 190, "oauth": 110,
                  "increase": 250}
CONVERSATIONS = ("inboxes", "channels", "channel_accounts", "threads", "messages", "message_participants")
NON_RECORD_TABLES = {"associations", "merges", "properties", "property_options", "owners", "pipelines",
                     "pipeline_stages", "property_history", "call_transcript_utterances", *CONVERSATIONS}


class PeakMemory:
    """Samples this process's resident memory every 50 ms (the timeline gives the peak of each phase)."""

    def __init__(self) -> None:
        self.peak = 0
        self.timeline: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        process = psutil.Process(os.getpid())
        while not self._stop.is_set():
            rss = process.memory_info().rss
            self.peak = max(self.peak, rss)
            self.timeline.append((time.time(), rss))
            self._stop.wait(0.05)

    def peak_between(self, start: float, end: float) -> int:
        return max((rss for t, rss in self.timeline if start <= t <= end), default=0)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class RequestRates:
    """Polls the sandbox's request counts every `every` seconds: when the last search went out, and for
    `--timeline` where a budget went unused (printed per 5 s)."""

    def __init__(self, server: SandboxServer, every: float = 1.0) -> None:
        self.server, self.every = server, every
        self.samples: list[tuple[float, int, int, float, float]] = []  # (time, general, search, cpu s: us, sandbox)
        self._us, self._sandbox = psutil.Process(os.getpid()), psutil.Process(server.pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            by_endpoint = self.server.admin("stats")["requests"].get("by_endpoint", {})
            search = sum(n for e, n in by_endpoint.items() if e.endswith("/search"))
            assoc = sum(n for e, n in by_endpoint.items() if "/associations/" in e and "batch" in e)
            self.samples.append((time.time(), sum(by_endpoint.values()) - search - assoc, search,
                                 sum(self._us.cpu_times()[:2]), sum(self._sandbox.cpu_times()[:2])))

    def __enter__(self) -> RequestRates:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def last_search(self) -> float | None:
        """When the search count last grew (the end of the sample it grew in), or None without searches."""
        final = self.samples[-1][2] if self.samples else 0
        return next((sample[0] for sample in self.samples if sample[2] >= final), None) if final else None

    def print(self, start: float, general_per_s: float | None) -> None:
        previous = (start, 0, 0, *self.samples[0][3:]) if self.samples else None
        stride = max(1, round(5.0 / self.every))
        for sample in self.samples[stride - 1::stride]:
            seconds = sample[0] - previous[0]
            general = (sample[1] - previous[1]) / seconds
            search = (sample[2] - previous[2]) / seconds
            share = f"{100 * general / general_per_s:4.0f} %" if general_per_s else f"{general:5.1f}/s"
            cpu = (sample[3] - previous[3]) / seconds, (sample[4] - previous[4]) / seconds
            print(f"  {sample[0] - start:6.0f} s  general {share}  search {100 * search / 5:4.0f} %   "
                  f"cpu: pipeline {100 * cpu[0]:3.0f} %, sandbox {100 * cpu[1]:3.0f} %")
            previous = sample


def sync_once(scale: str, tier: str, latency_ms: float, resources: list[str] | None, workdir: Path,
              mode: str = "full", exclude: Sequence[str] = (), rates: bool = False):
    server = SandboxServer(SandboxConfig(seed=42, scale=scale, tier=tier, latency_ms=latency_ms)).start()
    try:
        settings = load_settings(
            base_url=server.url, access_token=server.token, tier=tier, warehouse_path=workdir / "warehouse.duckdb",
            state_dir=workdir / "state", token_store_path=workdir / "tokens.enc",
        )
        if exclude and resources is None:
            # Every resource of the source the run builds (one per custom object too), minus the excluded ones.
            from hubspot_assets.sources.pipeline import prepare

            every = prepare(settings, mode=mode).source().resources
            resources = [r for r in every if r not in exclude]
        server.admin("stats/reset", json={})
        started = time.time()
        with PeakMemory() as memory, RequestRates(server) as polled:
            report = run_sync(settings, mode=mode, resources=resources, snapshot=False)
        if rates:
            print("requests in each 5 s (share of the budget):")
            budget = BUDGET_PER_10S.get(tier)
            polled.print(started, budget / 10 if budget else None)
        stats = server.admin("stats")["requests"]
        report.columns = _column_counts(settings.warehouse_path)
        last_search = polled.last_search()
        report.search_seconds = None if last_search is None else last_search - started
    finally:
        server.stop()
    return report, stats, memory


def _column_counts(path: Path) -> dict[str, int]:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as connection:
        rows = connection.execute(
            "SELECT table_name, count(*) FROM information_schema.columns WHERE table_schema = 'hubspot_raw' "
            "AND column_name NOT LIKE '\\_dlt%' ESCAPE '\\' GROUP BY 1"
        ).fetchall()
    return dict(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="medium")
    parser.add_argument("--tier", default="pro")
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--resources", default=None, help="comma-separated resources (default: all)")
    parser.add_argument("--no-conversations", action="store_true", help="leave threads and messages out")
    parser.add_argument("--limits-off-speed", action="store_true")
    parser.add_argument("--timeline", action="store_true", help="print when each resource finished extracting")
    args = parser.parse_args()

    if args.timeline:
        import logging

        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("  %(message)s"))
        extraction_log = logging.getLogger("hubspot_assets.sources.extraction")
        extraction_log.setLevel(logging.DEBUG)
        extraction_log.addHandler(handler)
    resources = args.resources.split(",") if args.resources else None
    exclude = (*CONVERSATIONS, "conversation_messages_raw") if args.no_conversations else ()
    with tempfile.TemporaryDirectory(prefix="bench-full-sync-") as tmp:
        report, stats, memory = sync_once(args.scale, args.tier, args.latency_ms, resources, Path(tmp),
                                          exclude=exclude, rates=args.timeline)
    records = sum(n for table, n in report.row_counts.items() if table not in NON_RECORD_TABLES)
    by_endpoint = stats.get("by_endpoint", {})
    search = sum(n for e, n in by_endpoint.items() if e.endswith("/search"))
    assoc = sum(n for e, n in by_endpoint.items() if "/associations/" in e and "batch" in e)
    general = stats.get("total", 0) - search - assoc
    seconds = report.seconds
    extract = report.phases.get("extract", seconds)
    budget = BUDGET_PER_10S.get(args.tier)
    print(f"full sync: scale {args.scale}, tier {args.tier}, latency {args.latency_ms:g} ms")
    print(f"  wall time            {seconds:10.1f} s  (extract {extract:.1f}, normalize "
          f"{report.phases.get('normalize', 0):.1f}, load {report.phases.get('load', 0):.1f})")
    print(f"  CRM records          {records:10,d}  ({records / seconds:,.0f} records/s)")
    print(f"  rows, all tables     {sum(report.row_counts.values()):10,d}")
    print(f"  requests             {stats.get('total', 0):10,d}  ({100 * stats.get('total', 0) / max(records, 1):.2f} "
          f"per 100 records; general {general}, search {search}, association batches {assoc})")
    if budget:  # tier unlimited has no budgets to share
        print(f"  10-second budget     {100 * general / (budget / 10 * extract):9.0f} %  of {budget}/10 s during extract")
        print(f"  search budget        {100 * search / (5 * extract):9.0f} %  of 5/s during extract")
        searching = getattr(report, "search_seconds", None)
        if searching:  # searches end when every type's two sides have met; later work (messages) has none to make
            print(f"  search budget        {100 * search / (5 * min(searching, extract)):9.0f} %  of 5/s while "
                  f"searches remained (the first {min(searching, extract):.0f} s)")
    print(f"  429s                 {stats.get('rate_limited', 0):10,d}")
    print(f"  peak memory (RSS)    {memory.peak / 2**20:10,.0f} MB  (" + ", ".join(
        f"{step} {memory.peak_between(*span) / 2**20:,.0f}" for step, span in report.phase_spans.items()) + ")")
    if args.limits_off_speed:
        limits_off(args.scale)
    return 0


def limits_off(scale: str) -> None:
    """Normalize + load speed alone, with the API as fast as the sandbox can answer."""
    print(f"normalize + load speed, limits off (tier unlimited, no latency, scale {scale}):")
    for resources, label in ((["contacts"], "contacts (wide)"), (["associations"], "associations (narrow)"),
                             (["messages"], "messages (narrow)")):
        with tempfile.TemporaryDirectory(prefix="bench-speed-") as tmp:
            report, _, _ = sync_once(scale, "unlimited", 0, resources, Path(tmp))
        table = resources[0]
        rows = report.row_counts.get(table, 0)
        columns = report.columns.get(table, 0)
        spent = report.phases.get("normalize", 0) + report.phases.get("load", 0)
        extract = report.phases.get("extract", 0)
        print(f"  {label:24s} {rows:9,d} rows x {columns} columns: normalize+load {spent:.1f} s = "
              f"{rows / max(spent, 1e-9):,.0f} rows/s, {rows * columns / max(spent, 1e-9):,.0f} values/s "
              f"(extract {extract:.1f} s)")



if __name__ == "__main__":
    sys.exit(main())
