"""The per-host circuit breaker opens after consecutive failures, fails fast, probes, and closes again."""

from __future__ import annotations

import logging
import time

import pytest

from hubspot_assets.hubspot.breaker import CircuitBreaker
from hubspot_assets.hubspot.errors import CircuitOpenError, NotFoundError, ServerError
from hubspot_assets.hubspot.transport import Transport
from tests.client.clients import client_settings
from tests.client.sandbox_admin import clear_faults, force_fault, own_total, request_stats, reset_stats

LIST = "/crm/v3/objects/contacts"


@pytest.fixture
def sandbox(sandbox):
    """The session sandbox, with no forced fault left over for the next test."""
    clear_faults(sandbox)
    yield sandbox
    clear_faults(sandbox)


def test_breaker_opens_fails_fast_then_a_successful_probe_closes_it(sandbox, tmp_path, caplog):
    breaker = CircuitBreaker("sandbox", failure_threshold=3, open_s=0.5)
    transport = Transport(client_settings(sandbox, tmp_path, retry_max_attempts=1), breaker=breaker)
    force_fault(sandbox, "503", count=3, path=LIST)
    reset_stats(sandbox)
    with caplog.at_level(logging.INFO, logger="hubspot_elt"):
        for _ in range(3):
            with pytest.raises(ServerError):
                transport.request("GET", LIST)
        assert breaker.state == "open"
        with pytest.raises(CircuitOpenError) as caught:
            transport.request("GET", LIST)
        assert own_total(request_stats(sandbox)) == 3  # the fast failure never reached the host
        assert "next probe at" in str(caught.value) and caught.value.probe_at is not None
        assert transport.metrics.snapshot()["breaker_state"] == "open"

        time.sleep(0.55)
        assert breaker.state == "half_open"
        response = transport.request("GET", LIST, params={"limit": 1})  # the probe
    assert response.status == 200
    assert breaker.state == "closed"
    assert transport.metrics.snapshot()["breaker_state"] == "closed"
    messages = [r.getMessage() for r in caplog.records if r.name == "hubspot_elt.breaker"]
    assert any(" open " in m for m in messages)
    assert any("half-open" in m for m in messages)
    assert any("closed" in m for m in messages)
    http_states = [r.hubspot["breaker"] for r in caplog.records if r.name == "hubspot_elt.http"]
    assert http_states[-1] == "closed" and "open" in http_states


def test_a_failed_probe_opens_the_breaker_again(sandbox, tmp_path):
    breaker = CircuitBreaker("sandbox", failure_threshold=2, open_s=0.3)
    transport = Transport(client_settings(sandbox, tmp_path, retry_max_attempts=1), breaker=breaker)
    force_fault(sandbox, "reset", count=3, path=LIST)
    for _ in range(2):
        with pytest.raises(Exception):
            transport.request("GET", LIST)
    assert breaker.state == "open"
    time.sleep(0.35)
    with pytest.raises(Exception) as caught:
        transport.request("GET", LIST)  # probe hits the third reset
    assert not isinstance(caught.value, CircuitOpenError)
    assert breaker.state == "open"
    with pytest.raises(CircuitOpenError):
        transport.request("GET", LIST)
    assert breaker.opened_count == 2


def test_client_errors_do_not_open_the_breaker(sandbox, tmp_path):
    breaker = CircuitBreaker("sandbox", failure_threshold=2, open_s=30)
    transport = Transport(client_settings(sandbox, tmp_path, retry_max_attempts=1), breaker=breaker)
    for _ in range(4):
        with pytest.raises(NotFoundError):
            transport.request("GET", "/crm/v3/objects/contacts/987654321")
    assert breaker.state == "closed"


def test_retries_stop_when_the_breaker_opens_mid_call(sandbox, tmp_path):
    breaker = CircuitBreaker("sandbox", failure_threshold=2, open_s=30)
    transport = Transport(client_settings(sandbox, tmp_path, retry_max_attempts=6), breaker=breaker)
    force_fault(sandbox, "500", count=10, path=LIST)
    reset_stats(sandbox)
    with pytest.raises(CircuitOpenError):
        transport.request("GET", LIST)
    assert own_total(request_stats(sandbox)) == 2
