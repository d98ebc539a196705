"""OAuth tokens refresh before expiry, once for every thread and process sharing the store."""

from __future__ import annotations

import dataclasses
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from hubspot_assets.hubspot import oauth_flow
from hubspot_assets.hubspot.auth import OAuthTokenProvider
from hubspot_assets.hubspot.errors import RefreshTokenInvalidError
from hubspot_assets.hubspot.token_store import StoredTokens, TokenStore
from hubspot_assets.hubspot.transport import Transport
from tests.client.clients import TOKEN_KEY, client_settings
from tests.client.sandbox_admin import admin_post, request_stats, reset_stats

LIST = "/crm/v3/objects/contacts"


def token_calls(stats: dict) -> int:
    return sum(n for endpoint, n in stats["by_endpoint"].items() if endpoint.startswith("POST /oauth/") and "token" in endpoint)


def logged_in(sandbox, tmp_path, **overrides):
    settings = client_settings(sandbox, tmp_path, oauth=True, **overrides)
    import requests

    oauth_flow.login(settings, port=0, opener=lambda url: requests.get(url, timeout=10), show=lambda _: None,
                     timeout=20)
    admin_post(sandbox, "oauth/config", {"token_ttl_s": 1800})  # only the first token is short-lived
    # The margin is capped at half a token's lifetime: date the login back so these tests' large margins apply.
    store = TokenStore(tmp_path / "tokens.enc", TOKEN_KEY)
    tokens = store.load()
    store.save(dataclasses.replace(tokens, obtained_at=tokens.expires_at - 7200))
    return settings


def test_token_is_refreshed_before_it_expires(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(token_ttl_s=3)
    settings = logged_in(sandbox, tmp_path, oauth_refresh_margin_s=2.5)
    provider = OAuthTokenProvider(settings)
    first = TokenStore(tmp_path / "tokens.enc", TOKEN_KEY).load().access_token
    time.sleep(0.6)  # now within the margin of expiry
    reset_stats(sandbox)
    transport = Transport(settings, token_provider=provider)
    assert transport.request("GET", LIST, params={"limit": 1}).status == 200
    assert provider.refresh_count == 1 and provider.access_token() != first
    stats = request_stats(sandbox)
    assert stats["by_status"].get("401", 0) == 0 and token_calls(stats) == 1
    stored = TokenStore(tmp_path / "tokens.enc", TOKEN_KEY).load()
    assert stored.access_token == provider.access_token() and stored.expires_at > time.time() + 2


def test_expired_authentication_refreshes_once_and_retries(sandbox_factory, tmp_path):
    sandbox = sandbox_factory()
    settings = logged_in(sandbox, tmp_path, oauth_refresh_margin_s=0)
    provider = OAuthTokenProvider(settings)
    transport = Transport(settings, token_provider=provider)
    transport.request("GET", LIST, params={"limit": 1})
    admin_post(sandbox, "oauth/config", {"expire_all": True})
    reset_stats(sandbox)

    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda _: transport.request("GET", LIST, params={"limit": 1}).status, range(6)))
    assert statuses == [200] * 6
    stats = request_stats(sandbox)
    assert token_calls(stats) == 1  # one refresh for all six threads
    assert 1 <= stats["by_status"].get("401", 0) <= 6
    assert provider.refresh_count == 1


def test_concurrent_refresh_across_two_processes_happens_once(sandbox_factory, tmp_path):
    from tests.client.worker_processes import run_workers

    sandbox = sandbox_factory(token_ttl_s=4)
    settings = logged_in(sandbox, tmp_path, oauth_refresh_margin_s=3.5)
    time.sleep(0.6)  # every worker will find the token inside the refresh margin
    reset_stats(sandbox)
    job_settings = {
        "base_url": sandbox.url, "client_id": settings.client_id,
        "client_secret": settings.client_secret.get_secret_value(), "token_key": TOKEN_KEY,
        "token_store_path": str(tmp_path / "tokens.enc"), "state_dir": str(tmp_path / "state"),
        "oauth_refresh_margin_s": 3.5, "tier": "unlimited",
    }
    results = run_workers(sandbox, tmp_path, processes=2, requests_each=0,
                          extra={"mode": "oauth_refresh", "threads": 4, "settings": job_settings})
    assert sum(r["refreshes"] for r in results) == 1
    assert all(r["distinct_tokens"] == 1 and r["failures"] == 0 for r in results)
    assert token_calls(request_stats(sandbox)) == 1


def test_rejected_refresh_token_tells_the_user_to_log_in_again(sandbox_factory, tmp_path):
    sandbox = sandbox_factory()
    settings = client_settings(sandbox, tmp_path, oauth=True, oauth_refresh_margin_s=0)
    TokenStore(tmp_path / "tokens.enc", TOKEN_KEY).save(
        StoredTokens(access_token="expired-access-token-1234", refresh_token="revoked-refresh-token-5678",
                     expires_at=time.time() - 5, hub_id=62515)
    )
    provider = OAuthTokenProvider(settings)
    with pytest.raises(RefreshTokenInvalidError) as caught:
        Transport(settings, token_provider=provider).request("GET", LIST)
    message = str(caught.value)
    assert "hubspot-elt auth login" in message and caught.value.category == "BAD_REFRESH_TOKEN"
    assert "revoked-refresh-token-5678" not in message


def test_a_failed_early_refresh_keeps_using_the_still_valid_token(sandbox_factory, tmp_path):
    from tests.client.sandbox_admin import force_fault

    sandbox = sandbox_factory()
    settings = logged_in(sandbox, tmp_path, oauth_refresh_margin_s=1800, retry_max_attempts=2)
    current = TokenStore(tmp_path / "tokens.enc", TOKEN_KEY).load().access_token
    force_fault(sandbox, "503", count=2, path="/oauth/")
    provider = OAuthTokenProvider(settings)
    response = Transport(settings, token_provider=provider).request("GET", LIST, params={"limit": 1})
    assert response.status == 200
    assert provider.refresh_count == 0 and provider.access_token() != current  # refreshed on the next call
    assert provider.refresh_count == 1
