"""How long the transport waits between attempts (Retry-After, exponential back-off with jitter), and the
circuit breaker's scope (one per host) and half-open probe, over real HTTP against the sandbox.

Waits are recorded by an injected sleep that barely sleeps, so the tests prove the delays the transport chose
without spending them."""

from __future__ import annotations

import time

import pytest

from hubspot_assets.hubspot.breaker import CircuitBreaker
from hubspot_assets.hubspot.errors import CircuitOpenError, DailyLimitError, ServerError
from hubspot_assets.hubspot.transport import Transport
from tests.client.clients import client_settings
from tests.client.sandbox_admin import clear_faults, force_fault, set_platform

LIST = "/crm/v3/objects/contacts"


class RecordingSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        time.sleep(0.001)


@pytest.fixture
def sandbox(sandbox):
    clear_faults(sandbox)
    yield sandbox
    clear_faults(sandbox)


def transport_for(sandbox, tmp_path, sleep, **overrides) -> Transport:
    settings = client_settings(sandbox, tmp_path, **overrides)
    return Transport(settings, breaker=CircuitBreaker("b", failure_threshold=100), sleep=sleep)


@pytest.mark.parametrize(("kind", "retry_after"), [("429", 4), ("503", 3), ("500", 2), ("423", 5)])
def test_retry_after_is_honoured_instead_of_the_fallback(sandbox, tmp_path, kind, retry_after):
    # Fallbacks in these settings: 1 s for a 429, 2 s for a 423, at most 0.05 s back-off for a 5xx.
    sleep = RecordingSleep()
    transport = transport_for(sandbox, tmp_path, sleep)
    # An injected 429 carries the sandbox's window in its headers, and the limiter then pauses every worker for
    # that window: keep it short so the pause costs half a second, not ten.
    window = set_platform(sandbox)["rate_window_s"]
    set_platform(sandbox, rate_window_s=0.5)
    try:
        force_fault(sandbox, kind, count=1, arg=retry_after, path=LIST)
        response = transport.request("GET", LIST, params={"limit": 1})
    finally:
        set_platform(sandbox, rate_window_s=window)
    assert response.status == 200 and response.attempts == 2
    assert sleep.delays == [float(retry_after)]


def test_back_off_doubles_per_attempt_and_is_jittered(sandbox, tmp_path):
    runs = []
    for _ in range(2):
        sleep = RecordingSleep()
        transport = transport_for(sandbox, tmp_path, sleep, retry_backoff_base_s=0.1, retry_backoff_max_s=10,
                                  retry_max_attempts=5)
        force_fault(sandbox, "500", count=4, path=LIST)
        assert transport.request("GET", LIST, params={"limit": 1}).attempts == 5
        runs.append(sleep.delays)
    for delays in runs:
        # Step k is 0.1 * 2**k, the wait a random share of it between half and all.
        steps = [0.1 * 2**k for k in range(4)]
        assert all(step / 2 <= d <= step for d, step in zip(delays, steps, strict=True)), delays
        assert delays == sorted(delays)
    assert runs[0] != runs[1]  # jittered: two workers do not retry in lockstep


def test_each_host_has_its_own_breaker(sandbox, tmp_path):
    # Two names for the sandbox are two hosts to the client; the default breakers are per host and process.
    other_host = sandbox.url.replace("127.0.0.1", "localhost")
    assert other_host != sandbox.url
    knobs = dict(breaker_failure_threshold=2, breaker_open_s=61.5, retry_max_attempts=1)
    failing = Transport(client_settings(sandbox, tmp_path, **knobs))
    healthy = Transport(client_settings(sandbox, tmp_path, base_url=other_host, **knobs))
    assert failing.breaker is not healthy.breaker
    try:
        force_fault(sandbox, "503", count=2, path=LIST)
        for _ in range(2):
            with pytest.raises(ServerError):
                failing.request("GET", LIST, params={"limit": 1})
        with pytest.raises(CircuitOpenError):
            failing.request("GET", LIST, params={"limit": 1})
        assert healthy.request("GET", LIST, params={"limit": 1}).status == 200
        assert failing.breaker.state == "open" and healthy.breaker.state == "closed"
    finally:
        failing.breaker.reset()
        healthy.breaker.reset()


def test_half_open_probe_that_fails_before_sending_frees_its_slot(sandbox, tmp_path):
    breaker = CircuitBreaker("p", failure_threshold=1, open_s=0.2)
    transport = Transport(client_settings(sandbox, tmp_path, retry_max_attempts=1), breaker=breaker)
    force_fault(sandbox, "503", count=1, path=LIST)
    with pytest.raises(ServerError):
        transport.request("GET", LIST, params={"limit": 1})
    time.sleep(0.25)
    assert breaker.state == "half_open"
    transport.rate_limiter.mark_daily_exhausted()  # the probe stops at the daily reserve: nothing is sent
    with pytest.raises(DailyLimitError):
        transport.request("GET", LIST, params={"limit": 1})
    transport.rate_limiter.reset()
    # Without releasing the slot this call would fail fast with CircuitOpenError for another open period.
    assert transport.request("GET", LIST, params={"limit": 1}).status == 200
    assert breaker.state == "closed"
