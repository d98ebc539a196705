"""The receiver's own record of being up, so that changes HubSpot could not deliver meanwhile are not lost.

HubSpot retries a failed delivery for about 24 hours, and only ten times: a receiver down for an hour gets its
events back late (a retry may come hours after the change), one down for longer than the retry window loses them.
So the warehouse catches up by an incremental sync instead of waiting (the sensor launches it, `defs/realtime.py`):
- `Heartbeat` (run by `hubspot-elt webhooks serve`) writes the receiver's heartbeat every `interval_s` into
  `webhook_receivers`. When it starts and its previous heartbeat is older than `outage_after_s`, it records an
  outage (from that heartbeat to now) in `webhook_outages`.
- `ReceiverLog.outages_to_catch_up()` lists the outages no catch-up sync was launched for yet; `caught_up(id)`
  marks one launched.
- `ReceiverLog.last_event_at()`: when the last event arrived, for the other sign of an outage: nothing at all for
  longer than HubSpot's retry window (a target URL HubSpot gave up on, a proxy in front that drops requests).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from hubspot_assets.webhooks.queue import WebhookQueue

log = logging.getLogger(__name__)

HEARTBEAT_S = 10.0


@dataclass(frozen=True)
class Outage:
    id: int
    receiver: str
    down_from: float  # seconds since the epoch: the last heartbeat before the outage
    down_until: float  # when the receiver started again


class ReceiverLog:
    """Heartbeats and outages in the queue's store (its tables: docs/webhooks.md)."""

    def __init__(self, queue: WebhookQueue) -> None:
        self.queue = queue
        self.backend = queue.backend

    def _now_ms(self) -> int:
        return int(self.queue.clock() * 1000)

    def start(self, receiver: str, outage_after_s: float) -> Outage | None:
        """A receiver starts: record an outage when its last heartbeat is older than `outage_after_s`."""
        now = self._now_ms()
        with self.backend.transaction() as execute:
            rows = execute("SELECT heartbeat_at FROM webhook_receivers WHERE name = ?", [receiver])
            execute("INSERT INTO webhook_receivers (name, started_at, heartbeat_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (name) DO UPDATE SET started_at = excluded.started_at,"
                    " heartbeat_at = excluded.heartbeat_at", [receiver, now, now])
            if not rows or now - rows[0][0] <= outage_after_s * 1000:
                return None
            found = execute("INSERT INTO webhook_outages (receiver, down_from, down_until) VALUES (?, ?, ?)"
                            " RETURNING id", [receiver, rows[0][0], now])
        outage = Outage(found[0][0], receiver, rows[0][0] / 1000, now / 1000)
        log.warning("the webhook receiver %s was down for %.0f s: an incremental sync will catch up what HubSpot "
                    "could not deliver", receiver, outage.down_until - outage.down_from)
        return outage

    def beat(self, receiver: str) -> None:
        self.backend.execute("UPDATE webhook_receivers SET heartbeat_at = ? WHERE name = ?", [self._now_ms(), receiver])

    def outages_to_catch_up(self) -> list[Outage]:
        rows = self.backend.execute("SELECT id, receiver, down_from, down_until FROM webhook_outages"
                                    " WHERE caught_up_at IS NULL ORDER BY id")
        return [Outage(r[0], r[1], r[2] / 1000, r[3] / 1000) for r in rows]

    def caught_up(self, outage_id: int) -> None:
        self.backend.execute("UPDATE webhook_outages SET caught_up_at = ? WHERE id = ?", [self._now_ms(), outage_id])

    def last_event_at(self) -> float | None:
        """When the newest event was received (seconds since the epoch); None before the first."""
        newest = self.backend.execute("SELECT MAX(received_at) FROM webhook_events")[0][0]
        return None if newest is None else newest / 1000


class Heartbeat:
    """A thread writing `receiver`'s heartbeat every `interval_s` (the record `ReceiverLog.start` reads)."""

    def __init__(self, queue: WebhookQueue, receiver: str, interval_s: float = HEARTBEAT_S) -> None:
        self.log = ReceiverLog(queue)
        self.receiver = receiver
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhook-heartbeat", daemon=True)

    def start(self, outage_after_s: float) -> Outage | None:
        outage = self.log.start(self.receiver, outage_after_s)
        self._thread.start()
        return outage

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.log.beat(self.receiver)
            except Exception as error:  # the queue store is away for a moment: the next beat tries again
                log.warning("could not record the receiver's heartbeat: %s", error)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(self.interval_s + 5)
