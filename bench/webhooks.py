"""Webhook receiver throughput: 10 concurrent deliveries of 100 events each, as HubSpot sends them at its peak.

    .venv/bin/python bench/webhooks.py [--batches 40] [--concurrency 10] [--events 100] [--queue-url URL]

Starts `hubspot-elt webhooks serve` (a subprocess, as deployed) over a fresh SQLite queue in a temp folder (or
`--queue-url`, e.g. a Postgres database), then `--concurrency` clients each POST `--batches` v3-signed batches of
`--events` distinct events back to back over a kept-alive connection. Bodies and signatures are made before the
clock starts, so the figures are the receiver's: events stored per second, and the p50/p99 answer times seen by
the clients. Goal: at least 1,000 events/s with p99 under 250 ms. Every batch must be answered 204 and every
event must be in the queue at the end, or the run fails.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hubspot_assets.sandbox.webhooks import sign_v3, v3_signing_uri  # noqa: E402
from hubspot_assets.webhooks.cli import READY_PREFIX  # noqa: E402
from hubspot_assets.webhooks.queue import WebhookQueue  # noqa: E402

SECRET = "bench-client-secret"


def start_receiver(queue_url: str) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, HUBSPOT_CLIENT_SECRET=SECRET, HUBSPOT_QUEUE_URL=queue_url, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "hubspot_assets.cli", "webhooks", "serve", "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE, text=True, env=env)
    line = process.stdout.readline()
    if not line.startswith(READY_PREFIX):
        process.kill()
        raise SystemExit(f"the receiver did not start: {line!r}")
    return process, line.removeprefix(READY_PREFIX).strip()


def batches(url: str, clients: int, per_client: int, events: int) -> list[list[tuple[bytes, dict]]]:
    """Signed request bodies, per client; eventIds distinct across the run."""
    timestamp = str(int(time.time() * 1000))
    signing_uri = v3_signing_uri(url)
    event_id = 1
    plan = []
    for _ in range(clients):
        own = []
        for _ in range(per_client):
            batch = []
            for k in range(events):
                batch.append({"eventId": event_id, "subscriptionId": 500001, "portalId": 62515, "appId": 1000001,
                              "occurredAt": 1_780_000_000_000 + event_id, "subscriptionType": "contact.propertyChange",
                              "attemptNumber": 0, "objectId": 1000 + k, "propertyName": "email",
                              "propertyValue": f"person{event_id}@example.com", "changeSource": "CRM_UI"})
                event_id += 1
            body = orjson.dumps(batch)
            headers = {"Content-Type": "application/json", "X-HubSpot-Request-Timestamp": timestamp,
                       "X-HubSpot-Signature-v3": sign_v3(SECRET, "POST", signing_uri, body, timestamp)}
            own.append((body, headers))
        plan.append(own)
    return plan


def run(url: str, plan: list[list[tuple[bytes, dict]]]) -> tuple[float, list[float], list[int]]:
    parts = urlsplit(url)
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    go = threading.Event()

    def client(own: list[tuple[bytes, dict]]) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine, codes = [], []
        go.wait()
        for body, headers in own:
            started = time.perf_counter()
            connection.request("POST", parts.path, body=body, headers=headers)
            answer = connection.getresponse()
            answer.read()
            mine.append(time.perf_counter() - started)
            codes.append(answer.status)
        connection.close()
        with lock:
            latencies.extend(mine)
            statuses.extend(codes)

    threads = [threading.Thread(target=client, args=(own,)) for own in plan]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    go.set()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, statuses


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40, help="batches per client")
    parser.add_argument("--concurrency", type=int, default=10, help="concurrent deliveries (HubSpot: up to 10)")
    parser.add_argument("--events", type=int, default=100, help="events per batch (HubSpot: fewer than 100)")
    parser.add_argument("--queue-url", default=None, help="queue store (default: a fresh SQLite file)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-webhooks-") as folder:
        queue_url = args.queue_url or f"sqlite:///{Path(folder) / 'queue.sqlite'}"
        process, url = start_receiver(queue_url)
        try:
            plan = batches(url, args.concurrency, args.batches, args.events)
            elapsed, latencies, statuses = run(url, plan)
        finally:
            process.terminate()
            process.wait(10)
        queue = WebhookQueue(queue_url)
        stored = sum(queue.depth().values())
        queue.close()
    total = args.concurrency * args.batches * args.events
    rate = total / elapsed
    p50, p99 = percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000
    store = "sqlite" if queue_url.startswith("sqlite") else "postgres"
    print(f"{store}: {total:,} events in {len(latencies):,} batches of {args.events} over {args.concurrency} "
          f"concurrent deliveries: {rate:,.0f} events/s, answer p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    goal = rate >= 1000 and p99 < 250
    print(f"goal (>= 1,000 events/s, p99 < 250 ms): {'met' if goal else 'NOT met'}")
    if set(statuses) != {204} or stored != total:
        raise SystemExit(f"lost events: answers {sorted(set(statuses))}, {stored:,} of {total:,} stored")


if __name__ == "__main__":
    main()
