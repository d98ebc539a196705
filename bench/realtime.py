"""Real time, end to end: from a change in the sandbox to the row in the warehouse's snapshot, through the webhook
receiver, the queue, the Dagster sensor and its partial refresh runs; and the API calls of 1,000 changes.

    .venv/bin/python bench/realtime.py [--changes 20] [--every 2.0] [--scale small] [--no-models]

Starts, in a temp folder: the sandbox, a full sync into a fresh warehouse, `hubspot-elt webhooks serve` (a
subprocess, as deployed) with the sandbox's webhooks pointed at it, and `dagster-daemon run` over this code location
(the sensor `hubspot_webhook_sensor` on its default 5 s interval, runs launched as subprocesses as in a deployment,
and the models' automation unless `--no-models`, whose builds take the writer lock too). Then it changes one
contact's property every `--every` seconds and times how long each value takes to show in the snapshot (what
analysts read). Goal: p95 under 15 s.

Second figure: 1,000 property changes spread over 100 contacts, applied by one drain (the code the sensor's runs
use), and the sandbox's count of API requests that cost. Goal: at most 2.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hubspot_assets.sandbox.config import SandboxConfig  # noqa: E402
from hubspot_assets.sandbox.server import SandboxServer  # noqa: E402
from hubspot_assets.settings import load_settings  # noqa: E402
from hubspot_assets.sources.pipeline import run_sync  # noqa: E402
from hubspot_assets.webhooks.cli import READY_PREFIX  # noqa: E402
from hubspot_assets.webhooks.queue import WebhookQueue  # noqa: E402
from hubspot_assets.webhooks.refresh import drain_queue  # noqa: E402

BIN = Path(sys.executable).parent


def environment(server: SandboxServer, work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HUBSPOT_BASE_URL": server.url, "HUBSPOT_ACCESS_TOKEN": server.token, "HUBSPOT_TIER": "unlimited",
        "HUBSPOT_CLIENT_SECRET": server.config.client_secret,
        "HUBSPOT_WAREHOUSE_PATH": str(work / "warehouse.duckdb"), "HUBSPOT_STATE_DIR": str(work / "state"),
        "HUBSPOT_TOKEN_STORE_PATH": str(work / "tokens.enc"),
        "HUBSPOT_QUEUE_URL": f"sqlite:///{work / 'queue.sqlite'}", "HUBSPOT_WEBHOOK_PORT": "0",
        "DAGSTER_HOME": str(work / "dagster_home"),
    }


def start_receiver(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([str(BIN / "hubspot-elt"), "webhooks", "serve", "--log-level", "warning"],
                               env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    line = process.stdout.readline()
    if not line.startswith(READY_PREFIX):
        raise SystemExit(f"the receiver did not start: {line!r}")
    return process, line.removeprefix(READY_PREFIX).strip()


def start_daemon(env: dict[str, str], work: Path, models: bool) -> subprocess.Popen:
    home = work / "dagster_home"
    home.mkdir()
    log = open(work / "daemon.log", "w")  # noqa: SIM115 (the daemon writes it until it stops)
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    process = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-w", str(ROOT / "workspace.yaml")], env=env,
                               cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    if not models:
        subprocess.run([str(BIN / "dagster"), "sensor", "stop", "hubspot_models_automation", "-w",
                        str(ROOT / "workspace.yaml")], env=env, cwd=ROOT, check=False, capture_output=True)
    return process


def snapshot_value(snapshot: Path, contact: int) -> str | None:
    try:
        with duckdb.connect(str(snapshot), read_only=True) as connection:
            row = connection.execute("SELECT jobtitle FROM hubspot_raw.contacts WHERE id = ?", [contact]).fetchone()
    except duckdb.Error:  # the snapshot is being replaced at this instant
        return None
    return row[0] if row else None


def latencies(server: SandboxServer, snapshot: Path, contacts: list[int], changes: int, every_s: float,
              timeout_s: float = 120) -> list[float]:
    seconds = []
    for i in range(changes):
        contact, value = contacts[i % len(contacts)], f"Realtime {i} {time.time_ns()}"
        started = time.monotonic()
        server.admin("mutate", {"operations": [{"op": "update", "objectType": "contacts", "id": contact,
                                                "properties": {"jobtitle": value}}]})
        while snapshot_value(snapshot, contact) != value:
            if time.monotonic() - started > timeout_s:
                raise SystemExit(f"change {i} did not reach the snapshot in {timeout_s:.0f} s")
            time.sleep(0.1)
        seconds.append(time.monotonic() - started)
        print(f"  change {i + 1}/{changes}: {seconds[-1]:.1f} s", flush=True)
        time.sleep(max(0.0, every_s - (time.monotonic() - started)))
    return seconds


def api_calls_for_a_thousand_changes(server: SandboxServer, env: dict[str, str], contacts: list[int]) -> int:
    settings = load_settings(**{k.removeprefix("HUBSPOT_").lower(): v for k, v in env.items()
                                if k.startswith("HUBSPOT_") and k != "HUBSPOT_WEBHOOK_PORT"})
    server.admin("mutate", {"operations": [
        {"op": "update", "objectType": "contacts", "id": contacts[i % 100], "properties": {"jobtitle": f"Bulk {i}"}}
        for i in range(1000)]})
    server.admin("webhooks/wait", {"timeout_s": 60})
    server.admin("stats/reset", json={})
    queue = WebhookQueue.from_settings(settings)
    try:
        report = drain_queue(settings, queue)
    finally:
        queue.close()
    requests = server.admin("stats")["requests"]["by_endpoint"]
    print(f"  {report.events} events applied in {report.refreshes} refresh(es): {requests}")
    return sum(requests.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--every", type=float, default=2.0, help="seconds between changes")
    parser.add_argument("--scale", default="small")
    parser.add_argument("--no-models", action="store_true", help="stop the models' automation sensor")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-realtime-"))
    server = SandboxServer(SandboxConfig(seed=42, scale=args.scale, tier="unlimited")).start()
    receiver = daemon = None
    try:
        env = environment(server, work)
        settings = load_settings(base_url=server.url, access_token=server.token, tier="unlimited",
                                 warehouse_path=work / "warehouse.duckdb", state_dir=work / "state",
                                 token_store_path=work / "tokens.enc")
        print(f"full sync of the {args.scale} sandbox...", flush=True)
        run_sync(settings, mode="full")
        with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as connection:
            contacts = [r[0] for r in connection.execute(
                "SELECT id FROM hubspot_raw.contacts WHERE NOT archived ORDER BY id LIMIT 100").fetchall()]
        receiver, url = start_receiver(env)
        server.admin("webhooks/target", {"url": url}, method="PUT")
        daemon = start_daemon(env, work, models=not args.no_models)
        print(f"receiver at {url}; dagster-daemon started; {args.changes} changes, one every {args.every:g} s",
              flush=True)
        print("warming up (the daemon's first sensor tick and run)...", flush=True)
        latencies(server, work / "warehouse.snapshot.duckdb", contacts, 1, 0)
        try:
            seconds = latencies(server, work / "warehouse.snapshot.duckdb", contacts, args.changes, args.every)
        except SystemExit:
            print("".join((work / "daemon.log").read_text().splitlines(keepends=True)[-60:]), file=sys.stderr)
            raise
        daemon.terminate()
        daemon.wait(60)
        daemon = None
        print("1,000 changes over 100 contacts, applied by one drain...", flush=True)
        calls = api_calls_for_a_thousand_changes(server, env, contacts)
        p95 = statistics.quantiles(seconds, n=20, method="inclusive")[-1] if len(seconds) >= 2 else seconds[0]
        print(f"change -> snapshot through the sensor: p50 {statistics.median(seconds):.1f} s, p95 {p95:.1f} s, "
              f"max {max(seconds):.1f} s over {len(seconds)} changes (goal: p95 under 15 s)")
        print(f"API calls for 1,000 changes over 100 contacts: {calls} (goal: at most 2)")
    finally:
        for process in (daemon, receiver):
            if process is not None:
                process.terminate()
                process.wait(60)
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
