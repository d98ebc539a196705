"""`hubspot-elt webhooks serve` killed with SIGKILL in the middle of a burst: every batch it acknowledged is in
the queue (on SQLite and on Postgres), so HubSpot, which retries what was not acknowledged, loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import requests

from hubspot_assets.webhooks.cli import READY_PREFIX
from hubspot_assets.webhooks.queue import WebhookQueue
from tests.webhooks.conftest import SECRET, crm_event, deliver

SENDERS = 4
BATCH = 25
KILL_AFTER_BATCHES = 24


def start_receiver(queue_url: str) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, HUBSPOT_CLIENT_SECRET=SECRET, HUBSPOT_QUEUE_URL=queue_url, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "hubspot_assets.cli", "webhooks", "serve", "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    line = process.stdout.readline()
    assert line.startswith(READY_PREFIX), f"the receiver did not start: {line!r}"
    return process, line.removeprefix(READY_PREFIX).strip()


def test_every_event_acknowledged_before_a_sigkill_is_in_the_queue(queue_url: str) -> None:
    process, url = start_receiver(queue_url)
    acknowledged: list[int] = []
    refused: list[str] = []
    enough = threading.Event()
    lock = threading.Lock()

    def send() -> None:
        while True:
            batch = [crm_event(object_id=i) for i in range(BATCH)]
            try:
                answer = deliver(url, batch)
            except requests.RequestException as error:  # the receiver is gone: the burst ends here
                refused.append(type(error).__name__)
                return
            if answer.status_code != 204:
                refused.append(str(answer.status_code))
                return
            with lock:
                acknowledged.extend(event["eventId"] for event in batch)
                if len(acknowledged) >= KILL_AFTER_BATCHES * BATCH:
                    enough.set()

    senders = [threading.Thread(target=send) for _ in range(SENDERS)]
    try:
        for sender in senders:
            sender.start()
        assert enough.wait(60), "the burst did not get going"
        os.kill(process.pid, signal.SIGKILL)
        for sender in senders:
            sender.join(30)
    finally:
        process.kill()
        process.wait(10)
    assert len(refused) == SENDERS  # every sender was cut off mid-burst by the kill
    queue = WebhookQueue(queue_url)
    stored = {row[0] for row in queue.backend.execute("SELECT event_id FROM webhook_events")}
    queue.close()
    assert set(acknowledged) <= stored
    assert len(stored) >= len(acknowledged) >= KILL_AFTER_BATCHES * BATCH
