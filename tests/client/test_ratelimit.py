"""One rate budget per HubSpot app, shared by threads and processes: zero 429s while the budget is saturated."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from hubspot_assets.hubspot.breaker import CircuitBreaker
from hubspot_assets.hubspot.ratelimit import RateLimiter
from hubspot_assets.hubspot.transport import Budget, Transport
from tests.client.clients import client_settings
from tests.client.sandbox_admin import request_stats, reset_stats, set_platform
from tests.client.worker_processes import run_workers

LIST = "/crm/v3/objects/contacts"


def test_two_processes_share_the_general_budget_with_zero_429s(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(tier="free")  # 100 per window
    set_platform(sandbox, rate_window_s=2.0)
    reset_stats(sandbox)
    results = run_workers(sandbox, tmp_path, processes=2, requests_each=80, threads=4)
    stats = request_stats(sandbox)
    assert stats["rate_limited"] == 0, stats
    assert stats["by_status"].get("200") == 160
    assert all(r["rate_limited"] == 0 and r["failures"] == 0 for r in results)
    # 160 calls against 100 per window: the shared limiter must have held someone back.
    assert sum(r["rate_limit_wait_s"] for r in results) > 0


def test_search_budget_of_five_per_second_is_shared_by_threads(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(tier="pro")
    transport = Transport(client_settings(sandbox, tmp_path), breaker=CircuitBreaker("t", failure_threshold=100))
    reset_stats(sandbox)

    def search(_: int) -> None:
        transport.request("POST", "/crm/v3/objects/contacts/search", json={"limit": 1}, budget=Budget.SEARCH)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(search, range(12)))
    stats = request_stats(sandbox)
    assert stats["rate_limited"] == 0, stats
    assert transport.metrics.snapshot()["rate_limit_wait_s"] > 0


def test_budget_is_learned_from_hubspot_headers(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(tier="free")
    settings = client_settings(sandbox, tmp_path, tier="enterprise")  # configured wrong: 190
    transport = Transport(settings)
    assert transport.rate_limiter.limit(Budget.GENERAL)[0] == 190
    transport.request("GET", LIST, params={"limit": 1})
    count, window = transport.rate_limiter.limit(Budget.GENERAL)
    assert count == 100
    assert abs(window - 10.0 * (1 + settings.rate_limit_margin)) < 1e-9


def test_calls_spent_by_another_integration_hold_this_client_back(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(tier="free")
    set_platform(sandbox, rate_window_s=2.0)
    with requests.Session() as other:  # another integration on the same app, outside this client's limiter
        for _ in range(95):
            other.get(sandbox.url + LIST, headers={"Authorization": f"Bearer {sandbox.config.access_token}"})
    reset_stats(sandbox)
    transport = Transport(client_settings(sandbox, tmp_path), breaker=CircuitBreaker("t", failure_threshold=100))
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: transport.request("GET", LIST, params={"limit": 1}), range(30)))
    assert request_stats(sandbox)["rate_limited"] == 0


def test_association_batch_calls_are_outside_the_ten_second_budget(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(tier="free")
    settings = client_settings(sandbox, tmp_path)
    now = [1000.0]

    def sleep(seconds: float) -> None:  # the pace between general sends, on the limiter's own clock
        now[0] += seconds

    limiter = RateLimiter(settings, key="associations-test", tier="free", clock=lambda: now[0], sleep=sleep)
    transport = Transport(settings, rate_limiter=limiter)
    assert limiter.limit(Budget.ASSOCIATIONS) is None
    for _ in range(100):  # spend the whole 10-second budget
        limiter.acquire(Budget.GENERAL)
        limiter.observe(Budget.GENERAL, {}, 200)
    assert limiter.remaining(Budget.GENERAL) == 0
    response = transport.request(
        "POST", "/crm/v4/associations/contacts/companies/batch/read", json={"inputs": [{"id": "1"}]},
        budget=Budget.ASSOCIATIONS,
    )
    assert response.status in (200, 207)
    assert transport.metrics.snapshot()["rate_limit_wait_s"] == 0


def test_shared_state_is_keyed_by_a_hash_never_the_token(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(tier="pro")
    transport = Transport(client_settings(sandbox, tmp_path))
    transport.request("GET", LIST, params={"limit": 1})
    limiter = transport.rate_limiter
    assert isinstance(limiter, RateLimiter)
    token = sandbox.config.access_token
    files = list((tmp_path / "state").iterdir())
    assert files and all(token not in f.name for f in files)
    assert all(token.encode() not in f.read_bytes() for f in files)
    # Another transport with the same credentials shares the same budget file.
    again = Transport(client_settings(sandbox, tmp_path))
    assert again.rate_limiter.path == limiter.path


def test_a_429_answered_at_once_does_not_become_the_round_trip_that_re_dates_other_sends(sandbox_factory, tmp_path):
    """HubSpot refuses a request over the limit at once, without the latency a counted request has: taken as the
    fastest round trip, it would re-date every later send by the whole latency and hold back a budget unused."""
    import sqlite3

    sandbox = sandbox_factory(tier="pro")
    now = [1000.0]
    limiter = RateLimiter(client_settings(sandbox, tmp_path), key="redate-test", tier="pro", clock=lambda: now[0])

    def send(at: float, round_trip: float, status: int = 200) -> None:
        now[0] = at
        limiter.acquire("general")
        limiter.observe("general", {}, status, answered_at=at + round_trip)

    for i in range(4):  # the usual round trip
        send(995.0 + i, 0.2)
    send(1000.0, 0.2)
    send(1001.0, 0.003, status=429)
    send(1002.0, 0.21)
    with sqlite3.connect(limiter.path) as con:
        times = [row[0] for row in con.execute("SELECT ts FROM sends WHERE budget = 'general' ORDER BY rowid")]
    assert times[-1] == 1002.0, f"a send with the usual round trip was re-dated to {times[-1]}"
    send(1003.0, 0.75)  # a round trip 0.55 s longer than usual: it may have reached HubSpot late
    with sqlite3.connect(limiter.path) as con:
        latest = con.execute("SELECT max(ts) FROM sends WHERE budget = 'general'").fetchone()[0]
    assert abs(latest - 1003.25) < 1e-6, "moved by what the excess goes beyond the 10.3 s window's 0.3 s margin"


def test_a_path_seen_for_the_first_time_is_re_dated_against_the_budgets_fastest_round_trip(sandbox_factory, tmp_path):
    """At the start of a run many paths go out at once and can queue before HubSpot counts them: a path with no
    history of its own is measured against the fastest round trip of any path, else its first slow answer (the one
    that queued) would be its own yardstick and never re-dated."""
    import sqlite3

    sandbox = sandbox_factory(tier="pro")
    now = [1000.0]
    limiter = RateLimiter(client_settings(sandbox, tmp_path), key="redate-path-test", tier="pro", clock=lambda: now[0])

    def send(at: float, round_trip: float, path: str) -> float:
        now[0] = at
        limiter.acquire("general")
        limiter.observe("general", {}, 200, answered_at=at + round_trip, path=path)
        with sqlite3.connect(limiter.path) as con:
            return con.execute("SELECT max(ts) FROM sends WHERE budget = 'general'").fetchone()[0]

    # Moves are less the 0.3 s margin the 10-second window is kept longer by (it allows for that much delay).
    first = send(995.0, 0.7, "/crm/v3/owners")
    assert abs(first - 995.4) < 1e-6, "a budget's first send moves to its answer, less the margin"
    for i in range(4):
        send(996.0 + i, 0.1, "/crm/v3/properties/contacts")
    assert abs(send(1000.5, 0.9, "/crm/v3/properties/companies") - 1001.0) < 1e-6
    for i in range(4):  # once a path has its own history, its usual round trip is no excess
        send(1002.0 + i, 0.9, "/crm/v3/objects/contacts/search")
    assert send(1010.0, 0.95, "/crm/v3/objects/contacts/search") == 1010.0


def test_the_ten_second_budget_is_paced_not_spent_in_one_burst(sandbox_factory, tmp_path):
    """A sliding window alone lets the whole 10-second budget go out in the first instant and replays that burst
    every window; the work the answers bring then comes in bursts too. Paced, no second after the first quarter of
    the budget carries more than a little over the average rate, and the budget is still used in full."""
    sandbox = sandbox_factory(tier="pro")
    now = [1000.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = RateLimiter(client_settings(sandbox, tmp_path), key="pace-test", tier="pro", clock=lambda: now[0],
                          sleep=sleep)
    count, window = limiter.limit("general")
    sends = []
    for _ in range(count * 2):
        limiter.acquire("general")
        limiter.observe("general", {}, 200, answered_at=now[0])  # answered at once
        sends.append(now[0])
    # The first quarter of the budget goes at once (a run's metadata, or all of a short run), then the pace holds.
    burst = count // 4
    assert sends[burst - 1] == sends[0]
    per_second = max(sum(1 for t in sends if start <= t < start + 1.0) for start in sends if start > sends[0])
    assert per_second <= count / window * 1.25, f"{per_second} sends in one second"
    # Paced, yet no slower than the budget: `count` sends in every window, the second window as full as the first.
    assert sends[count - 1] - sends[0] < window
    assert sum(1 for t in sends if t < sends[0] + 2 * window) >= 2 * count - 1
    assert all(b - a >= window - 1e-9 for a, b in zip(sends, sends[count:])), "more than the budget in one window"


def test_a_send_that_reaches_hubspot_late_keeps_its_place_until_answered(sandbox_factory, tmp_path):
    """A request held on its way (a congested network) is counted by HubSpot when it gets in, maybe after its own
    window has passed. Its entry must not expire unanswered: the next window's sends would meet it in HubSpot's
    count. One search is held 1.5 s before HubSpot counts it; of five more searches 1.2 s after it, the fifth must
    wait for its answer, then for a slot of the window after it."""
    import threading

    sandbox = sandbox_factory(tier="pro")
    now = [1000.0]
    sends: list[float] = []

    def sleep(seconds: float) -> None:
        now[0] += seconds
        if now[0] >= 1001.5:  # HubSpot counted the held search and answered it
            answered.set()
            settled.wait(timeout=10)

    limiter = RateLimiter(client_settings(sandbox, tmp_path), key="late-test", tier="pro", clock=lambda: now[0],
                          sleep=sleep)
    logged, answered, settled = threading.Event(), threading.Event(), threading.Event()

    def held_search() -> None:
        limiter.acquire("search")
        sent_at = now[0]
        logged.set()
        answered.wait(timeout=10)
        limiter.observe("search", {}, 200, answered_at=sent_at + 1.5, path="/search")
        settled.set()

    for _ in range(4):  # the usual round trip, to measure lateness by: answered at once
        limiter.acquire("search")
        limiter.observe("search", {}, 200, answered_at=now[0], path="/search")
    now[0] = 1001.1  # past the window of all four
    held = threading.Thread(target=held_search)
    held.start()
    assert logged.wait(timeout=10)
    now[0] = 1002.3  # 1.2 s after the held search went out
    for _ in range(5):
        limiter.acquire("search")
        sends.append(now[0])
        limiter.observe("search", {}, 200, answered_at=now[0], path="/search")
    held.join(timeout=10)
    assert sends[:4] == [1002.3] * 4, "four slots of the new window were free"
    # Unanswered, the held send kept the fifth slot past its own window; answered, it is re-dated to its arrival
    # (less the 50 ms margin), inside the new window: the fifth search waits for the window of the four.
    assert sends[4] == pytest.approx(1002.3 + 1.05)


def test_an_entry_is_dated_when_its_request_really_went_out(sandbox_factory, tmp_path):
    """The log records a send when the limiter allows it; the thread may leave much later (waiting for the
    interpreter lock while other threads parse answers: 0.2 s was seen on a busy machine). An entry older than
    its request would expire before HubSpot's window of it has passed: it moves to the real send."""
    import sqlite3

    sandbox = sandbox_factory(tier="pro")
    settings = client_settings(sandbox, tmp_path)
    now = [1000.0]

    class StalledAfterAcquire(RateLimiter):
        stall = 0.0

        def acquire(self, budget, **kwargs):
            waited = super().acquire(budget, **kwargs)
            now[0] += self.stall  # what a thread can wait between being allowed and sending
            return waited

    limiter = StalledAfterAcquire(settings, key="send-clock-test", tier="pro", clock=lambda: now[0])
    transport = Transport(settings, rate_limiter=limiter, breaker=CircuitBreaker("t", failure_threshold=100))
    for _ in range(5):  # the usual round trip
        transport.request("GET", LIST, params={"limit": 1})
    limiter.stall = 0.4
    allowed = now[0]
    transport.request("GET", LIST, params={"limit": 1})
    with sqlite3.connect(limiter.path) as con:
        latest = con.execute("SELECT max(ts) FROM sends WHERE budget = 'general'").fetchone()[0]
    assert latest == allowed + 0.4, f"the entry stayed {latest - allowed:.3f} s after the send was allowed"


def test_a_send_whose_process_ended_unanswered_stops_holding_its_place(sandbox_factory, tmp_path):
    """A cancelled run can be killed mid-request: its send never gets an answer to settle it. Once that process is
    gone, the send stops holding its place after the window, instead of holding a search slot for a minute."""
    import multiprocessing
    import os

    sandbox = sandbox_factory(tier="pro")
    settings = client_settings(sandbox, tmp_path)
    now = [1000.0]

    def killed_mid_request() -> None:
        RateLimiter(settings, key="orphan-test", tier="pro", clock=lambda: now[0]).acquire("search")
        os._exit(0)  # no answer, no `observe`

    child = multiprocessing.get_context("fork").Process(target=killed_mid_request)
    child.start()
    child.join()
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        assert sum(waits) < 3.0, "still held by a send whose process has ended"
        now[0] += seconds

    limiter = RateLimiter(settings, key="orphan-test", tier="pro", clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        limiter.acquire("search")
        limiter.observe("search", {}, 200)
    now[0] += 1.1  # past the window of all five
    for _ in range(5):  # the whole budget again: the dead process's send no longer counts
        limiter.acquire("search")
        limiter.observe("search", {}, 200)
    assert waits == []
