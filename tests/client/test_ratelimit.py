"""One rate budget per HubSpot app, shared by threads and processes: zero 429s while the budget is saturated."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from hubspot_assets.hubspot.breaker import CircuitBreaker
from hubspot_assets.hubspot.ratelimit import RateLimiter
from hubspot_assets.hubspot.transport import Budget, Transport
from tests.client.c1_support import client_settings, request_stats, reset_stats, run_workers, set_platform

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
    transport = Transport(client_settings(sandbox, tmp_path))
    limiter = transport.rate_limiter
    assert limiter.limit(Budget.ASSOCIATIONS) is None
    for _ in range(100):  # spend the whole 10-second budget
        limiter.acquire(Budget.GENERAL)
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
