"""The real-time part of `make demo`: the webhook receiver in front of the queue, the sandbox's webhooks pointed at it,
a few changes made in the sandbox, and for each one how long it took to reach the warehouse and how many API calls
that cost. Events are applied with the code of `hubspot-elt webhooks drain`, which is what the sensor's partial
refresh runs do in Dagster.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
from rich.console import Console
from rich.table import Table

from hubspot_assets.settings import Settings
from hubspot_assets.webhooks.queue import WebhookQueue
from hubspot_assets.webhooks.refresh import drain_queue

DEADLINE_S = 30.0


@contextmanager
def running_receiver(settings: Settings, queue: WebhookQueue) -> Iterator[str]:
    """`hubspot-elt webhooks serve`'s app on a free port, in a thread; yields the URL to give HubSpot."""
    import uvicorn

    from hubspot_assets.sandbox.server import bind_socket
    from hubspot_assets.webhooks.app import create_app_from_settings

    sock = bind_socket("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app_from_settings(settings, queue), log_level="warning",
                                           access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}{settings.webhook_path}"
    finally:
        server.should_exit = True
        thread.join(10)


def show_real_time(console: Console, server: Any, settings: Settings) -> bool:
    """Make the changes, follow each to the warehouse, print the table; False when one never arrived."""
    settings = settings.model_copy(update={
        "queue_url": f"sqlite:///{settings.absolute(settings.warehouse_path).parent / 'webhook_queue.sqlite'}"})
    console.print("[bold]Real time[/]: the webhook receiver queues HubSpot's events, partial refreshes apply them...")
    queue = WebhookQueue.from_settings(settings)
    try:
        with running_receiver(settings, queue) as url:
            server.admin("webhooks/target", {"url": url}, method="PUT")
            rows = [_follow(server, settings, queue, name, change, arrived)
                    for name, change, arrived in _changes(server, settings)]
    finally:
        queue.close()
    table = Table(title="changes made in the sandbox, followed to the warehouse")
    for column, justify in (("change", "left"), ("seconds to the warehouse", "right"), ("API calls", "right")):
        table.add_column(column, justify=justify)
    for name, seconds, calls in rows:
        table.add_row(name, "did not arrive" if seconds is None else f"{seconds:.1f}", str(calls))
    console.print(table)
    return all(seconds is not None for _, seconds, _ in rows)


def _follow(server: Any, settings: Settings, queue: WebhookQueue, name: str, change: Callable[[], Any],
            arrived: Callable[[Any], bool]) -> tuple[str, float | None, int]:
    """Make one change, drain until the warehouse shows it; (name, seconds, API calls of the refreshes)."""
    server.admin("stats/reset", json={})
    started = time.monotonic()
    made = change()
    calls = 0
    while time.monotonic() - started < DEADLINE_S:
        calls += drain_queue(settings, queue).api_calls
        if arrived(made):
            return name, time.monotonic() - started, calls
        time.sleep(0.05)
    return name, None, calls


def _changes(server: Any, settings: Settings) -> list[tuple[str, Callable[[], Any], Callable[[Any], bool]]]:
    """(what, make it, has it reached the warehouse) for an update, a chat message, a merge and a deletion."""
    def ask(sql: str, *params: Any) -> list[tuple]:
        with duckdb.connect(str(settings.absolute(settings.warehouse_path)), read_only=True) as connection:
            return connection.execute(sql, list(params)).fetchall()

    def mutate(operation: dict) -> dict:
        return server.admin("mutate", {"operations": [operation]})["results"][0]

    live = [r[0] for r in ask("SELECT id FROM hubspot_raw.contacts WHERE NOT archived ORDER BY id LIMIT 4")]
    thread = ask("SELECT id FROM hubspot_raw.threads WHERE NOT coalesce(archived, false) ORDER BY id LIMIT 1")[0][0]
    return [
        ("a contact's job title changed",
         lambda: mutate({"op": "update", "objectType": "contacts", "id": live[0],
                         "properties": {"jobtitle": "Head of Real Time"}}),
         lambda _: ask("SELECT jobtitle FROM hubspot_raw.contacts WHERE id = ?", live[0]) == [("Head of Real Time",)]),
        ("a new chat message",
         lambda: mutate({"op": "new_message", "threadId": thread, "text": "Is my order on its way?"}),
         lambda _: ask("SELECT count(*) FROM hubspot_raw.messages WHERE text = ?", "Is my order on its way?")[0][0] > 0),
        ("two contacts merged",
         lambda: mutate({"op": "merge", "objectType": "contacts", "primaryId": live[1], "mergedId": live[2]}),
         lambda _: ask("SELECT count(*) FROM hubspot_raw.merges WHERE merged_id = ?", live[2])[0][0] > 0),
        ("a contact deleted",
         lambda: mutate({"op": "archive", "objectType": "contacts", "id": live[3]}),
         lambda _: ask("SELECT archived FROM hubspot_raw.contacts WHERE id = ?", live[3]) == [(True,)]),
    ]
