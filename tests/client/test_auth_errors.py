"""OAuth failures say what is wrong and what to do; short-lived tokens are not refreshed on every call; the dated
API family refreshes on its own token path."""

from __future__ import annotations

import time

import pytest
import requests

from hubspot_assets.hubspot import oauth_flow
from hubspot_assets.hubspot.auth import OAuthTokenProvider, exchange_code
from hubspot_assets.hubspot.errors import AuthorizationCodeError, OAuthClientError, RefreshTokenInvalidError
from hubspot_assets.hubspot.token_store import StoredTokens, TokenStore
from hubspot_assets.hubspot.transport import Transport
from tests.client.clients import TOKEN_KEY, client_settings
from tests.client.sandbox_admin import request_stats, reset_stats

LIST = "/crm/v3/objects/contacts"


def token_calls(stats: dict) -> dict[str, int]:
    return {e: n for e, n in stats["by_endpoint"].items() if e.startswith("POST /oauth/")}


def login(settings) -> None:
    oauth_flow.login(settings, port=0, opener=lambda url: requests.get(url, timeout=10), show=lambda _: None,
                     timeout=20)


def expired_store(tmp_path) -> None:
    TokenStore(tmp_path / "tokens.enc", TOKEN_KEY).save(
        StoredTokens(access_token="expired-access-token-1234", refresh_token="some-refresh-token-5678",
                     expires_at=time.time() - 5, hub_id=62515)
    )


def test_a_bad_authorization_code_is_reported_as_such_not_as_a_refresh_token(sandbox, tmp_path):
    settings = client_settings(sandbox, tmp_path, oauth=True)
    with pytest.raises(AuthorizationCodeError) as caught:
        exchange_code(settings, Transport(settings), "bogus-code-value", "http://localhost:1/oauth-callback")
    message = str(caught.value)
    assert "authorization code" in message and "refresh token" not in message
    assert not isinstance(caught.value, RefreshTokenInvalidError)
    assert "bogus-code-value" not in message


def test_wrong_client_secret_on_refresh_says_to_check_the_app_credentials(sandbox, tmp_path):
    settings = client_settings(sandbox, tmp_path, oauth=True, client_secret="wrong-client-secret-0000")
    expired_store(tmp_path)
    provider = OAuthTokenProvider(settings)
    with pytest.raises(OAuthClientError) as caught:
        provider.access_token()
    message = str(caught.value)
    assert "HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET" in message
    assert "auth login" not in message and not isinstance(caught.value, RefreshTokenInvalidError)
    assert "wrong-client-secret-0000" not in message and "some-refresh-token-5678" not in message


def test_only_a_bad_refresh_token_says_to_log_in_again(sandbox, tmp_path):
    settings = client_settings(sandbox, tmp_path, oauth=True)
    expired_store(tmp_path)
    with pytest.raises(RefreshTokenInvalidError) as caught:
        OAuthTokenProvider(settings).access_token()
    assert caught.value.category == "BAD_REFRESH_TOKEN" and "hubspot-elt auth login" in str(caught.value)


def test_token_shorter_lived_than_the_margin_is_not_refreshed_on_every_call(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(token_ttl_s=60)
    settings = client_settings(sandbox, tmp_path, oauth=True, oauth_refresh_margin_s=300)
    login(settings)
    reset_stats(sandbox)
    provider = OAuthTokenProvider(settings)
    transport = Transport(settings, token_provider=provider)
    for _ in range(5):
        transport.request("GET", LIST, params={"limit": 1})
    # The 300 s margin is capped at half the 60 s lifetime: the fresh token serves every call.
    assert provider.refresh_count == 0 and token_calls(request_stats(sandbox)) == {}


def test_dated_api_family_refreshes_on_the_dated_token_path(sandbox, tmp_path):
    settings = client_settings(sandbox, tmp_path, oauth=True, api_version="2026-03")
    login(settings)
    store = TokenStore(tmp_path / "tokens.enc", TOKEN_KEY)
    tokens = store.load()
    store.save(StoredTokens(**{**tokens.to_json(), "scopes": tuple(tokens.scopes), "expires_at": time.time() - 1}))
    reset_stats(sandbox)
    provider = OAuthTokenProvider(settings)
    provider.access_token()
    assert provider.refresh_count == 1
    assert token_calls(request_stats(sandbox)) == {"POST /oauth/2026-03/token": 1}
    with pytest.raises(AuthorizationCodeError) as caught:
        exchange_code(settings, Transport(settings), "bogus-code-value", "http://localhost:1/oauth-callback")
    assert caught.value.endpoint == "/oauth/2026-03/token"
