"""HubSpot's rate budgets, shared by every thread and every process on the machine that uses the same app.

Budgets (per app, keyed by `TokenProvider.rate_limit_key`, a hash, never the token):
- general: the 10-second rolling budget of the tier (free/starter 100, pro/professional/enterprise 190,
  increase 250, oauth 110; unlimited = none), learned from `X-HubSpot-RateLimit-Max` /
  `-Interval-Milliseconds` when HubSpot sends them;
- search: 5 requests per second (HubSpot sends no headers for it);
- associations (v4 batch) and none: not limited.
- daily: from `X-HubSpot-RateLimit-Daily` / `-Daily-Remaining`; `acquire` raises `DailyLimitError` once only
  the reserve (`daily_reserve` share of the daily quota) is left, so other integrations keep working.

How: a sliding-window log in one SQLite file per app under `ClientSettings.state_dir` (WAL mode). `acquire` takes SQLite's
write lock (`BEGIN IMMEDIATE`, which serializes processes and threads alike), drops entries older than the window,
and records the send if fewer than `limit` remain, else computes exactly when the oldest blocking entry expires and
sleeps that long without holding the lock. HubSpot counts requests when they arrive, so the window is kept longer by
`rate_limit_margin` of it, and by at least `MIN_MARGIN_S` (10.3 s and 1.05 s by default): jitter between a send and
its arrival (thread scheduling, a new connection, server queueing) up to the margin can then never squeeze
`limit + 1` arrivals into one server window. The transport acquires right before it sends, and its HTTP adapter
tells the limiter when the request really goes out (`sending`: a thread can wait long after it was allowed, for the
interpreter lock or a pooled connection); the entry moves to that time when the answer comes, and round trips are
measured from it. A request whose round trip is much longer than the fastest recent one to the same path may have
waited before HubSpot counted it (a busy server or machine): `observe` then moves its entry later by what that
excess goes beyond the window's margin (the margin already allows for the rest), so a late arrival cannot meet the
next window's sends. Until its answer comes, a send keeps its place in the log even past the window (it may still be
on its way): a send that queued longer than a window would otherwise expire unanswered and let the next window's
sends meet it in HubSpot's count; one that never left (no connection) gives its place back, and one whose process
ended unanswered (a cancelled run) stops holding it. The round trip ends when the answer's headers arrive (the
transport times it with a response hook): downloading and parsing a large answer happen after HubSpot counted the
request. Comparing a path only with itself (contacts' searches with contacts' searches) keeps a request that always
takes longer to answer (hundreds of properties) from being re-dated for its size (until a path has a few samples,
the budget's fastest round trip on any path is the measure, and until the budget has a few, a send moves to when its
answer came, less the margin); a 429, answered at once, is no sample. When HubSpot's `-Remaining` shows more use
than this log knows of (another integration on the same app), phantom entries bring the log up to the server's
count; a 429 fills the window so every worker pauses. The 10-second budget is also paced (`GENERAL_PACE`): spread
over its window rather than spent in one burst at the start of each (its first quarter excepted: the first requests
of a run, or all of a short one, go out at once).

Why not pyrate-limiter's SQLiteBucket (read, v4.5): its blocking path re-dates a waiting item to
"original timestamp + planned sleep" instead of the time it really goes out, so when a sleep overruns (a busy
machine) the log holds an earlier time than the send, the entry expires early, and the next request can go
before HubSpot's window has passed: a 429 risk exactly when running near 100% of the budget. Its rates are
fixed at construction, so it cannot adopt HubSpot's `-Max` header or add the entries `-Remaining` calls for,
and it has no daily quota with a reserve. The log here is small, uses only sqlite3, and is tested across
processes (tests/client/test_ratelimit.py; bench/client_throughput.py measures how much of each budget it uses).
"""

from __future__ import annotations

import math
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from filelock import FileLock

