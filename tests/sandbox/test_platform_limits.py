"""HubSpot's rate limits in the sandbox, over real HTTP: each 429 policy with its body and headers."""

from __future__ import annotations

import time

import requests

RATE_HEADERS = (
    "x-hubspot-ratelimit-max",
    "x-hubspot-ratelimit-remaining",
    "x-hubspot-ratelimit-interval-milliseconds",
    "x-hubspot-ratelimit-daily",
    "x-hubspot-ratelimit-daily-remaining",
)


def assert_429_body(answer: requests.Response, policy: str, message: str) -> None:
    assert answer.status_code == 429
    body = answer.json()
    assert body == {
        "status": "error",
        "message": message,
        "errorType": "RATE_LIMIT",
        "correlationId": answer.headers["X-HubSpot-Correlation-Id"],
        "policyName": policy,
    }


def test_free_tier_rolling_budget_answers_429_then_recovers_when_the_window_rolls(sandbox_factory):
    sb = sandbox_factory(tier="free", rate_window_s=4.0)
    session = requests.Session()
    url = f"{sb.url}/crm/v3/objects/contacts?limit=1"
    started = time.monotonic()
    remaining = []
    for _ in range(100):
        answer = session.get(url, headers=sb.headers, timeout=10)
        assert answer.status_code == 200
        remaining.append(int(answer.headers["X-HubSpot-RateLimit-Remaining"]))
    last = answer.headers
    assert remaining == list(range(99, -1, -1))
    assert (
        last["X-HubSpot-RateLimit-Max"] == "100"
        and last["X-HubSpot-RateLimit-Interval-Milliseconds"] == "4000"
    )
    assert (
        last["X-HubSpot-RateLimit-Daily"] == "250000"
        and last["X-HubSpot-RateLimit-Daily-Remaining"] == "249900"
    )
    refused = session.get(url, headers=sb.headers, timeout=10)
    assert_429_body(refused, "TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.")
    assert refused.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    # Search and association batch reads are outside the rolling budget, so they still pass.
    search = session.post(
        f"{sb.url}/crm/v3/objects/contacts/search", json={"limit": 1}, headers=sb.headers, timeout=10
    )
    assert search.status_code != 429 and "X-HubSpot-RateLimit-Remaining" not in search.headers
    assoc = session.post(
        f"{sb.url}/crm/v4/associations/contacts/companies/batch/read",
        json={"inputs": [{"id": "1"}]},
        headers=sb.headers,
        timeout=10,
    )
    assert assoc.status_code != 429
    # ... and carry no 10-second headers (the spent window does not apply to them), only the daily ones.
    assert "X-HubSpot-RateLimit-Remaining" not in assoc.headers and "X-HubSpot-RateLimit-Max" not in assoc.headers
    assert assoc.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "249898"
    time.sleep(max(0.0, started + 4.3 - time.monotonic()))
    assert session.get(url, headers=sb.headers, timeout=10).status_code == 200
    stats = sb.admin("stats")["requests"]
    assert stats["by_policy"] == {"TEN_SECONDLY_ROLLING": 1} and stats["rate_limited"] == 1


def test_daily_quota_answers_429_daily_and_usage_api_reports_it(sandbox_factory):
    sb = sandbox_factory(tier="enterprise", daily_limit=4)
    usage_url = f"{sb.url}/account-info/v3/api-usage/daily/private-apps"
    first = requests.get(usage_url, headers=sb.headers, timeout=10)
    usage = first.json()["results"][0]
    assert usage["name"] == "private-apps-api-calls-daily" and usage["usageLimit"] == 4
    assert (
        usage["currentUsage"] == 1 and usage["fetchStatus"] == "SUCCESS" and usage["resetsAt"].endswith("Z")
    )
    assert first.headers["X-HubSpot-RateLimit-Max"] == "190"
    for expected_left in ("2", "1", "0"):
        answer = requests.get(f"{sb.url}/crm/v3/objects/contacts", headers=sb.headers, timeout=10)
        assert (
            answer.status_code == 200
            and answer.headers["X-HubSpot-RateLimit-Daily-Remaining"] == expected_left
        )
    refused = requests.get(f"{sb.url}/crm/v3/objects/contacts", headers=sb.headers, timeout=10)
    assert_429_body(refused, "DAILY", "You have reached your daily limit.")
    assert refused.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"


def test_search_is_limited_to_five_per_second_without_rate_limit_headers(sandbox_factory):
    sb = sandbox_factory(tier="pro")
    sb.admin("platform", {"search_window_s": 5.0})  # a wider window keeps the test steady on a busy machine
    search_url = f"{sb.url}/crm/v3/objects/contacts/search"
    session = requests.Session()
    for _ in range(5):
        answer = session.post(search_url, json={"limit": 1}, headers=sb.headers, timeout=10)
        assert answer.status_code != 429
        assert not any(h in answer.headers for h in RATE_HEADERS)
    refused = session.post(search_url, json={"limit": 1}, headers=sb.headers, timeout=10)
    assert_429_body(refused, "SECONDLY", "You have reached your secondly limit.")
    assert not any(h in refused.headers for h in RATE_HEADERS)
    general = session.get(f"{sb.url}/crm/v3/objects/contacts", headers=sb.headers, timeout=10)
    assert general.headers["X-HubSpot-RateLimit-Remaining"] == "189"  # searches did not use the 10 s budget
    assert general.headers["X-HubSpot-RateLimit-Daily-Remaining"] == str(625_000 - 6)  # but did count daily


def test_unlimited_tier_sends_no_rate_limit_headers_and_never_429s(sandbox_factory):
    sb = sandbox_factory(tier="unlimited")
    session = requests.Session()
    for _ in range(8):
        answer = session.post(
            f"{sb.url}/crm/v3/objects/contacts/search", json={}, headers=sb.headers, timeout=10
        )
        assert answer.status_code != 429
    answer = session.get(f"{sb.url}/crm/v3/objects/contacts", headers=sb.headers, timeout=10)
    assert answer.status_code == 200 and not any(h in answer.headers for h in RATE_HEADERS)
