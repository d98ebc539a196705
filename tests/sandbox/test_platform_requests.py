"""Per-request platform behaviour over real HTTP: auth, correlation ids, 414, latency, request statistics."""

from __future__ import annotations

import pytest
import requests

from hubspot_assets.sandbox.platform import endpoint_template


def test_missing_wrong_and_non_bearer_credentials_answer_401_invalid_authentication(sandbox):
    url = f"{sandbox.url}/crm/v3/objects/contacts"
    for headers in (
        {},
        {"Authorization": "Bearer pat-na1-wrong"},
        {"Authorization": f"Basic {sandbox.token}"},
    ):
        answer = requests.get(url, headers=headers, timeout=10)
        body = answer.json()
        assert answer.status_code == 401 and body["category"] == "INVALID_AUTHENTICATION"
        assert (
            body["status"] == "error" and body["correlationId"] == answer.headers["X-HubSpot-Correlation-Id"]
        )
        assert "pat-na1-wrong" not in answer.text  # the presented token is never echoed
    assert requests.get(url, headers=sandbox.headers, timeout=10).status_code == 200


def test_every_answer_carries_a_fresh_correlation_id(sandbox):
    ok = requests.get(f"{sandbox.url}/crm/v3/objects/contacts", headers=sandbox.headers, timeout=10)
    missing = requests.get(f"{sandbox.url}/no/such/route", headers=sandbox.headers, timeout=10)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    ids = {ok.headers["X-HubSpot-Correlation-Id"], missing.headers["X-HubSpot-Correlation-Id"]}
    assert len(ids) == 2 and all(len(i) == 36 for i in ids)


def test_url_longer_than_the_limit_answers_414_html(sandbox):
    base = f"{sandbox.url}/crm/v3/objects/contacts?limit=1&properties="
    path_len = len("/crm/v3/objects/contacts?limit=1&properties=")
    fits = requests.get(base + "a" * (8000 - path_len), headers=sandbox.headers, timeout=10)
    assert fits.status_code == 200
    too_long = requests.get(base + "a" * (8001 - path_len), headers=sandbox.headers, timeout=10)
    assert too_long.status_code == 414 and "414 Request-URI Too Large" in too_long.text
    assert too_long.headers["content-type"].startswith("text/html")


def test_max_url_length_is_configurable(sandbox_factory):
    sb = sandbox_factory(max_url_length=100)
    answer = requests.get(
        f"{sb.url}/crm/v3/objects/contacts?properties=" + "x" * 80, headers=sb.headers, timeout=10
    )
    assert answer.status_code == 414


def test_simulated_latency_delays_api_answers_but_not_the_admin_api(sandbox_factory):
    sb = sandbox_factory(latency_ms=250)
    answer = requests.get(f"{sb.url}/crm/v3/objects/contacts", headers=sb.headers, timeout=10)
    assert answer.status_code == 200
    assert int(answer.headers["X-Sandbox-Delay-Ms"]) >= 250  # what the sandbox held it, on its own clock
    admin = requests.get(f"{sb.url}/_sandbox/platform", timeout=10)
    assert admin.json()["latency_ms"] == 250 and "X-Sandbox-Delay-Ms" not in admin.headers


def test_request_stats_count_by_endpoint_template_status_and_reset(sandbox_factory):
    sb = sandbox_factory()
    for object_id in ("1", "2", "3"):
        requests.get(f"{sb.url}/crm/v3/objects/contacts/{object_id}", headers=sb.headers, timeout=10)
    requests.get(f"{sb.url}/crm/v3/objects/contacts", timeout=10)  # 401
    stats = sb.admin("stats")["requests"]
    assert stats["total"] == 4 and stats["by_status"]["401"] == 1
    assert stats["by_endpoint"]["GET /crm/v3/objects/{objectType}/{id}"] == 3
    assert stats["by_endpoint"]["GET /crm/v3/objects/{objectType}"] == 1
    sb.admin("stats/reset", {})
    assert sb.admin("stats")["requests"]["total"] == 0


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("GET", "/crm/v3/objects/0-1/512", "GET /crm/v3/objects/{objectType}/{id}"),
        ("GET", "/crm/objects/2026-03/pets/77", "GET /crm/objects/2026-03/{objectType}/{id}"),
        ("POST", "/crm/v3/objects/deals/batch/read", "POST /crm/v3/objects/{objectType}/batch/read"),
        (
            "POST",
            "/crm/v4/associations/contacts/2-123/batch/read",
            "POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read",
        ),
        (
            "GET",
            "/crm/v4/objects/contacts/9/associations/companies",
            "GET /crm/v4/objects/{objectType}/{id}/associations/{toObjectType}",
        ),
        (
            "GET",
            "/conversations/v3/conversations/threads/42/messages",
            "GET /conversations/v3/conversations/threads/{id}/messages",
        ),
        ("GET", "/oauth/v1/access-tokens/COsecret", "GET /oauth/v1/access-tokens/{token}"),
    ],
)
def test_endpoint_templates_hide_ids_types_and_tokens(method, path, template):
    assert endpoint_template(method, path) == template
