"""Transport retry rules, proven against the sandbox's fault injection over real HTTP."""

from __future__ import annotations

import logging
import sqlite3

import pytest
import requests

from hubspot_assets.hubspot.breaker import CircuitBreaker
from hubspot_assets.hubspot.errors import (
    DailyLimitError,
    MalformedResponseError,
    NotFoundError,
    RequestTimeoutError,
    ServerError,
)
from hubspot_assets.hubspot.ratelimit import RateLimiter
from hubspot_assets.hubspot.transport import Budget, Transport
from tests.client.clients import client_settings
from tests.client.sandbox_admin import clear_faults, force_fault, own_total, request_stats, reset_stats, set_platform

LIST = "/crm/v3/objects/contacts"
LIST_T = "GET /crm/v3/objects/{objectType}"


class RecordingSleep:
    """The transport's sleep between attempts: remembers every delay asked for and returns at once (the sandbox's
    forced faults count requests, not time)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class FakeClock:
    """The rate limiter's clock, moved only by the test (or by `ClockedSession` for time an HTTP call takes)."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


class ClockedSession(requests.Session):
    """A real session to the sandbox that tells the fake clock how long a call took: a read timeout costs the read
    timeout; `body_s` is what reading and parsing the answer's body cost once its headers came in."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.body_s = 0.0

    def request(self, *args, **kwargs):
        try:
            response = super().request(*args, **kwargs)  # the transport's response hook runs in here
        except requests.exceptions.ReadTimeout:
            self.clock.now += kwargs["timeout"][1]
            raise
        self.clock.now += self.body_s
        return response


def make_transport(sandbox, tmp_path, sleep=None, **overrides) -> Transport:
    settings = client_settings(sandbox, tmp_path, **overrides)
    return Transport(settings, breaker=CircuitBreaker("test", failure_threshold=100), sleep=sleep or RecordingSleep())


def clocked_transport(sandbox, tmp_path, clock: FakeClock, **overrides) -> tuple[Transport, ClockedSession]:
    """A transport whose rate limiter reads `clock`, over a session that moves it."""
    settings = client_settings(sandbox, tmp_path, tier="pro", **overrides)
    session = ClockedSession(clock)
    limiter = RateLimiter(settings, key="clocked", tier="pro", clock=clock)
    transport = Transport(settings, session=session, rate_limiter=limiter, sleep=RecordingSleep(),
                          breaker=CircuitBreaker("test", failure_threshold=100))
    return transport, session


def latest_general_send(transport: Transport) -> float:
    with sqlite3.connect(transport.rate_limiter.path) as con:
        return con.execute("SELECT max(ts) FROM sends WHERE budget = 'general'").fetchone()[0]


@pytest.fixture
def sandbox(sandbox):
    """The session sandbox (tier unlimited), with no forced fault left over for the next test."""
    clear_faults(sandbox)
    yield sandbox
    clear_faults(sandbox)


def test_every_transient_server_status_is_retried_until_success(sandbox, tmp_path):
    transport = make_transport(sandbox, tmp_path)
    for status in ("500", "502", "503", "504", "521", "522", "523", "524"):
        force_fault(sandbox, status, count=2, path=LIST)
        response = transport.request("GET", LIST, params={"limit": 1})
        assert response.status == 200, status
        assert response.attempts == 3, status
    assert transport.metrics.snapshot()["retries"] == 16


def test_connection_reset_is_retried(sandbox, tmp_path):
    transport = make_transport(sandbox, tmp_path)
    force_fault(sandbox, "reset", count=1, path=LIST)
    response = transport.request("GET", LIST, params={"limit": 1})
    assert response.status == 200 and response.attempts == 2
    assert transport.metrics.snapshot()["by_error"] == {"ConnectionFailedError": 1}


def test_truncated_and_html_bodies_are_retryable_malformed_answers(sandbox, tmp_path):
    transport = make_transport(sandbox, tmp_path)
    force_fault(sandbox, "truncate", count=1, path=LIST)
    force_fault(sandbox, "html", count=1, arg=502, path=LIST)
    response = transport.request("GET", LIST, params={"limit": 1})
    assert response.status == 200 and response.attempts == 3
    assert isinstance(response.data["results"], list)

    force_fault(sandbox, "truncate", count=10, path=LIST)
    with pytest.raises(MalformedResponseError) as caught:
        make_transport(sandbox, tmp_path, retry_max_attempts=2).request("GET", LIST)
    assert caught.value.retryable and "gave up after 2 attempts" in str(caught.value)
    assert "GET /crm/v3/objects/contacts" in str(caught.value)


def test_read_timeout_is_retried(sandbox, tmp_path):
    transport = make_transport(sandbox, tmp_path, read_timeout_s=0.3)
    force_fault(sandbox, "slow", count=1, arg=1.5, path=LIST)
    response = transport.request("GET", LIST, params={"limit": 1})
    assert response.attempts == 2
    assert transport.metrics.snapshot()["by_error"] == {"RequestTimeoutError": 1}

    force_fault(sandbox, "slow", count=2, arg=1.5, path=LIST)
    with pytest.raises(RequestTimeoutError):
        make_transport(sandbox, tmp_path, read_timeout_s=0.3, retry_max_attempts=2).request("GET", LIST)


def test_477_waits_for_retry_after(sandbox, tmp_path):
    sleep = RecordingSleep()
    transport = make_transport(sandbox, tmp_path, sleep=sleep)
    force_fault(sandbox, "477", count=1, arg=3, path=LIST)  # not the 1 s fallback
    response = transport.request("GET", LIST, params={"limit": 1})
    assert response.attempts == 2
    assert sleep.delays == [3.0]


def test_429_without_retry_after_backs_off_and_succeeds(sandbox, tmp_path):
    set_platform(sandbox, rate_window_s=0.5)  # the injected 429s say the window is 0.5 s long
    sleep = RecordingSleep()
    transport = make_transport(sandbox, tmp_path, sleep=sleep)
    force_fault(sandbox, "burst429", count=1, arg=2, path=LIST)
    response = transport.request("GET", LIST, params={"limit": 1})
    assert response.attempts == 3
    assert transport.metrics.snapshot()["rate_limited"] == 2
    assert all(delay >= 1.0 for delay in sleep.delays)  # the 10-second window needs a real pause


def test_other_4xx_are_not_retried(sandbox, tmp_path):
    transport = make_transport(sandbox, tmp_path)
    reset_stats(sandbox)
    with pytest.raises(NotFoundError) as caught:
        transport.request("GET", "/crm/v3/objects/contacts/999999999", endpoint="/crm/v3/objects/{objectType}/{id}")
    error = caught.value
    assert error.status == 404 and error.category == "OBJECT_NOT_FOUND" and error.correlation_id
    assert error.endpoint == "/crm/v3/objects/{objectType}/{id}" and error.method == "GET"
    assert own_total(request_stats(sandbox)) == 1


def test_attempts_setting_bounds_retries(sandbox, tmp_path):
    transport = make_transport(sandbox, tmp_path, retry_max_attempts=3)
    force_fault(sandbox, "500", count=10, path=LIST)
    reset_stats(sandbox)
    with pytest.raises(ServerError) as caught:
        transport.request("GET", LIST)
    # Count the injected 500s only: a slow request of an earlier test may still finish on the shared sandbox.
    stats = request_stats(sandbox)
    assert stats["faults"].get("500") == 3 and stats["by_status"].get("500") == 3, stats
    assert caught.value.status == 500 and "gave up after 3 attempts" in str(caught.value)


def test_longest_total_wait_setting_stops_a_long_retry_after(sandbox, tmp_path):
    sleep = RecordingSleep()
    transport = make_transport(sandbox, tmp_path, sleep=sleep, retry_max_wait_s=2)
    force_fault(sandbox, "477", count=1, arg=30, path=LIST)
    with pytest.raises(Exception) as caught:
        transport.request("GET", LIST)
    assert caught.value.status == 477
    assert "HUBSPOT_RETRY_MAX_WAIT_S" in str(caught.value)
    assert sleep.delays == []


def test_daily_429_ends_work_without_retry(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(tier="pro", daily_limit=3)
    transport = make_transport(sandbox, tmp_path, daily_reserve=0)
    for _ in range(3):
        transport.request("GET", LIST, params={"limit": 1})
    reset_stats(sandbox)
    with pytest.raises(DailyLimitError) as caught:
        transport.request("GET", LIST, params={"limit": 1})
    assert caught.value.policy == "DAILY" and not caught.value.retryable
    assert request_stats(sandbox)["total"] == 0  # the limiter knew from Daily-Remaining: no call was wasted


def test_daily_reserve_stops_before_the_quota_is_spent(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(tier="pro", daily_limit=20)
    transport = make_transport(sandbox, tmp_path, daily_reserve=0.5)
    sent = 0
    with pytest.raises(DailyLimitError) as caught:
        for _ in range(20):
            transport.request("GET", LIST, params={"limit": 1})
            sent += 1
    assert sent == 10  # 10 of 20 left for the account's other integrations
    assert "HUBSPOT_DAILY_RESERVE" in str(caught.value)
    assert request_stats(sandbox)["rate_limited"] == 0


def test_only_a_reserve_above_zero_is_suggested_for_lowering(sandbox_factory, tmp_path):
    """With a reserve kept, lowering HUBSPOT_DAILY_RESERVE frees calls; with the quota spent (reserve 0, or HubSpot's
    own DAILY 429) there is nothing left to free, so the message must not send the user to that setting."""
    sandbox = sandbox_factory(tier="pro", daily_limit=4)
    reserving = make_transport(sandbox, tmp_path / "reserving", daily_reserve=0.5)
    with pytest.raises(DailyLimitError) as kept:
        for _ in range(4):
            reserving.request("GET", LIST, params={"limit": 1})
    assert "lower HUBSPOT_DAILY_RESERVE (now 0.5)" in str(kept.value)

    spending = make_transport(sandbox, tmp_path / "spending", daily_reserve=0)
    with pytest.raises(DailyLimitError) as spent:
        for _ in range(4):
            spending.request("GET", LIST, params={"limit": 1})
    assert "resets at midnight" in str(spent.value)
    assert "HUBSPOT_DAILY_RESERVE" not in str(spent.value)
    with pytest.raises(DailyLimitError) as known:  # refused by the limiter, which has seen the quota spent
        spending.request("GET", LIST, params={"limit": 1})
    assert "HUBSPOT_DAILY_RESERVE" not in str(known.value)


def test_a_daily_429_from_hubspot_is_final(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(tier="pro", daily_limit=2)
    # Another integration spends the quota; this client has not seen any header yet.
    other = make_transport(sandbox, tmp_path / "other")
    other.request("GET", LIST)
    other.request("GET", LIST)
    transport = make_transport(sandbox, tmp_path, daily_reserve=0)
    reset_stats(sandbox)
    with pytest.raises(DailyLimitError):
        transport.request("GET", LIST)
    assert request_stats(sandbox)["total"] == 1
    with pytest.raises(DailyLimitError):  # and the next call does not even go out
        transport.request("GET", LIST)
    assert request_stats(sandbox)["total"] == 1


def test_each_attempt_is_logged_with_structured_fields(sandbox, tmp_path, caplog):
    transport = make_transport(sandbox, tmp_path)
    force_fault(sandbox, "503", count=1, path=LIST)
    with caplog.at_level(logging.INFO, logger="hubspot_elt.http"):
        transport.request("GET", LIST, params={"limit": 1}, endpoint="/crm/v3/objects/{objectType}")
    records = [r for r in caplog.records if r.name == "hubspot_elt.http"]
    assert [r.hubspot["status"] for r in records] == [503, 200]
    assert [r.hubspot["attempt"] for r in records] == [1, 2]
    for record in records:
        fields = record.hubspot
        assert fields["method"] == "GET" and fields["endpoint"] == "/crm/v3/objects/{objectType}"
        assert fields["duration_ms"] >= 0 and fields["budget"] == Budget.GENERAL.value
        assert "budget_remaining" in fields


def test_budget_remaining_is_reported_from_the_shared_limiter(sandbox_factory, tmp_path, caplog):
    sandbox = sandbox_factory(tier="free")
    transport = make_transport(sandbox, tmp_path)
    with caplog.at_level(logging.INFO, logger="hubspot_elt.http"):
        transport.request("GET", LIST)
        transport.request("GET", LIST)
    remaining = [r.hubspot["budget_remaining"] for r in caplog.records if r.name == "hubspot_elt.http"]
    assert remaining == [99, 98]


def test_423_locked_waits_at_least_two_seconds(sandbox, tmp_path):
    sleep = RecordingSleep()
    transport = make_transport(sandbox, tmp_path, sleep=sleep)
    force_fault(sandbox, "423", count=2, path=LIST)
    response = transport.request("GET", LIST, params={"limit": 1})
    assert response.status == 200 and response.attempts == 3
    assert len(sleep.delays) == 2 and all(delay >= 2.0 for delay in sleep.delays)


def test_a_request_that_timed_out_is_re_dated_in_the_rate_log_like_a_slow_answer(sandbox, tmp_path):
    """A request that got no answer in time may still have reached HubSpot late: its entry in the shared rate log
    moves to when the wait ended, so the next window's sends cannot meet it in HubSpot's count."""
    clock = FakeClock()
    transport, _ = clocked_transport(sandbox, tmp_path, clock, read_timeout_s=0.9, retry_max_attempts=1)
    transport.request("GET", LIST, params={"limit": 1})  # a quick round trip: what an answer costs
    force_fault(sandbox, "slow", count=1, arg=2.0, path=LIST)
    sent = clock.now
    with pytest.raises(RequestTimeoutError):
        transport.request("GET", LIST, params={"limit": 1})
    # 0.9 s without an answer, less the 10.3 s window's 0.3 s margin
    assert latest_general_send(transport) == pytest.approx(sent + 0.9 - 0.3)


def test_reading_and_parsing_a_large_answer_does_not_re_date_its_send(sandbox, tmp_path):
    """HubSpot counts a request before it answers: the round trip that can re-date a send in the rate log ends
    with the answer's headers. Time spent downloading and parsing the body (a page of hundreds of properties, a
    busy machine) would otherwise re-date every large answer and waste the budget it holds back."""
    clock = FakeClock()
    transport, session = clocked_transport(sandbox, tmp_path, clock)
    for _ in range(3):  # quick round trips: what an answer costs
        transport.request("GET", LIST, params={"limit": 1})
    session.body_s = 0.8  # what reading and parsing a large answer can take (beyond the 0.3 s margin)
    sent = clock.now
    transport.request("GET", LIST, params={"limit": 1})
    assert clock.now == sent + 0.8
    assert latest_general_send(transport) == sent, "the send was re-dated by the time its body took"


def test_a_request_that_never_left_gives_its_place_in_the_rate_log_back(sandbox, tmp_path):
    """No connection could be opened: HubSpot never saw the request, so its entry leaves the shared rate log (a
    send still waiting for its answer would otherwise hold a slot until it went stale)."""
    import socket

    from hubspot_assets.hubspot.errors import ConnectionFailedError

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    transport = make_transport(sandbox, tmp_path, tier="pro", base_url=dead, retry_max_attempts=2)
    with pytest.raises(ConnectionFailedError):
        transport.request("GET", LIST, params={"limit": 1})
    with sqlite3.connect(transport.rate_limiter.path) as con:
        assert con.execute("SELECT count(*) FROM sends").fetchone()[0] == 0
    # A request that went out and was answered stays in the log, no longer waiting.
    answered = make_transport(sandbox, tmp_path, tier="pro")
    answered.request("GET", LIST, params={"limit": 1})
    with sqlite3.connect(answered.rate_limiter.path) as con:
        assert con.execute("SELECT count(*), sum(open) FROM sends").fetchone() == (1, 0)
