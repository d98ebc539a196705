"""`hubspot-elt auth login|status|logout` against the sandbox's OAuth server, redirect included."""

from __future__ import annotations

import os
import stat
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from click.testing import CliRunner

from hubspot_assets.auth_cli import auth
from hubspot_assets.hubspot import oauth_flow
from hubspot_assets.hubspot.auth import OAuthTokenProvider
from hubspot_assets.hubspot.oauth_flow import OAuthFlowError, authorize_endpoint
from hubspot_assets.hubspot.token_store import TokenStore
from hubspot_assets.hubspot.transport import Transport
from tests.client.clients import TOKEN_KEY, client_settings, point_cli_at


def follow_redirects(url: str) -> None:
    """What the user's browser does: open the authorize page and follow HubSpot's redirect to localhost."""
    requests.get(url, timeout=10)


def test_login_end_to_end_stores_tokens_that_the_api_accepts(sandbox_factory, tmp_path):
    sandbox = sandbox_factory()
    settings = client_settings(sandbox, tmp_path, oauth=True)
    opened: list[str] = []

    def browser(url: str) -> None:
        opened.append(url)
        follow_redirects(url)

    tokens = oauth_flow.login(settings, port=0, opener=browser, show=lambda _: None, timeout=20)
    query = parse_qs(urlsplit(opened[0]).query)
    assert opened[0].startswith(sandbox.url + "/oauth/authorize?")
    assert query["client_id"] == [sandbox.config.client_id]
    assert query["redirect_uri"][0].startswith("http://localhost:") and query["redirect_uri"][0].endswith("/oauth-callback")
    assert "crm.objects.contacts.read" in query["scope"][0].split() and len(query["state"][0]) >= 24
    assert tokens.hub_id == sandbox.config.portal_id
    assert "crm.objects.contacts.read" in tokens.scopes

    store_path = tmp_path / "tokens.enc"
    assert stat.S_IMODE(os.stat(store_path).st_mode) == 0o600
    assert tokens.access_token.encode() not in store_path.read_bytes()
    provider = OAuthTokenProvider(settings)
    response = Transport(settings, token_provider=provider).request("GET", "/crm/v3/objects/contacts",
                                                                    params={"limit": 1})
    assert response.status == 200


def test_login_rejects_a_redirect_with_the_wrong_state(sandbox_factory, tmp_path):
    sandbox = sandbox_factory()
    settings = client_settings(sandbox, tmp_path, oauth=True)

    def forged_browser(url: str) -> None:
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        query["state"] = "attacker-state"
        follow_redirects(urlunsplit(parts._replace(query=urlencode(query))))

    with pytest.raises(OAuthFlowError) as caught:
        oauth_flow.login(settings, port=0, opener=forged_browser, show=lambda _: None, timeout=20)
    assert "state" in str(caught.value) and "hubspot-elt auth login" in str(caught.value)
    assert not (tmp_path / "tokens.enc").exists()


def test_login_without_browser_prints_the_url_and_times_out_cleanly(sandbox_factory, tmp_path):
    sandbox = sandbox_factory()
    shown: list[str] = []
    with pytest.raises(OAuthFlowError):
        oauth_flow.login(client_settings(sandbox, tmp_path, oauth=True), port=0, open_browser=False,
                         show=shown.append, timeout=0.3)
    assert any("/oauth/authorize?" in text for text in shown)


def test_authorize_host_defaults_to_hubspot_and_follows_the_base_url_for_the_sandbox(tmp_path):
    from hubspot_assets.hubspot.settings import ClientSettings

    hubspot = ClientSettings(base_url="https://api.hubapi.com")
    assert authorize_endpoint(hubspot) == "https://app.hubspot.com/oauth/authorize"
    local = ClientSettings(base_url="http://127.0.0.1:8765")
    assert authorize_endpoint(local) == "http://127.0.0.1:8765/oauth/authorize"
    eu = ClientSettings(oauth_authorize_url="https://app-eu1.hubspot.com/oauth/authorize")
    assert authorize_endpoint(eu) == "https://app-eu1.hubspot.com/oauth/authorize"


def test_cli_status_shows_the_account_not_the_token_and_logout_revokes(sandbox_factory, tmp_path, monkeypatch):
    sandbox = sandbox_factory()
    settings = client_settings(sandbox, tmp_path, oauth=True)
    tokens = oauth_flow.login(settings, port=0, opener=follow_redirects, show=lambda _: None, timeout=20)
    point_cli_at(sandbox, tmp_path, monkeypatch)
    runner = CliRunner()
    result = runner.invoke(auth, ["status"])
    assert result.exit_code == 0, result.output
    assert str(sandbox.config.portal_id) in result.output and "crm.objects.contacts.read" in result.output
    assert "HubSpot accepts:  yes" in result.output
    assert tokens.access_token not in result.output and tokens.refresh_token not in result.output

    result = runner.invoke(auth, ["logout"])
    assert result.exit_code == 0, result.output
    assert "revoked" in result.output and not (tmp_path / "tokens.enc").exists()
    revoked = requests.get(f"{sandbox.url}/oauth/v1/refresh-tokens/{tokens.refresh_token}", timeout=10)
    assert revoked.status_code >= 400
    result = runner.invoke(auth, ["status", "--offline"])
    assert result.exit_code == 1 and "auth login" in result.output
    assert TokenStore(tmp_path / "tokens.enc", TOKEN_KEY).load() is None


def test_cli_login_without_browser_prints_the_url_and_completes_when_it_is_opened(sandbox_factory, tmp_path):
    import subprocess
    import sys

    sandbox = sandbox_factory()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HUBSPOT_")},
        "HUBSPOT_BASE_URL": sandbox.url, "HUBSPOT_CLIENT_ID": sandbox.config.client_id,
        "HUBSPOT_CLIENT_SECRET": sandbox.config.client_secret, "HUBSPOT_TOKEN_KEY": TOKEN_KEY,
        "HUBSPOT_TOKEN_STORE_PATH": str(tmp_path / "tokens.enc"), "HUBSPOT_STATE_DIR": str(tmp_path / "state"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "hubspot_assets.cli", "auth", "login", "--no-browser", "--port", "0", "--timeout", "30"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )
    assert proc.stdout is not None
    url = None
    for line in proc.stdout:
        if "/oauth/authorize?" in line:
            url = line.strip()
            break
    assert url is not None and url.startswith(sandbox.url)
    follow_redirects(url)  # the user opens the printed URL
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"Connected to HubSpot account {sandbox.config.portal_id}" in out
    assert TokenStore(tmp_path / "tokens.enc", TOKEN_KEY).load().hub_id == sandbox.config.portal_id
