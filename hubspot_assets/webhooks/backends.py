"""The stores the webhook queue runs on, chosen by `HUBSPOT_QUEUE_URL`: SQLite (the default) or Postgres.

Each backend gives the queue one connection, used under a lock (the receiver calls it from a thread pool), and
the little SQL that differs: the id column, `FOR UPDATE SKIP LOCKED` and how a transaction starts. Queries are
written with `?` placeholders; Postgres gets them as `%s`.
- `sqlite:///relative/path.sqlite` or `sqlite:////absolute/path.sqlite`: WAL mode, so the receiver writes while
  the sensor reads, and `synchronous=FULL`, so an acknowledged batch survives a power cut, not only a crash.
- `postgresql://user:password@host:port/database` (psycopg 3): for several machines or heavy traffic.
Next to `webhook_events`, `webhook_alerts` keeps when each alert was last posted (alerts.py), so that the receiver
and the Dagster sensor, two processes, never both post the same one.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SCHEMA = """
CREATE TABLE IF NOT EXISTS webhook_events (
    id {id_column},
    dedupe_key TEXT NOT NULL UNIQUE,
    event_id BIGINT NOT NULL,
    occurred_at BIGINT NOT NULL,
    subscription_type TEXT NOT NULL,
    object_type TEXT,
    object_id BIGINT,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'claimed', 'done', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    received_at BIGINT NOT NULL,
    claimed_at BIGINT,
    claimed_by TEXT,
    finished_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_events_state_occurred ON webhook_events (state, occurred_at, id);
CREATE INDEX IF NOT EXISTS webhook_events_state_received ON webhook_events (state, received_at);
CREATE INDEX IF NOT EXISTS webhook_events_received ON webhook_events (received_at);
CREATE TABLE IF NOT EXISTS webhook_receivers (
    name TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS webhook_outages (
    id {id_column},
    receiver TEXT NOT NULL,
    down_from BIGINT NOT NULL,
    down_until BIGINT NOT NULL,
    caught_up_at BIGINT
);
CREATE TABLE IF NOT EXISTS webhook_alerts (
    alert TEXT PRIMARY KEY,
    sent_at BIGINT NOT NULL
);
"""


class Backend:
    """One connection to the queue's store. `execute` runs one statement (autocommit); `transaction()` yields an
    `execute` whose statements commit together."""

    skip_locked = ""

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self.transaction() as execute:
            return execute(sql, params)

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class SqliteBackend(Backend):
    def __init__(self, path: Path) -> None:
        super().__init__()
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; ours start with BEGIN IMMEDIATE (the write lock first,
        # so two processes never deadlock upgrading a read to a write).
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=FULL")
        self.connection.execute("PRAGMA busy_timeout=30000")
        self.connection.executescript(SCHEMA.format(id_column="INTEGER PRIMARY KEY AUTOINCREMENT"))

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self.lock:
            cursor = self.connection.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield lambda sql, params=(): cursor.execute(sql, params).fetchall()
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def close(self) -> None:
        with self.lock:
            self.connection.close()


class PostgresBackend(Backend):
    skip_locked = " FOR UPDATE SKIP LOCKED"  # two sensors never claim the same rows, nor wait for each other

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.shut = False
        self.connection = self._connect()
        with self.transaction() as execute:
            # Serialize the CREATEs: concurrent CREATE TABLE IF NOT EXISTS can still collide in Postgres.
            execute("SELECT pg_advisory_xact_lock(4242013)")
            for statement in filter(str.strip, SCHEMA.split(";")):
                execute(statement.format(id_column="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"))

    def _connect(self) -> Any:
        import psycopg  # only deployments that choose Postgres need it installed

        return psycopg.connect(self.url, autocommit=True)

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self.lock:
            if self.connection.closed and not self.shut:
                # Lost (a server restart, a failover): the statement that noticed failed, the next reconnects.
                self.connection = self._connect()
            with self.connection.transaction(), self.connection.cursor() as cursor:
                def execute(sql: str, params: Sequence[Any] = ()) -> list[tuple]:
                    cursor.execute(sql.replace("?", "%s"), params)
                    return cursor.fetchall() if cursor.description else []

                yield execute

    def close(self) -> None:
        with self.lock:
            self.shut = True
            self.connection.close()


def open_backend(url: str) -> Backend:
    """The backend of a queue URL (see the module docstring); `ValueError` naming HUBSPOT_QUEUE_URL otherwise."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        path = url.removeprefix("sqlite:///")
        if not path or path == url:
            raise ValueError(f"HUBSPOT_QUEUE_URL must be sqlite:///<path> (got {url!r})")
        return SqliteBackend(Path(path))
    if scheme in ("postgresql", "postgres"):
        return PostgresBackend(url)
    raise ValueError(f"HUBSPOT_QUEUE_URL must start with sqlite:/// or postgresql:// (got scheme {scheme!r})")
