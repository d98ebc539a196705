"""Group commit: one thread writes every delivery to the queue, several deliveries per transaction.

HubSpot sends up to 10 deliveries at once. Each handed to its own thread, they would queue on the store's lock,
which is not fair: one delivery can lose the race many times and miss HubSpot's 5-second deadline. Instead the
writer takes the deliveries in arrival order and stores all those waiting in one transaction (one disk sync),
then answers each. A delivery's answer still waits until its events are committed.
"""

from __future__ import annotations

import asyncio
import queue as fifo
import threading
from collections.abc import Sequence

from hubspot_assets.webhooks.events import WebhookEvent
from hubspot_assets.webhooks.queue import WebhookQueue

MAX_GROUP_EVENTS = 2000  # a bound on one transaction, so a burst does not build one huge commit


class QueueWriter:
    """`await writer.store(events)` -> how many were new; raises what the store raised (nothing is then kept)."""

    def __init__(self, queue: WebhookQueue) -> None:
        self.queue = queue
        self._waiting: fifo.SimpleQueue = fifo.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    async def store(self, events: Sequence[WebhookEvent]) -> int:
        self._ensure_thread()
        loop = asyncio.get_running_loop()
        done: asyncio.Future[int] = loop.create_future()
        self._waiting.put((events, loop, done))
        return await done

    def _ensure_thread(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="webhook-queue-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            group = [self._waiting.get()]
            size = len(group[0][0])
            while size < MAX_GROUP_EVENTS:
                try:
                    group.append(self._waiting.get_nowait())
                except fifo.Empty:
                    break
                size += len(group[-1][0])
            try:
                results: list = self.queue.enqueue_batches([events for events, _, _ in group])
            except Exception as error:  # every delivery of the group is refused, so HubSpot retries them all
                results = [error] * len(group)
            for (_, loop, done), result in zip(group, results, strict=True):
                try:
                    loop.call_soon_threadsafe(_settle, done, result)
                except RuntimeError:  # that server's loop has closed: nobody waits for the answer any more
                    pass


def _settle(done: asyncio.Future, result: int | Exception) -> None:
    if done.cancelled():  # the client hung up; its events are stored anyway and a redelivery is a repeat
        return
    if isinstance(result, Exception):
        done.set_exception(result)
    else:
        done.set_result(result)