from hubspot_assets.hubspot.errors import DailyLimitError
from hubspot_assets.hubspot.logging import RATELIMIT_LOGGER, get_logger
from hubspot_assets.hubspot.settings import ClientSettings

log = get_logger(RATELIMIT_LOGGER)

TEN_SECOND_LIMITS: dict[str, int | None] = {
    "free": 100,
    "starter": 100,
    "pro": 190,
    "professional": 190,
    "enterprise": 190,
    "increase": 250,
    "oauth": 110,
    "unlimited": None,
}
GENERAL_WINDOW_S = 10.0
SEARCH_PER_SECOND = 5
# The least margin on any window: a proportional 3% is only 30 ms on the 1 s search window, less than the
# scheduling jitter of a busy machine. 50 ms still leaves 95% of the search budget usable.
MIN_MARGIN_S = 0.05
# A send is moved later in the log (see `observe`) only when it may have reached HubSpot at least this much later
# than the window's margin allows for.
RESTAMP_MIN_S = 0.005
# Round trips remembered per path (and per budget): the yardstick is the fastest of them. Long enough (minutes of a
# busy path) that a stretch where every request queues (a busy server or machine) does not become the yardstick
# itself: that would re-date its sends too little.
RTT_SAMPLES = 256
PATH_SAMPLES_MIN = 4  # round trips to a path before it is compared with itself only
# The 10-second budget is also paced: at most `GENERAL_PACE` times its average rate in any `GENERAL_PACE_WINDOW_S`. A
# bare sliding window lets a full budget go out in the first second of a run and then replays that burst every
# window, so the work its answers bring (hundreds of pages to parse at once) arrives in bursts that starve the
# search budget's requests of the machine; paced, the same budget goes out evenly and no less of it is used. The first
# `GENERAL_UNPACED` of the budget in a window goes unpaced: a run's first requests (every type's metadata, which
# everything else waits for) and a short run (an incremental sync with nothing to fetch) go out at once.
GENERAL_PACE = 1.1
GENERAL_PACE_WINDOW_S = 1.0
GENERAL_UNPACED = 0.25
# A send still waiting for its answer keeps its place in the log past the window (HubSpot may not have counted it
# yet); while it blocks the next send, that send checks again this often.
IN_FLIGHT_POLL_S = 0.02
DAILY_STATE_TTL_S = 600.0  # after this long without fresh daily headers, let a request through to learn again
DAILY_OBSERVE_EVERY_S = 2.0  # how often HubSpot's daily count is written to the shared state

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sends (
    budget TEXT NOT NULL, ts REAL NOT NULL, open INTEGER NOT NULL DEFAULT 0, pid INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sends_budget_ts ON sends (budget, ts);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v REAL NOT NULL, at REAL NOT NULL);
