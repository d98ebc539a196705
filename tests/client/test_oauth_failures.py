"""OAuth failures a user meets after a chaos trial, each told in terms they can act on: a code-for-token exchange
that failed, an app whose access was revoked, `auth status` against tokens HubSpot refuses."""

from __future__ import annotations

import json
import logging

import pytest
import requests
from click.testing import CliRunner

from hubspot_assets.auth_cli import auth
from hubspot_assets.hubspot import oauth_flow
from hubspot_assets.hubspot.client import HubSpotClient
from hubspot_assets.hubspot.errors import AuthenticationError, HubSpotError
from hubspot_assets.hubspot.token_store import TokenStore
from tests.client.clients import TOKEN_KEY, client_settings, point_cli_at
from tests.client.sandbox_admin import admin_post, clear_faults, endpoint_count, force_fault, request_stats, reset_stats

TOKEN_EXCHANGE = "POST /oauth/v1/token"


def follow_redirects(url: str) -> None:
    """The user's browser: open the authorize page and follow HubSpot's redirect to localhost."""
    requests.get(url, timeout=10)


def login(settings):
    return oauth_flow.login(settings, port=0, opener=follow_redirects, show=lambda _: None, timeout=20)


@pytest.fixture
def sandbox(sandbox):
    """The session sandbox with no forced fault left over for the next test."""
    clear_faults(sandbox)
    yield sandbox
    clear_faults(sandbox)


@pytest.mark.parametrize("kind", ["503", "429", "522"])
def test_login_retries_a_token_exchange_that_hubspot_never_processed(sandbox, tmp_path, kind):
    settings = client_settings(sandbox, tmp_path, oauth=True)
    force_fault(sandbox, kind, count=1, path="/oauth/v1/token")
    reset_stats(sandbox)
    tokens = login(settings)
    assert tokens.hub_id == sandbox.config.portal_id
    assert endpoint_count(request_stats(sandbox), TOKEN_EXCHANGE) == 2  # refused once, then exchanged


@pytest.mark.parametrize(("kind", "arg"), [("500", None), ("502", None), ("504", None), ("slow", 1.5)])
def test_login_says_to_log_in_again_when_the_code_may_have_been_used(sandbox, sandbox_factory, tmp_path, caplog,
                                                                    kind, arg):
    if kind == "slow":  # its answer comes after the test: on the shared sandbox it would count in the next one's stats
        sandbox = sandbox_factory()
    settings = client_settings(sandbox, tmp_path, oauth=True, read_timeout_s=0.5)
    force_fault(sandbox, kind, count=1, arg=arg, path="/oauth/v1/token")
    with caplog.at_level(logging.INFO, logger="hubspot_elt.http"), pytest.raises(HubSpotError) as caught:
        login(settings)
    message = str(caught.value)
    assert "authorization code" in message and "only once" in message
    assert "run `hubspot-elt auth login` again" in message
    assert "took effect" not in message and "not idempotent" not in message
    # The single-use code went out once (the transport logs every attempt; a slow answer is counted by the sandbox
    # only once it is served, after this test has moved on).
    sends = [r for r in caplog.records if getattr(r, "hubspot", {}).get("endpoint") == "/oauth/v1/token"]
    assert len(sends) == 1
    assert TokenStore(tmp_path / "tokens.enc", TOKEN_KEY).load() is None


def test_a_revoked_oauth_app_is_told_to_log_in_again_not_to_check_an_access_token(sandbox, tmp_path):
    settings = client_settings(sandbox, tmp_path, oauth=True)
    tokens = login(settings)
    # The app is uninstalled: HubSpot revokes its refresh token and every access token issued from it.
    requests.delete(f"{sandbox.url}/oauth/v1/refresh-tokens/{tokens.refresh_token}", timeout=10).raise_for_status()
    with HubSpotClient(settings) as client, pytest.raises(AuthenticationError) as caught:
        list(client.owners())
    message = str(caught.value)
    assert caught.value.status == 401
    assert "hubspot-elt auth login" in message and "HUBSPOT_ACCESS_TOKEN" not in message


def test_a_rejected_private_app_token_is_told_to_check_hubspot_access_token(sandbox, tmp_path):
    settings = client_settings(sandbox, tmp_path, access_token="pat-na1-not-this-portals-token")
    with HubSpotClient(settings) as client, pytest.raises(AuthenticationError) as caught:
        list(client.owners())
    message = str(caught.value)
    assert "HUBSPOT_ACCESS_TOKEN" in message and "auth login" not in message
    assert "pat-na1-not-this-portals-token" not in message


def test_auth_status_fails_and_says_to_log_in_when_hubspot_refuses_the_tokens(sandbox, tmp_path, monkeypatch):
    tokens = login(point_cli_at(sandbox, tmp_path, monkeypatch))
    requests.delete(f"{sandbox.url}/oauth/v1/refresh-tokens/{tokens.refresh_token}", timeout=10).raise_for_status()
    result = CliRunner().invoke(auth, ["status"])
    assert result.exit_code == 1, result.output
    assert "HubSpot accepts:  no" in result.output and "hubspot-elt auth login" in result.output
    as_json = CliRunner().invoke(auth, ["status", "--json"])
    assert as_json.exit_code == 1
    assert json.loads(as_json.output)["accepted"] is False


def test_auth_status_accepts_an_expired_access_token_whose_refresh_token_is_valid(sandbox_factory, tmp_path,
                                                                                 monkeypatch):
    sandbox = sandbox_factory()
    login(point_cli_at(sandbox, tmp_path, monkeypatch))
    admin_post(sandbox, "oauth/config", {"expire_all": True})  # the 30 minutes have passed
    result = CliRunner().invoke(auth, ["status"])
    assert result.exit_code == 0, result.output
    assert "HubSpot accepts:  yes (the access token has expired" in result.output
    assert "auth login" not in result.output


def test_auth_status_does_not_say_log_in_again_when_hubspot_only_rate_limits_the_check(sandbox_factory, tmp_path,
                                                                                      monkeypatch):
    sandbox = sandbox_factory()
    login(point_cli_at(sandbox, tmp_path, monkeypatch))
    monkeypatch.setenv("HUBSPOT_RETRY_MAX_ATTEMPTS", "1")
    force_fault(sandbox, "429", count=10, path="/oauth/v1/")  # the token checks
    result = CliRunner().invoke(auth, ["status", "--json"])
    answer = json.loads(result.output)
    assert answer["accepted"] is None and answer["check_error"], answer  # unknown, not refused
    assert "auth login" not in result.output
