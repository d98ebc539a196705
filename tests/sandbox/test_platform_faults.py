"""Fault injection over real HTTP: each kind, forced and random (deterministic for a seed), path filters."""

from __future__ import annotations

import orjson
import pytest
import requests

from hubspot_assets.sandbox.config import SandboxConfig
from hubspot_assets.sandbox.faults import parse_faults
from hubspot_assets.sandbox.server import SandboxServer


@pytest.fixture(scope="module")
def shared_sandbox():
    # One real sandbox for the module (fast); `sb` puts it back in a clean state before every test.
    with SandboxServer(SandboxConfig(seed=42, scale="small", tier="unlimited")) as server:
        yield server


@pytest.fixture
def sb(shared_sandbox):
    shared_sandbox.admin("faults", method="DELETE")
    shared_sandbox.admin("platform", {"tier": "unlimited", "reset_limits": True})
    shared_sandbox.admin("stats/reset", {})
    return shared_sandbox


def contacts(sb, session=requests) -> requests.Response:
    return session.get(f"{sb.url}/crm/v3/objects/contacts?limit=5", headers=sb.headers, timeout=10)


def force(sb, kind: str, count: int = 1, arg=None, path=None) -> None:
    sb.admin("faults", {"force": {"kind": kind, "count": count, "arg": arg, "path": path}})


def test_forced_5xx_answers_hubspot_error_json_once_each(sb):
    for status in (500, 502, 503, 504, 521, 522, 523, 524):
        force(sb, str(status))
        answer = contacts(sb)
        body = answer.json()
        assert answer.status_code == status and body["status"] == "error" and body["category"]
        assert body["correlationId"] == answer.headers["X-HubSpot-Correlation-Id"]
        assert contacts(sb).status_code == 200  # only the next request was forced


def test_forced_477_carries_retry_after(sb):
    force(sb, "477", arg=3)
    answer = contacts(sb)
    assert answer.status_code == 477 and answer.headers["Retry-After"] == "3"
    assert answer.json()["category"] == "MIGRATION_IN_PROGRESS"


def test_reset_closes_the_connection_without_an_answer(sb):
    force(sb, "reset")
    with pytest.raises(requests.ConnectionError):
        contacts(sb)
    assert contacts(sb).status_code == 200
    assert sb.admin("stats")["requests"]["faults"] == {"reset": 1}


def test_slow_fault_delays_a_normal_answer(sb):
    force(sb, "slow", arg=0.6)
    answer = contacts(sb)
    assert answer.status_code == 200 and answer.json()["results"]
    assert int(answer.headers["X-Sandbox-Delay-Ms"]) >= 600  # what the sandbox held it, on its own clock
    assert sb.admin("stats")["requests"]["faults"] == {"slow": 1}
    assert "X-Sandbox-Delay-Ms" not in contacts(sb).headers  # only the forced request was slowed


def test_burst429_answers_n_consecutive_rate_limit_errors(sb):
    sb.admin("platform", {"tier": "pro"})
    force(sb, "burst429", arg=3)
    session = requests.Session()
    answers = [contacts(sb, session) for _ in range(4)]
    assert [a.status_code for a in answers] == [429, 429, 429, 200]
    assert answers[0].json()["policyName"] == "TEN_SECONDLY_ROLLING"
    assert answers[0].json()["errorType"] == "RATE_LIMIT"
    assert answers[0].headers["X-HubSpot-RateLimit-Remaining"] == "0"


def test_truncated_body_is_invalid_json_with_consistent_length(sb):
    force(sb, "truncate")
    answer = contacts(sb)
    assert answer.status_code == 200 and int(answer.headers["Content-Length"]) == len(answer.content)
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(answer.content)
    assert len(answer.content) * 2 <= len(contacts(sb).content) + 1


def test_html_error_page_fault(sb):
    force(sb, "html", arg=503)
    answer = contacts(sb)
    assert answer.status_code == 503 and answer.headers["content-type"].startswith("text/html")
    assert "<h1>503 Service Unavailable</h1>" in answer.text


def test_forced_faults_respect_a_path_filter(sb):
    force(sb, "500", count=2, path="/crm/v3/objects/companies")
    assert contacts(sb).status_code == 200
    companies = [
        requests.get(f"{sb.url}/crm/v3/objects/companies", headers=sb.headers, timeout=10).status_code
        for _ in range(3)
    ]
    assert companies[:2] == [500, 500] and companies[2] != 500


def test_random_faults_repeat_exactly_for_the_same_seed(sb):
    def run() -> list[int]:
        sb.admin("faults", {"spec": "500:0.3,503:0.2", "seed": 11})
        session = requests.Session()
        return [contacts(sb, session).status_code for _ in range(30)]

    first, second = run(), run()
    assert first == second
    assert {500, 503, 200} <= set(first)


def test_faults_from_config_apply_only_to_matching_paths(sandbox_factory):
    sb = sandbox_factory(faults="502:1@/crm/v3/objects/companies*")
    assert (
        requests.get(f"{sb.url}/crm/v3/objects/companies", headers=sb.headers, timeout=10).status_code == 502
    )
    assert contacts(sb).status_code == 200
    state = sb.admin("faults")
    assert state["rules"] == [{"kind": "502", "rate": 1.0, "arg": None, "path": "/crm/v3/objects/companies*"}]
    sb.admin("faults", method="DELETE")
    assert (
        requests.get(f"{sb.url}/crm/v3/objects/companies", headers=sb.headers, timeout=10).status_code == 200
    )


def test_bad_fault_spec_is_refused_with_the_grammar(sb):
    answer = requests.post(f"{sb.url}/_sandbox/faults", json={"spec": "explode:0.5"}, timeout=10)
    assert answer.status_code == 400 and "unknown fault kind 'explode'" in answer.json()["message"]
    assert "KIND[=ARG]:RATE[@PATH]" in answer.json()["message"]


def test_fault_grammar_parses_args_rates_and_paths():
    rules = parse_faults("500:0.05, reset:0.01,slow=6:0.02,burst429=5:0.01,truncate:0.01,html=503:0.5@/crm/*")
    assert [(r.kind, r.rate, r.arg, r.path) for r in rules] == [
        ("500", 0.05, None, None),
        ("reset", 0.01, None, None),
        ("slow", 0.02, 6.0, None),
        ("burst429", 0.01, 5.0, None),
        ("truncate", 0.01, None, None),
        ("html", 0.5, 503.0, "/crm/*"),
    ]
    for bad in ("500", "500:2", "slow=x:0.1", "reset=3:0.1", "html=200:0.1"):
        with pytest.raises(ValueError):
            parse_faults(bad)
