"""Zero 429s when threads of several processes saturate a short window: the search budget (5 per second) and
the general budget on a 1-second window, where a proportional 3% margin alone would be only 30 ms."""

from __future__ import annotations

from tests.client.sandbox_admin import request_stats, reset_stats, set_platform
from tests.client.worker_processes import run_workers


def test_searches_from_four_threads_in_two_processes_get_no_429(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(tier="pro")
    reset_stats(sandbox)
    results = run_workers(sandbox, tmp_path, processes=2, requests_each=12, threads=4, budget="search")
    stats = request_stats(sandbox)
    assert stats["rate_limited"] == 0, stats
    assert stats["by_status"].get("200") == 24
    assert all(r["failures"] == 0 and r["rate_limited"] == 0 for r in results)
    assert sum(r["rate_limit_wait_s"] for r in results) > 0  # 24 searches at 5/s: the limiter held them back


def test_general_budget_on_a_one_second_window_gets_no_429(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(tier="free")  # 100 per window
    set_platform(sandbox, rate_window_s=1.0)
    reset_stats(sandbox)
    results = run_workers(sandbox, tmp_path, processes=2, requests_each=150, threads=4)
    stats = request_stats(sandbox)
    assert stats["rate_limited"] == 0, stats
    assert stats["by_status"].get("200") == 300
    assert all(r["failures"] == 0 for r in results)
    assert sum(r["rate_limit_wait_s"] for r in results) > 0