"""


def _alive(pid: int) -> bool:
    """Whether process `pid` runs on this machine (the log lives on a local disk: its pids are this machine's)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


class RateLimiter:
    """Cross-process rate budgets for one HubSpot app. Thread-safe and fork-safe."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        key: str,
        tier: str | None = None,
        clock: Any = time.time,
        sleep: Any = time.sleep,
    ) -> None:
        self.key = key
        self.tier = tier or settings.tier
        self.margin = settings.rate_limit_margin
        self.daily_reserve = settings.daily_reserve
        state_dir = settings.absolute(settings.state_dir)
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path: Path = state_dir / f"ratelimit-{key}.sqlite"
        self._clock = clock
        self._sleep = sleep
        self._local = threading.local()
        self._prepared_by: int | None = None  # the process that set the file up (a forked child does it again)
        self._prepare_lock = threading.Lock()
        self._rtts: dict[tuple[str, str | None], deque[float]] = {}  # per (budget, path)
        self._budget_rtts: dict[str, deque[float]] = {}  # per budget, any path
        self._rtts_lock = threading.Lock()
        # A send whose answer never came back to `observe` stops holding its place once its process is gone (a
        # cancelled run), else after the longest a request can wait for an answer.
        self.in_flight_max_s = settings.connect_timeout_s + settings.read_timeout_s
        self._conn()  # creates the file and schema up front, so the first request pays no setup cost

    # -- storage --------------------------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None or getattr(self._local, "pid", None) != os.getpid():
            con = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            if self._prepared_by != os.getpid():
                self._prepare(con)
            con.execute("PRAGMA synchronous=OFF")  # the log is disposable state; losing it costs one window
            self._local.con = con
            self._local.pid = os.getpid()
        return con

    def _prepare(self, con: sqlite3.Connection) -> None:
        """Put the file in WAL mode and create (or upgrade) its tables, once per process: both persist in the file,
        and each of a run's many worker threads would otherwise queue on the file lock to repeat them."""
        # Switching to WAL needs an exclusive lock that SQLite's busy timeout does not wait for: processes
        # opening the file at the same moment take turns through a file lock instead.
        with self._prepare_lock, FileLock(str(self.path) + ".init.lock", thread_local=False):
            if self._prepared_by == os.getpid():
                return
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(_SCHEMA)
            columns = {row[1] for row in con.execute("PRAGMA table_info(sends)")}
            for column in ("open", "pid"):  # a log written by an earlier version
                if column not in columns:
                    con.execute(f"ALTER TABLE sends ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0")
            self._prepared_by = os.getpid()

    class _Tx:
        def __init__(self, con: sqlite3.Connection) -> None:
            self.con = con

        def __enter__(self) -> sqlite3.Connection:
            self.con.execute("BEGIN IMMEDIATE")
            return self.con

        def __exit__(self, exc_type: Any, *rest: Any) -> None:
            self.con.execute("ROLLBACK" if exc_type else "COMMIT")

    def _tx(self) -> RateLimiter._Tx:
        return RateLimiter._Tx(self._conn())

    @staticmethod
    def _meta(con: sqlite3.Connection, key: str) -> tuple[float, float] | None:
        row = con.execute("SELECT v, at FROM meta WHERE k = ?", (key,)).fetchone()
        return (row[0], row[1]) if row else None

    @staticmethod
    def _set_meta(con: sqlite3.Connection, key: str, value: float, at: float) -> None:
        con.execute("INSERT OR REPLACE INTO meta (k, v, at) VALUES (?, ?, ?)", (key, value, at))

    # -- limits ---------------------------------------------------------------------------------------------
    def _limit(self, con: sqlite3.Connection, budget: str) -> tuple[int, float] | None:
        if budget == "general":
            configured = TEN_SECOND_LIMITS.get(self.tier, 190)
            learned = self._meta(con, "general_max")
            if configured is None and learned is None:
                return None
            limit = int(learned[0]) if learned else int(configured)  # type: ignore[arg-type]
            interval = self._meta(con, "general_interval_ms")
            window = (interval[0] / 1000.0) if interval else GENERAL_WINDOW_S
            return limit, self._with_margin(window)
        if budget == "search":
            if self.tier == "unlimited":
                return None
            return SEARCH_PER_SECOND, self._with_margin(1.0)
        return None  # associations batch and unauthenticated calls are outside the 10-second budget

    def _with_margin(self, window: float) -> float:
        return window + max(window * self.margin, MIN_MARGIN_S)

    def limit(self, budget: Any) -> tuple[int, float] | None:
        """(requests, window seconds incl. margin) for a budget, or None when it is not limited."""
        return self._limit(self._conn(), getattr(budget, "value", budget))  # a read: no write lock

    # -- the public surface used by the transport -----------------------------------------------------------
    def acquire(self, budget: Any, *, method: str | None = None, endpoint: str | None = None) -> float:
        """Block until a request on `budget` may be sent, record it, and return the seconds waited.

        Raises `DailyLimitError` when only the daily reserve is left (or a DAILY 429 was seen recently).
        """
        name = getattr(budget, "value", budget)
        if name == "none":
            return 0.0
        waited = 0.0
        while True:
            with self._tx() as con:
                now = self._clock()
                self._check_daily(con, now, method, endpoint)
                limit = self._limit(con, name)
                if limit is None:
                    self._count_daily(con)
                    self._set_remaining(name, None)
                    return waited
                count, window = limit
                # Expired entries go, except sends still waiting for their answer: one that queued before HubSpot
                # counted it may arrive now, so it holds its place until its answer re-dates it (see `observe`).
                con.execute(
                    "DELETE FROM sends WHERE budget = ? AND ts <= ? AND (open = 0 OR ts <= ?)",
                    (name, now - window, now - self.in_flight_max_s),
                )
                used = con.execute("SELECT COUNT(*) FROM sends WHERE budget = ?", (name,)).fetchone()[0]
                if used >= count:
                    used -= self._drop_orphans(con, name, now - window)
                delay = self._wait(con, name, count, window, now, used)
                if delay is None and name == "general":
                    delay = self._pace(con, count, window, now, used)
                if delay is None:
                    cursor = con.execute(
                        "INSERT INTO sends (budget, ts, open, pid) VALUES (?, ?, 1, ?)", (name, now, os.getpid())
                    )
                    self._local.sent = (name, cursor.lastrowid, now, endpoint)
                    self._local.sending_at = None
                    self._count_daily(con)
                    self._set_remaining(name, count - used - 1)
                    return waited
                self._set_remaining(name, max(count - used, 0))
            self._sleep(delay)
            waited += delay

    @staticmethod
    def _drop_orphans(con: sqlite3.Connection, name: str, expired: float) -> int:
        """Drop sends held past the window (`ts <= expired`) for an answer that will never come: their process has
        ended (a cancelled run killed mid-request). Returns how many went."""
        held = con.execute(
            "SELECT rowid, pid FROM sends WHERE budget = ? AND open = 1 AND ts <= ? AND pid != ?",
            (name, expired, os.getpid()),
        ).fetchall()
        gone = [(rowid,) for rowid, pid in held if not _alive(pid)]
        con.executemany("DELETE FROM sends WHERE rowid = ?", gone)
        return len(gone)

    @staticmethod
    def _wait(
        con: sqlite3.Connection, name: str, count: int, span: float, now: float, used: int, since: float | None = None
    ) -> float | None:
        """Seconds until a send fits `count` per `span` given the `used` sends in the log (those after `since`), or
        None if it fits now."""
        if used < count:
            return None
        # The entry whose expiry frees a slot: the (used - count + 1)-th oldest. A send kept past the span while it
        # waits for its answer frees its slot only when the answer comes: check again shortly.
        row = con.execute(
            "SELECT ts FROM sends WHERE budget = ? AND ts > ? ORDER BY ts LIMIT 1 OFFSET ?",
            (name, -math.inf if since is None else since, used - count),
        ).fetchone()
        expiry = row[0] + span - now if row else 0.0
        return expiry if expiry > 0 else IN_FLIGHT_POLL_S

    def _pace(self, con: sqlite3.Connection, count: int, window: float, now: float, used: int) -> float | None:
        """Seconds until the 10-second budget's pace allows a send (see `GENERAL_PACE`), or None. `used`: sends in
        the window."""
        if used < count * GENERAL_UNPACED:
            return None
        span = GENERAL_PACE_WINDOW_S
        paced = max(1, math.ceil(count * span / window * GENERAL_PACE))
        since = now - span
        used = con.execute("SELECT COUNT(*) FROM sends WHERE budget = 'general' AND ts > ?", (since,)).fetchone()[0]
        return self._wait(con, "general", paced, span, now, used, since)

    def now(self) -> float:
        """The limiter's clock (what `observe`'s `answered_at` is measured on)."""
        return self._clock()

    def sending(self) -> None:
        """This thread's request is going out now (the transport's adapter calls this right before the send). The
        log holds when the send was allowed; a thread can wait long after that (the interpreter lock, a pooled
        connection), and an entry older than its send expires before HubSpot's window of it has passed. When the
        answer comes, `observe` moves the entry to this time and measures the round trip from it."""
        self._local.sending_at = self._clock()

    def observe(
        self,
        budget: Any,
        headers: Mapping[str, str],
        status: int | None = None,
        *,
        answered_at: float | None = None,
        path: str | None = None,
    ) -> None:
        """Learn from HubSpot's rate-limit headers (absent headers are fine). Call after every answered attempt,
        from the thread that acquired for it: a slow round trip also re-dates that send (see the module doc).
        `answered_at`: when the answer's headers came in (`now()` then); by default, now (an attempt that got no
        answer, or a caller that cannot tell). `path`: what the round trip is compared with (the same path's
        recent ones; by default the endpoint given to `acquire`)."""
        name = getattr(budget, "value", budget)
        # A refusal is not counted by HubSpot and comes back at once: neither re-dated nor a round-trip sample.
        if status == 429:
            sent = self._take_send(name)
            answer = None if sent is None else (sent[1], None)
        else:
            interval_ms = _header_int(headers, "X-HubSpot-RateLimit-Interval-Milliseconds")
            answer = self._settle(name, answered_at, path, interval_ms)
        self._observe(name, headers, answer)

    def unsent(self, budget: Any) -> None:
        """The request this thread acquired for never went out (no connection): its entry goes, freeing its slot."""
        sent = self._take_send(getattr(budget, "value", budget))
        if sent is not None:
            with self._tx() as con:
                con.execute("DELETE FROM sends WHERE rowid = ?", (sent[1],))

    def _take_send(self, name: str) -> tuple[str, int, float, str | None] | None:
        """This thread's last send on `name` (budget, rowid, logged time, endpoint), now settled; else None."""
        sent = getattr(self._local, "sent", None)
        self._local.sent = None
        return sent if sent is not None and sent[0] == name else None

    def _settle(
        self, name: str, answered_at: float | None, path: str | None, interval_ms: int | None
    ) -> tuple[int, float | None] | None:
        """(rowid, later ts or None) for this thread's last send: a later ts when it went out late or its round trip
        took unusually long. None when this thread has no send on `name` to settle. `interval_ms`: the window
        HubSpot's headers gave, if any."""
        sent = self._take_send(name)
        if sent is None:
            return None
        _, rowid, logged, endpoint = sent
        went = getattr(self._local, "sending_at", None)
        self._local.sending_at = None
        sent_at = went if went is not None and went > logged else logged
        rtt = (self._clock() if answered_at is None else answered_at) - sent_at
        with self._rtts_lock:
            samples = self._rtts.setdefault((name, path or endpoint), deque(maxlen=RTT_SAMPLES))
            samples.append(rtt)
            overall = self._budget_rtts.setdefault(name, deque(maxlen=RTT_SAMPLES))
            overall.append(rtt)
            # A path seen only a few times (the start of a run, when many paths go out at once and may queue)
            # is compared with the budget's fastest round trip, any path: never re-dated too little. The first
            # sends of a budget have no yardstick at all: they move to when their answer came (HubSpot counted
            # them before it answered).
            if len(samples) >= PATH_SAMPLES_MIN:
                fastest = min(samples)
            else:
                fastest = min(overall) if len(overall) >= PATH_SAMPLES_MIN else 0.0
        # The fastest recent round trip is what the answer itself costs; beyond it, the request may have queued
        # before HubSpot counted it, by at most the excess. The window is already kept longer by its margin for
        # exactly that: only what goes beyond the margin moves the entry (moving it by the whole excess would hold
        # the same delay back twice, a slot's worth of budget lost every few sends).
        late = rtt - fastest - self._margin(name, interval_ms)
        later = sent_at + late if late > RESTAMP_MIN_S else sent_at
        return rowid, (later if later > logged + RESTAMP_MIN_S else None)

    def _margin(self, name: str, interval_ms: int | None) -> float:
        """What the window of budget `name` is kept longer by (see `_with_margin`). `interval_ms`: the 10-second
        window's length as the answer's headers gave it (HubSpot sends it on every answer: no read of the log)."""
        if name == "search":
            base = 1.0
        elif interval_ms:
            base = interval_ms / 1000.0
        else:
            interval = self._meta(self._conn(), "general_interval_ms")  # a read: no write lock
            base = interval[0] / 1000.0 if interval else GENERAL_WINDOW_S
        return self._with_margin(base) - base

    def _observe(
        self, name: str, headers: Mapping[str, str], answer: tuple[int, float | None] | None = None
    ) -> None:
        """`answer`: (rowid, later ts or None) of the send this answer settles (it stops waiting, and moves to the
        later ts if one is given)."""
        limit_max = _header_int(headers, "X-HubSpot-RateLimit-Max")
        interval_ms = _header_int(headers, "X-HubSpot-RateLimit-Interval-Milliseconds")
        remaining = _header_int(headers, "X-HubSpot-RateLimit-Remaining")
        daily = _header_int(headers, "X-HubSpot-RateLimit-Daily")
        daily_remaining = _header_int(headers, "X-HubSpot-RateLimit-Daily-Remaining")
        if limit_max is None and daily_remaining is None and answer is None:
            return
        now = self._clock()
        general = name == "general" and limit_max is not None
        window = self._with_margin(interval_ms / 1000.0 if interval_ms else GENERAL_WINDOW_S)
        # Decide from plain reads whether anything must be written: most answers change nothing, and a write
        # transaction serializes every thread and process of the app.
        con = self._conn()
        learn = general and self._learned_changed(con, limit_max, interval_ms)
        foreign = general and remaining is not None and self._foreign(con, limit_max, remaining, window, now) > 0
        daily_due = daily_remaining is not None and self._daily_due(con, daily, now)
        if not (answer or learn or foreign or daily_due):
            return
        with self._tx() as con:
            if answer is not None:
                rowid, later = answer
                con.execute(
                    "UPDATE sends SET open = 0, ts = MAX(ts, COALESCE(?, ts)) WHERE rowid = ?", (later, rowid)
                )
            if learn:
                log.info("rate limit learned from HubSpot: %d requests per window", limit_max)
                self._set_meta(con, "general_max", limit_max, now)  # type: ignore[arg-type]
                if interval_ms:
                    self._set_meta(con, "general_interval_ms", interval_ms, now)
            if foreign:
                extra = self._foreign(con, limit_max, remaining, window, now)  # type: ignore[arg-type]
                if extra > 0:
                    # Someone else spends this app's budget: count their calls as ours.
                    con.executemany("INSERT INTO sends (budget, ts) VALUES ('general', ?)", [(now,)] * extra)
                    log.info("HubSpot counts %d more calls than this machine sent; holding back", extra)
            if daily_due:
                if daily is not None:
                    self._set_meta(con, "daily_max", daily, now)
                self._set_meta(con, "daily_remaining", daily_remaining, now)  # type: ignore[arg-type]
                self._set_meta(con, "daily_sent_since", 0, now)

    def _learned_changed(self, con: sqlite3.Connection, limit_max: int, interval_ms: int | None) -> bool:
        known = self._meta(con, "general_max")
        known_interval = self._meta(con, "general_interval_ms")
        return known is None or int(known[0]) != limit_max or (
            interval_ms is not None and (known_interval is None or int(known_interval[0]) != interval_ms)
        )

    @staticmethod
    def _foreign(con: sqlite3.Connection, limit_max: int, remaining: int, window: float, now: float) -> int:
        """How many more calls HubSpot counts in the window than this machine's log holds."""
        ours = con.execute(
            "SELECT COUNT(*) FROM sends WHERE budget = 'general' AND ts > ?", (now - window,)
        ).fetchone()[0]
        return (limit_max - remaining) - ours

    def _daily_due(self, con: sqlite3.Connection, daily: int | None, now: float) -> bool:
        """Whether to record HubSpot's daily count now. Between observations every send is counted in
        `daily_sent_since`, so the estimate stays exact; re-reading HubSpot's count every few seconds catches
        other integrations' use without a write per request."""
        seen = self._meta(con, "daily_remaining")
        if seen is None or now - seen[1] >= DAILY_OBSERVE_EVERY_S:
            return True
        known_max = self._meta(con, "daily_max")
        return daily is not None and (known_max is None or int(known_max[0]) != daily)

    def penalize(self, budget: Any, policy: str | None) -> None:
        """After a 429 on `budget`: fill its window so every worker pauses until it rolls over."""
        name = getattr(budget, "value", budget)
        with self._tx() as con:
            limit = self._limit(con, name)
            if limit is None:
                return
            count, window = limit
            now = self._clock()
            used = con.execute(
                "SELECT COUNT(*) FROM sends WHERE budget = ? AND ts > ?", (name, now - window)
            ).fetchone()[0]
            if used < count:
                con.executemany("INSERT INTO sends (budget, ts) VALUES (?, ?)", [(name, now)] * (count - used))
            log.warning("429 (%s) on the %s budget: pausing every worker for one window", policy, name)

    def mark_daily_exhausted(self) -> None:
        """After a DAILY 429: make every worker on this machine stop too (re-checked after a while)."""
        with self._tx() as con:
            now = self._clock()
            self._set_meta(con, "daily_remaining", 0, now)
            self._set_meta(con, "daily_sent_since", 0, now)

    def remaining(self, budget: Any) -> int | None:
        """Requests left in the window as of this thread's last acquire (None = unlimited/unknown). Per thread, so
        the transport logs the figure its own request saw, not another thread's."""
        return (getattr(self._local, "remaining", None) or {}).get(getattr(budget, "value", budget))

    def _set_remaining(self, name: str, value: int | None) -> None:
        remaining = getattr(self._local, "remaining", None)
        if remaining is None:
            remaining = self._local.remaining = {}
        remaining[name] = value

    def reset(self) -> None:
        """Forget every recorded send and learned value (tests, benchmarks)."""
        with self._tx() as con:
            con.execute("DELETE FROM sends")
            con.execute("DELETE FROM meta")

    # -- daily quota ----------------------------------------------------------------------------------------
    def _count_daily(self, con: sqlite3.Connection) -> None:
        con.execute("UPDATE meta SET v = v + 1 WHERE k = 'daily_sent_since'")

    def _check_daily(self, con: sqlite3.Connection, now: float, method: str | None, endpoint: str | None) -> None:
        remaining = self._meta(con, "daily_remaining")
        if remaining is None or now - remaining[1] > DAILY_STATE_TTL_S:
            return
        sent = self._meta(con, "daily_sent_since")
        left = remaining[0] - (sent[0] if sent else 0)
        daily_max = self._meta(con, "daily_max")
        reserve = (daily_max[0] * self.daily_reserve) if daily_max else 0.0
        if left <= 0:
            raise DailyLimitError(
                "HubSpot's daily API limit for this account is spent",
                policy="DAILY",
                method=method,
                endpoint=endpoint,
            )
        if left <= reserve:
            raise DailyLimitError(
                f"stopping before the daily API limit: about {int(left)} of {int(daily_max[0])} calls are left "  # type: ignore[index]
                f"today and HUBSPOT_DAILY_RESERVE={self.daily_reserve:g} keeps {int(reserve)} for the account's "
                "other integrations",
                policy="DAILY",
                method=method,
                endpoint=endpoint,
                hint=f"the daily quota resets at midnight; load less per day, or lower HUBSPOT_DAILY_RESERVE "
                f"(now {self.daily_reserve:g}) if no other integration needs the rest",
            )
