"""At run time a sync reaches HubSpot (HUBSPOT_BASE_URL) and nothing else: no dlt telemetry, no other host."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]

# Runs in a fresh interpreter so the audit hook sees every connection from the first import to the last atexit
# handler (dlt's telemetry flushes at exit; handlers run last-registered first, so this one runs after it).
SYNC_UNDER_AUDIT = """
import atexit, json, socket, sys

seen = []

def audit(event, args):
    if event == "socket.getaddrinfo":
        seen.append({"event": event, "host": str(args[0]), "port": args[1]})
    elif event == "socket.connect":
        sock, address = args
        seen.append({"event": event, "family": int(sock.family), "address": repr(address)})

sys.addaudithook(audit)
atexit.register(lambda: open(sys.argv[1], "w").write(json.dumps(seen)))

from hubspot_assets.settings import load_settings
from hubspot_assets.sources.pipeline import run_sync

report = run_sync(load_settings(), mode="full")
print("rows", report.rows)
"""


def test_a_whole_sync_connects_to_hubspot_base_url_only(sandbox, tmp_path):
    seen_file = tmp_path / "connections.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUBSPOT_", "DLT_", "RUNTIME__"))}
    env.update(
        HUBSPOT_BASE_URL=sandbox.url,
        HUBSPOT_ACCESS_TOKEN=sandbox.token,
        HUBSPOT_TIER="unlimited",
        HUBSPOT_WAREHOUSE_PATH=str(tmp_path / "warehouse.duckdb"),
        HUBSPOT_STATE_DIR=str(tmp_path / "state"),
        HUBSPOT_TOKEN_STORE_PATH=str(tmp_path / "tokens.enc"),
        HOME=str(tmp_path / "home"),  # no user-wide ~/.dlt settings
        PYTHONPATH=str(ROOT),
    )

    done = subprocess.run([sys.executable, "-c", SYNC_UNDER_AUDIT, str(seen_file)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stderr[-3000:]
    assert int(done.stdout.split()[-1]) > 1000  # a whole sync ran
    seen = json.loads(seen_file.read_text())
    base = urlsplit(sandbox.url)
    connects = [s for s in seen if s["event"] == "socket.connect"]
    assert connects, "the audit hook saw the sync's own requests"
    assert {s["address"] for s in connects} == {repr((base.hostname, base.port))}, connects
    assert {s["host"] for s in seen if s["event"] == "socket.getaddrinfo"} <= {base.hostname}, seen
