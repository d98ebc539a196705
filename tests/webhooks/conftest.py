"""Fixtures of the webhook tests: the queue on both stores, a clock moved by hand, the receiver over real HTTP,
and signed deliveries made the way HubSpot makes them.

- `queue_url` (parametrized `sqlite` / `postgres`): an empty queue store. Postgres is a real server started once
  per test process (`postgres_server`, see postgres.py).
- `clock`: `FakeClock`, seconds since the epoch, moved with `clock.advance(s)`.
- `receiver_factory(queue_url=None, secrets=(SECRET,), clock=time.time, port=0, **create_app_options)`: the
  receiver app under uvicorn in a thread, on a free port (or `port`), over a queue on `queue_url` (default: a
  SQLite file of the test's); `.url`, `.base_url`, `.queue`, `.metrics()`, `.stop()`.
- `deliver(url, events, secret, version=...)`: POST a batch signed with the sandbox's own signing code (it
  shares nothing with the receiver's), so a bug in one cannot hide a bug in the other.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
import uvicorn

from hubspot_assets.sandbox.server import bind_socket
from hubspot_assets.sandbox.webhooks import sign_v1, sign_v2, sign_v3, v3_signing_uri
from hubspot_assets.webhooks.app import create_app
from hubspot_assets.webhooks.queue import WebhookQueue
from tests.webhooks.postgres import PostgresServer

SECRET = "test-client-secret"
_event_ids = itertools.count(10_000_000)


class FakeClock:
    def __init__(self, now: float = 1_780_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


def empty_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP TABLE IF EXISTS webhook_events")
        connection.execute("DROP TABLE IF EXISTS webhook_alerts")


@pytest.fixture(params=["sqlite", "postgres"])
def queue_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'queue.sqlite'}"
    server = request.getfixturevalue("postgres_server")
    empty_postgres(server.url)
    return server.url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'queue.sqlite'}"


def crm_event(subscription_type: str = "contact.propertyChange", object_id: int = 101, **fields: Any) -> dict:
    """A HubSpot-shaped event with a fresh eventId."""
    event = {"eventId": next(_event_ids), "subscriptionId": 500001, "portalId": 62515, "appId": 1000001,
             "occurredAt": 1_780_000_000_000, "subscriptionType": subscription_type, "attemptNumber": 0,
             "objectId": object_id, "changeSource": "CRM_UI"}
    if subscription_type.endswith(".propertyChange"):
        event.update(propertyName="email", propertyValue="a@example.com")
    event.update(fields)
    return event


def signed_headers(url: str, body: bytes, secret: str = SECRET, version: str = "v3",
                   timestamp_ms: int | None = None) -> dict[str, str]:
    """Headers HubSpot would send: v3 alone, or v1/v2 alone (older apps), signed over `url`."""
    if version == "v3":
        timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
        return {"X-HubSpot-Signature-v3": sign_v3(secret, "POST", v3_signing_uri(url), body, timestamp),
                "X-HubSpot-Request-Timestamp": timestamp, "Content-Type": "application/json"}
    signature = sign_v1(secret, body) if version == "v1" else sign_v2(secret, "POST", url, body)
    return {"X-HubSpot-Signature": signature, "X-HubSpot-Signature-Version": version,
            "Content-Type": "application/json"}


def deliver(url: str, events: list[dict], secret: str = SECRET, version: str = "v3",
            signed_url: str | None = None, **kwargs: Any) -> requests.Response:
    body = orjson.dumps(events)
    headers = signed_headers(signed_url or url, body, secret, version, **kwargs)
    return requests.post(url, data=body, headers=headers, timeout=10)


@dataclass
class RunningReceiver:
    url: str
    base_url: str
    queue: WebhookQueue
    server: uvicorn.Server
    thread: threading.Thread

    def metrics(self) -> str:
        return requests.get(f"{self.base_url}/metrics", timeout=10).text

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.queue.close()


def metric_value(text: str, name: str, **labels: str) -> float:
    """The value of one sample of a Prometheus text page (0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    sample = f"{name}{{{wanted}}}" if labels else name
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def start_receiver(queue_url: str, secrets: tuple[str, ...] = (SECRET,), clock: Any = time.time, port: int = 0,
                   **options: Any) -> RunningReceiver:
    """The receiver app under uvicorn in a thread, on `port` (0: a free one), over the queue at `queue_url`."""
    queue = WebhookQueue(queue_url, clock=clock)
    app = create_app(queue, secrets, clock=clock, **options)
    sock = bind_socket("127.0.0.1", port)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    return RunningReceiver(f"{base}{options.get('path', '/webhooks/hubspot')}", base, queue, server, thread)


@pytest.fixture
def receiver_factory(sqlite_url: str) -> Iterator[Callable[..., RunningReceiver]]:
    started: list[RunningReceiver] = []

    def start(queue_url: str | None = None, secrets: tuple[str, ...] = (SECRET,), clock: Any = time.time,
              port: int = 0, **options: Any) -> RunningReceiver:
        running = start_receiver(queue_url or sqlite_url, secrets, clock, port, **options)
        started.append(running)
        return running

    try:
        yield start
    finally:
        for running in started:
            running.stop()


@pytest.fixture
def receiver(receiver_factory: Callable[..., RunningReceiver]) -> RunningReceiver:
    return receiver_factory()
