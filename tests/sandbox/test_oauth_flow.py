"""OAuth 2 in the sandbox over real HTTP: authorize, code exchange, expiry, refresh, revoke, introspect."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from hubspot_assets.sandbox.config import SandboxConfig
from hubspot_assets.sandbox.server import SandboxServer

CLIENT = {"client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret"}
REDIRECT = "http://localhost:8976/oauth-callback"
SCOPES = "oauth crm.objects.contacts.read"


def authorize(sb, scope: str = SCOPES, **extra) -> requests.Response:
    params = {
        "client_id": CLIENT["client_id"],
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "st-9",
        **extra,
    }
    return requests.get(f"{sb.url}/oauth/authorize", params=params, allow_redirects=False, timeout=10)


def code_from(answer: requests.Response) -> str:
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


def exchange(sb, code: str, path: str = "/oauth/v1/token", redirect_uri: str = REDIRECT) -> requests.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, **CLIENT}
    return requests.post(sb.url + path, data=form, timeout=10)


def refresh(sb, token: str) -> requests.Response:
    return requests.post(
        f"{sb.url}/oauth/v1/token",
        data={"grant_type": "refresh_token", "refresh_token": token, **CLIENT},
        timeout=10,
    )


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def shared_sandbox():
    # One real sandbox for the module (fast); `sb` resets limits and token lifetime before every test.
    with SandboxServer(SandboxConfig(seed=42, scale="small", tier="pro")) as server:
        yield server


@pytest.fixture
def sb(shared_sandbox):
    shared_sandbox.admin("platform", {"tier": "pro", "reset_limits": True})
    shared_sandbox.admin("oauth/config", {"token_ttl_s": 1800})
    return shared_sandbox


def test_authorize_redirects_back_with_code_and_state_and_codes_work_once(sb):
    answer = authorize(sb, optional_scope="tickets not.a.scope")
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    assert parse_qs(location.query)["state"] == ["st-9"]
    first = exchange(sb, code_from(answer))
    tokens = first.json()
    assert first.status_code == 200 and tokens["token_type"] == "bearer" and tokens["expires_in"] > 1700
    assert tokens["hub_id"] == 62515 and tokens["scopes"] == ["crm.objects.contacts.read", "oauth", "tickets"]
    again = exchange(sb, code_from(answer))
    assert again.status_code == 400 and again.json()["status"] == "BAD_AUTH_CODE"
    assert again.json()["error"] == "invalid_grant"


def test_codes_are_bound_to_the_redirect_uri_and_token_endpoint_checks_the_client(sb):
    wrong_uri = exchange(sb, code_from(authorize(sb)), redirect_uri="http://localhost:1/other")
    assert wrong_uri.status_code == 400 and wrong_uri.json()["status"] == "BAD_REDIRECT_URI"
    form = {
        "grant_type": "authorization_code",
        "code": code_from(authorize(sb)),
        "redirect_uri": REDIRECT,
        "client_id": CLIENT["client_id"],
        "client_secret": "nope",
    }
    bad_secret = requests.post(f"{sb.url}/oauth/v1/token", data=form, timeout=10)
    assert bad_secret.status_code == 400 and bad_secret.json()["status"] == "BAD_CLIENT_SECRET"
    assert "nope" not in bad_secret.text


def test_authorize_refuses_unknown_scopes_and_clients(sb):
    assert authorize(sb, scope="oauth crm.everything.write").status_code == 400
    answer = requests.get(
        f"{sb.url}/oauth/authorize",
        params={"client_id": "other", "redirect_uri": REDIRECT, "scope": "oauth"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 400 and "Location" not in answer.headers


def test_newer_token_paths_answer_like_v1(sb):
    for path in ("/oauth/v3/token", "/oauth/2026-03/token"):
        answer = exchange(sb, code_from(authorize(sb)), path=path)
        assert answer.status_code == 200 and answer.json()["refresh_token"].startswith("na1-")


def test_access_token_works_then_expires_and_refresh_gives_a_working_one(sb):
    sb.admin("oauth/config", {"token_ttl_s": 2})
    issued = time.monotonic()
    tokens = exchange(sb, code_from(authorize(sb))).json()
    assert tokens["expires_in"] <= 2
    live = requests.get(
        f"{sb.url}/crm/v3/objects/contacts", headers=bearer(tokens["access_token"]), timeout=10
    )
    assert live.status_code == 200
    time.sleep(max(0.0, issued + 2.1 - time.monotonic()))
    expired = requests.get(
        f"{sb.url}/crm/v3/objects/contacts", headers=bearer(tokens["access_token"]), timeout=10
    )
    assert expired.status_code == 401 and expired.json()["category"] == "EXPIRED_AUTHENTICATION"
    sb.admin("oauth/config", {"token_ttl_s": 1800})
    renewed = refresh(sb, tokens["refresh_token"]).json()
    assert (
        renewed["refresh_token"] == tokens["refresh_token"]
        and renewed["access_token"] != tokens["access_token"]
    )
    again = requests.get(
        f"{sb.url}/crm/v3/objects/contacts", headers=bearer(renewed["access_token"]), timeout=10
    )
    assert again.status_code == 200


def test_oauth_calls_use_the_110_budget_without_daily_headers(sb):
    tokens = exchange(sb, code_from(authorize(sb))).json()
    answer = requests.get(
        f"{sb.url}/crm/v3/objects/contacts", headers=bearer(tokens["access_token"]), timeout=10
    )
    assert answer.headers["X-HubSpot-RateLimit-Max"] == "110"
    assert answer.headers["X-HubSpot-RateLimit-Remaining"] == "109"
    assert "X-HubSpot-RateLimit-Daily" not in answer.headers
    assert "X-HubSpot-RateLimit-Daily-Remaining" not in answer.headers
    private = requests.get(f"{sb.url}/crm/v3/objects/contacts", headers=sb.headers, timeout=10)
    assert (
        private.headers["X-HubSpot-RateLimit-Max"] == "190"
        and private.headers["X-HubSpot-RateLimit-Remaining"] == "189"
    )


def test_introspection_reports_scopes_hub_and_remaining_lifetime(sb):
    tokens = exchange(sb, code_from(authorize(sb))).json()
    info = requests.get(f"{sb.url}/oauth/v1/access-tokens/{tokens['access_token']}", timeout=10).json()
    assert info["hub_id"] == 62515 and info["app_id"] == 1000001 and info["token_type"] == "access"
    assert info["scopes"] == ["crm.objects.contacts.read", "oauth"] and 1700 < info["expires_in"] <= 1800
    meta = requests.get(f"{sb.url}/oauth/v1/refresh-tokens/{tokens['refresh_token']}", timeout=10).json()
    assert meta["client_id"] == "sandbox-client-id" and meta["token_type"] == "refresh"
    assert requests.get(f"{sb.url}/oauth/v1/access-tokens/COunknown", timeout=10).status_code == 404


def test_revoked_refresh_token_gives_bad_refresh_token_and_disables_its_access_tokens(sb):
    tokens = exchange(sb, code_from(authorize(sb))).json()
    gone = requests.delete(f"{sb.url}/oauth/v1/refresh-tokens/{tokens['refresh_token']}", timeout=10)
    assert gone.status_code == 204
    answer = refresh(sb, tokens["refresh_token"])
    body = answer.json()
    assert (
        answer.status_code == 400
        and body["error"] == "invalid_grant"
        and body["status"] == "BAD_REFRESH_TOKEN"
    )
    assert body["message"] and body["error_description"] and body["correlationId"]
    denied = requests.get(
        f"{sb.url}/crm/v3/objects/contacts", headers=bearer(tokens["access_token"]), timeout=10
    )
    assert denied.status_code == 401 and denied.json()["category"] == "INVALID_AUTHENTICATION"
    assert (
        requests.get(f"{sb.url}/oauth/v1/refresh-tokens/{tokens['refresh_token']}", timeout=10).status_code
        == 404
    )
