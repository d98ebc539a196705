"""The durable queue of webhook events between the receiver and the partial refresh (schema: docs/webhooks.md).

Every event is a row in `webhook_events`, in one of four states:

    pending --claim--> claimed --complete--> done --prune (after the retention)--> deleted
       ^                  |
       +---fail/release---+--(attempts reached max_attempts)--> dead

- `enqueue` (the receiver) stores a batch in one transaction; a repeat of a stored event (same `dedupe_key`,
  see events.py) is ignored, whatever state the first copy is in, so a redelivery never causes work twice.
- `claim(limit, claimer)` takes the oldest pending events (by `occurredAt`) and counts an attempt; `complete`
  marks them done once the refresh that covers them has committed; `fail` returns them to pending, or makes them
  dead letters after `max_attempts`.
- `release_stale()` returns claims held longer than `claim_timeout_s`, or by a process of this machine that no
  longer runs, as if they had failed (a refresh that crashes its process every time still ends as a dead letter).
- `prune()` deletes done events older than `retention_s`. Dead letters stay until someone looks at them.
Times come from `clock` (seconds since the epoch) and are stored as milliseconds, so tests move time by hand.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from hubspot_assets.webhooks.backends import Backend, open_backend
from hubspot_assets.webhooks.events import WebhookEvent, parse_event

if TYPE_CHECKING:
    from hubspot_assets.settings import Settings

STATES = ("pending", "claimed", "done", "dead")
Clock = Callable[[], float]
_CHUNK = 200  # rows per statement, well under every store's limit on parameters


@dataclass(frozen=True)
class QueuedEvent:
    """An event as the queue holds it: its row id, the parsed event and how many times it was claimed."""

    id: int
    event: WebhookEvent
    attempts: int
    received_at: float


@dataclass(frozen=True)
class Batch:
    """Events claimed together by one claimer; hand it back to `complete` or `fail`."""

    claimer: str
    events: tuple[QueuedEvent, ...]

    @property
    def ids(self) -> list[int]:
        return [queued.id for queued in self.events]

    def __len__(self) -> int:
        return len(self.events)


def claimer_name(name: str = "claimer") -> str:
    """A claimer name that also says which process holds the claim (`name@host:pid`), so that
    `release_stale` can free the claims of a process that died without waiting for the timeout."""
    return f"{name}@{socket.gethostname()}:{os.getpid()}"


class WebhookQueue:
    """The queue (see the module docstring). Thread-safe; every process opens its own."""

    def __init__(self, url: str, *, clock: Clock = time.time, max_attempts: int = 5,
                 claim_timeout_s: float = 600, retention_s: float = 7 * 86400) -> None:
        self.backend: Backend = open_backend(url)
        self.clock = clock
        self.max_attempts = max_attempts
        self.claim_timeout_s = claim_timeout_s
        self.retention_s = retention_s

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock = time.time) -> WebhookQueue:
        """The queue of `HUBSPOT_QUEUE_URL` with the `HUBSPOT_QUEUE_*` limits."""
        url = str(settings.queue_url)
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            # A relative path is relative to where the command runs; make it absolute once, here.
            url = "sqlite:///" + str(Path(url.removeprefix("sqlite:///")).resolve())
        return cls(url, clock=clock, max_attempts=settings.queue_max_attempts,
                   claim_timeout_s=settings.queue_claim_timeout_s, retention_s=settings.queue_retention_s)

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def close(self) -> None:
        self.backend.close()

    # -- the receiver ------------------------------------------------------------------------------------------

    def enqueue(self, events: Sequence[WebhookEvent]) -> int:
        """Store events durably (one transaction: all or none); returns how many were new (not repeats)."""
        return self.enqueue_batches([events])[0]

    def enqueue_batches(self, batches: Sequence[Sequence[WebhookEvent]]) -> list[int]:
        """Store several deliveries in one transaction (one disk sync for all: the receiver's group commit);
        returns, per batch, how many of its events were new."""
        now = self._now_ms()
        prepared = []  # rows built before the transaction, so the store's lock is held for SQL only
        for events in batches:
            unique = {event.dedupe_key: event for event in reversed(events)}  # the first copy wins
            prepared.append([_row(event, now) for event in reversed(unique.values())])
        stored = []
        with self.backend.transaction() as execute:
            for rows in prepared:
                new = 0
                for chunk in _chunks(rows):
                    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
                    new += len(execute(
                        "INSERT INTO webhook_events (dedupe_key, event_id, occurred_at, subscription_type,"
                        f" object_type, object_id, payload, received_at, updated_at) VALUES {values}"
                        " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
                        [value for row in chunk for value in row],
                    ))
                stored.append(new)
        return stored

    # -- the sensor and the partial refresh --------------------------------------------------------------------

    def claim(self, limit: int, claimer: str | None = None) -> Batch:
        """Up to `limit` pending events, oldest `occurredAt` first, now claimed by `claimer` (default: this
        process, see `claimer_name`). An empty batch when nothing is pending."""
        claimer = claimer or claimer_name()
        now = self._now_ms()
        rows = self.backend.execute(
            "UPDATE webhook_events SET state = 'claimed', claimed_by = ?, claimed_at = ?, attempts = attempts + 1,"
            " updated_at = ? WHERE id IN (SELECT id FROM webhook_events WHERE state = 'pending'"
            f" ORDER BY occurred_at, id LIMIT ?{self.backend.skip_locked})"
            " RETURNING id, payload, attempts, received_at, occurred_at",
            [claimer, now, now, int(limit)],
        )
        return Batch(claimer, _queued(rows))

    def claim_ids(self, ids: Sequence[int], claimer: str | None = None) -> Batch:
        """The events `ids` that are still pending, now claimed by `claimer`: a run launched for events the sensor
        saw takes exactly those (others may have come since); ones done or claimed meanwhile are left alone."""
        claimer = claimer or claimer_name()
        now = self._now_ms()
        rows = []
        with self.backend.transaction() as execute:
            for chunk in _chunks(list(ids)):
                marks = ", ".join("?" * len(chunk))
                rows += execute(
                    "UPDATE webhook_events SET state = 'claimed', claimed_by = ?, claimed_at = ?,"
                    f" attempts = attempts + 1, updated_at = ? WHERE id IN ({marks}) AND state = 'pending'"
                    " RETURNING id, payload, attempts, received_at, occurred_at",
                    [claimer, now, now, *chunk],
                )
        return Batch(claimer, _queued(rows))

    def pending(self, limit: int) -> list[QueuedEvent]:
        """Up to `limit` pending events, oldest `occurredAt` first, left pending (what the sensor plans from)."""
        rows = self.backend.execute(
            "SELECT id, payload, attempts, received_at, occurred_at FROM webhook_events WHERE state = 'pending'"
            " ORDER BY occurred_at, id LIMIT ?", [int(limit)])
        return list(_queued(rows))

    def complete(self, batch: Batch) -> int:
        """Mark a batch done (call it after its refresh committed); returns how many events were marked. Events
        whose claim was released meanwhile are not: they stay queued and are refreshed once more, never lost."""
        now = self._now_ms()
        return self._update_claimed(batch.ids, batch.claimer,
                                    "state = 'done', finished_at = ?, updated_at = ?", [now, now])

    def fail(self, batch: Batch, error: str) -> int:
        """Return a batch to pending with `error` as its last error; events claimed `max_attempts` times become
        dead letters instead. Returns how many events were returned or made dead."""
        return self._give_back(batch.ids, batch.claimer, error)

    def release_stale(self) -> int:
        """Give back (as `fail` does) every claim older than `claim_timeout_s` or held by a process of this machine
        that has ended; returns how many events were released."""
        now = self._now_ms()
        deadline = now - int(self.claim_timeout_s * 1000)
        rows = self.backend.execute("SELECT id, claimed_by, claimed_at FROM webhook_events WHERE state = 'claimed'")
        ended = {claimer: _ended(claimer) for _, claimer, _ in rows}
        stale: dict[str, list[int]] = {}
        for row_id, claimer, claimed_at in rows:
            if claimed_at < deadline or ended[claimer]:
                stale.setdefault(claimer, []).append(row_id)
        released = 0
        for claimer, ids in stale.items():
            reason = "its process ended" if ended[claimer] else f"held over {self.claim_timeout_s:g} s"
            released += self._give_back(ids, claimer, f"claim by {claimer} released: {reason}")
        return released

    def prune(self) -> int:
        """Delete done events finished more than `retention_s` ago; returns how many."""
        cutoff = self._now_ms() - int(self.retention_s * 1000)
        return len(self.backend.execute(
            "DELETE FROM webhook_events WHERE state = 'done' AND finished_at < ? RETURNING id", [cutoff]))

    # -- monitoring ---------------------------------------------------------------------------------------------

    def depth(self) -> dict[str, int]:
        """How many events are in each state (every state listed, 0 when empty)."""
        counts = dict.fromkeys(STATES, 0)
        for state, count in self.backend.execute("SELECT state, COUNT(*) FROM webhook_events GROUP BY state"):
            counts[state] = count
        return counts

    def oldest_pending_age(self) -> float | None:
        """Seconds since the oldest pending event was received; None when nothing is pending."""
        oldest = self.backend.execute("SELECT MIN(received_at) FROM webhook_events WHERE state = 'pending'")[0][0]
        return None if oldest is None else max(0.0, (self._now_ms() - oldest) / 1000)

    def dead_letters(self, limit: int = 100) -> list[tuple[QueuedEvent, str | None]]:
        """Dead events with their last error, oldest first."""
        rows = self.backend.execute(
            "SELECT id, payload, attempts, received_at, last_error FROM webhook_events WHERE state = 'dead'"
            " ORDER BY occurred_at, id LIMIT ?", [int(limit)])
        return [(QueuedEvent(r[0], parse_event(orjson.loads(r[1])), r[2], r[3] / 1000), r[4]) for r in rows]

    # -- shared -------------------------------------------------------------------------------------------------

    def _give_back(self, ids: list[int], claimer: str, error: str) -> int:
        now = self._now_ms()
        return self._update_claimed(
            ids, claimer,
            "state = CASE WHEN attempts >= ? THEN 'dead' ELSE 'pending' END,"
            " finished_at = CASE WHEN attempts >= ? THEN ? ELSE NULL END,"
            " claimed_by = NULL, claimed_at = NULL, last_error = ?, updated_at = ?",
            [self.max_attempts, self.max_attempts, now, error[:2000], now],
        )

    def _update_claimed(self, ids: list[int], claimer: str, assignments: str, params: list) -> int:
        # Only rows still claimed by this claimer: a claim released and taken by another is not touched.
        changed = 0
        with self.backend.transaction() as execute:
            for chunk in _chunks(ids):
                marks = ", ".join("?" * len(chunk))
                changed += len(execute(
                    f"UPDATE webhook_events SET {assignments} WHERE id IN ({marks}) AND state = 'claimed'"
                    " AND claimed_by = ? RETURNING id", [*params, *chunk, claimer]))
        return changed


def _queued(rows: list[tuple]) -> tuple[QueuedEvent, ...]:
    """Rows of (id, payload, attempts, received_at, occurred_at) as events, oldest `occurredAt` first."""
    rows = sorted(rows, key=lambda row: (row[4], row[0]))
    return tuple(QueuedEvent(row[0], parse_event(orjson.loads(row[1])), row[2], row[3] / 1000) for row in rows)


def _row(event: WebhookEvent, now_ms: int) -> tuple:
    object_id = event.object_ids[0] if event.object_ids else None
    payload = event.payload().decode()
    return (event.dedupe_key, event.event_id, event.occurred_at, event.subscription_type, event.object_type,
            object_id, payload, now_ms, now_ms)


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    return (items[start:start + size] for start in range(0, len(items), size))


def _ended(claimer: str | None) -> bool:
    """True when `claimer` (`name@host:pid`) names a process of this machine that no longer runs."""
    _, _, place = (claimer or "").rpartition("@")
    host, _, pid = place.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(int(pid))


def _is_zombie(pid: int) -> bool:
    # A killed child nobody has waited for yet still answers signals; its state says it has ended.
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return status.rpartition(")")[2].split()[:1] == ["Z"]
