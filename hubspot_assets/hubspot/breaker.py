"""A circuit breaker per host: stop hammering a HubSpot (or sandbox) that keeps failing.

closed --(N consecutive failures)--> open --(after `breaker_open_s`)--> half-open --(probe ok)--> closed
                                       ^------------------------(probe fails)----------------------'
While open, calls fail fast with `CircuitOpenError` naming when the next probe goes out. In half-open exactly one
call (the probe) is let through; the others fail fast until it answers. Failures are 5xx, 521-524, connection
errors, timeouts and malformed bodies; any 2xx-4xx answer (429 included) proves the host is up.
Transitions are logged on `hubspot_elt.breaker`; `state` shows in the transport's metrics.

One breaker per host per process (`breaker_for`), shared by every transport and thread in the process.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

from hubspot_assets.hubspot.errors import CircuitOpenError
from hubspot_assets.hubspot.logging import BREAKER_LOGGER, get_logger
from hubspot_assets.hubspot.settings import ClientSettings

log = get_logger(BREAKER_LOGGER)

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class CircuitBreaker:
    """Consecutive-failure breaker. `clock` is injectable for tests; thread-safe."""

    def __init__(self, host: str, *, failure_threshold: int = 5, open_s: float = 30.0, clock=time.time) -> None:
        self.host = host
        self.failure_threshold = failure_threshold
        self.open_s = open_s
        self._clock = clock
        self._lock = threading.Lock()
        self._state = CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probe_in_flight = False
        self._probe_started = 0.0
        self.opened_count = 0  # times the breaker opened (metrics)

    @property
    def state(self) -> str:
        with self._lock:
            if self._state == OPEN and self._clock() >= self._opened_at + self.open_s:
                return HALF_OPEN
            return self._state

    @property
    def probe_at(self) -> float | None:
        """Epoch seconds when an open breaker lets its probe through (None when closed)."""
        with self._lock:
            return self._opened_at + self.open_s if self._state != CLOSED else None

    def before_call(self, *, method: str | None = None, endpoint: str | None = None) -> bool:
        """Raise `CircuitOpenError` unless a call may go out now (closed, or this call is the half-open probe).

        Returns True when this call is the probe: it must then end in `record_success`, `record_failure`, or
        `cancel_probe` when it failed before anything was sent.
        """
        with self._lock:
            if self._state == CLOSED:
                return False
            now = self._clock()
            probe_at = self._opened_at + self.open_s
            if self._state == OPEN and now >= probe_at:
                self._state = HALF_OPEN
                self._probe_in_flight = False
                log.warning("circuit for %s half-open: letting one probe request through", self.host)
            # A probe that never reported back (its caller died) is replaced after another open period.
            if self._state == HALF_OPEN and (not self._probe_in_flight or now >= self._probe_started + self.open_s):
                self._probe_in_flight = True
                self._probe_started = now
                return True
            when = datetime.fromtimestamp(max(probe_at, now), timezone.utc).strftime("%H:%M:%S UTC")
            raise CircuitOpenError(
                f"circuit open for {self.host} after {self._failures} consecutive failures; failing fast, "
                f"next probe at {when} (in {max(0.0, probe_at - now):.1f} s)",
                method=method,
                endpoint=endpoint,
                probe_at=probe_at,
                hint="HubSpot (or HUBSPOT_BASE_URL) is failing; retry later",
            )

    def cancel_probe(self) -> None:
        """The probe failed before reaching the host (daily reserve, token error): free the slot for the next call.

        Nothing is learned about the host, so the state stays half-open and the next call becomes the probe.
        """
        with self._lock:
            self._probe_in_flight = False

    def record_success(self) -> None:
        """A call answered (any 2xx-4xx): close the breaker."""
        with self._lock:
            if self._state != CLOSED:
                log.warning("circuit for %s closed: probe succeeded", self.host)
            self._state = CLOSED
            self._failures = 0
            self._probe_in_flight = False

    def record_failure(self) -> None:
        """A call failed in a way that blames the host."""
        with self._lock:
            self._failures += 1
            if self._state == HALF_OPEN:
                self._open("probe failed")
            elif self._state == CLOSED and self._failures >= self.failure_threshold:
                self._open(f"{self._failures} consecutive failures")

    def _open(self, why: str) -> None:
        self._state = OPEN
        self._opened_at = self._clock()
        self._probe_in_flight = False
        self.opened_count += 1
        log.error("circuit for %s open (%s): failing fast for %.1f s", self.host, why, self.open_s)

    def reset(self) -> None:
        """Back to closed (tests, or after fixing configuration)."""
        with self._lock:
            self._state = CLOSED
            self._failures = 0
            self._probe_in_flight = False


_breakers: dict[tuple[str, int, float], CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(host: str, settings: ClientSettings) -> CircuitBreaker:
    """The process-wide breaker for `host` (one per host and breaker settings)."""
    key = (host, settings.breaker_failure_threshold, settings.breaker_open_s)
    with _breakers_lock:
        breaker = _breakers.get(key)
        if breaker is None:
            breaker = CircuitBreaker(
                host, failure_threshold=settings.breaker_failure_threshold, open_s=settings.breaker_open_s
            )
            _breakers[key] = breaker
        return breaker
