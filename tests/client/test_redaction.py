"""No token, refresh token, client secret, authorization code or Authorization header reaches a log or an error."""

from __future__ import annotations

import logging
import re
import socket
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from hubspot_assets.hubspot import oauth_flow
from hubspot_assets.hubspot.auth import OAuthTokenProvider, PrivateAppTokenProvider
from hubspot_assets.hubspot.breaker import CircuitBreaker
from hubspot_assets.hubspot.errors import HubSpotError
from hubspot_assets.hubspot.logging import redact
from hubspot_assets.hubspot.token_store import TokenStore
from hubspot_assets.hubspot.transport import Transport
from tests.client.clients import TOKEN_KEY, client_settings
from tests.client.sandbox_admin import admin_post, force_fault

FORMAT = logging.Formatter("%(name)s %(levelname)s %(message)s %(hubspot)s")


def rendered(record: logging.LogRecord) -> str:
    if not hasattr(record, "hubspot"):
        record.hubspot = ""
    text = FORMAT.format(record)
    return text + " " + " ".join(f"{k}={v!r}" for k, v in vars(record).items())


def test_no_secret_reaches_any_log_record_or_exception(sandbox_factory, tmp_path, caplog):
    sandbox = sandbox_factory()
    settings = client_settings(sandbox, tmp_path, oauth=True, oauth_refresh_margin_s=0, retry_max_attempts=2)
    codes: list[str] = []
    errors: list[BaseException] = []

    def browser(url: str) -> None:
        hop = requests.get(url, allow_redirects=False, timeout=10)
        location = hop.headers["Location"]
        codes.append(parse_qs(urlsplit(location).query)["code"][0])
        requests.get(location, timeout=10)

    with caplog.at_level(logging.DEBUG):
        first = oauth_flow.login(settings, port=0, opener=browser, show=lambda _: None, timeout=20)
        provider = OAuthTokenProvider(settings)
        transport = Transport(settings, token_provider=provider, breaker=CircuitBreaker("t", failure_threshold=50))
        transport.request("GET", "/crm/v3/objects/contacts", params={"limit": 1})
        admin_post(sandbox, "oauth/config", {"expire_all": True})
        transport.request("GET", "/crm/v3/objects/contacts", params={"limit": 1})  # 401 -> refresh -> retry
        refreshed = TokenStore(tmp_path / "tokens.enc", TOKEN_KEY).load()
        assert refreshed.access_token != first.access_token
        force_fault(sandbox, "500", count=2)
        for call in (
            lambda: transport.request("GET", "/crm/v3/objects/contacts"),  # 500 twice -> ServerError
            lambda: transport.request("GET", f"/oauth/v1/access-tokens/{first.access_token}", auth=False),
            lambda: Transport(settings, token_provider=PrivateAppTokenProvider("pat-na1-wrong-token-0000"),
                              breaker=CircuitBreaker("t2")).request("GET", "/crm/v3/objects/contacts"),
            lambda: _unreachable(settings, refreshed.refresh_token),
        ):
            with pytest.raises(HubSpotError) as caught:
                call()
            errors.append(caught.value)
        private = Transport(settings, token_provider=PrivateAppTokenProvider(sandbox.config.access_token),
                            breaker=CircuitBreaker("t3"))
        private.request("GET", "/crm/v3/objects/contacts", params={"limit": 1})
        with pytest.raises(HubSpotError) as caught:
            private.request("GET", "/crm/v3/objects/contacts/999999999")
        errors.append(caught.value)
        logging.getLogger("hubspot_elt.http").warning("echo %s", refreshed.access_token)  # even a careless caller
        oauth_flow.logout(settings)  # DELETE /oauth/v1/refresh-tokens/<token>: urllib3 logs that path

    secrets = {
        "first access token": first.access_token,
        "refreshed access token": refreshed.access_token,
        "refresh token": first.refresh_token,
        "client secret": sandbox.config.client_secret,
        "authorization code": codes[0],
        "wrong private token": "pat-na1-wrong-token-0000",
        "private-app token": sandbox.config.access_token,
        "token key": TOKEN_KEY,
    }
    texts = [rendered(r) for r in caplog.records]
    texts += [str(e) for e in errors] + [repr(e) for e in errors] + [repr(vars(e)) for e in errors]
    assert any("urllib3" in t for t in texts) and any("hubspot_elt.http" in t for t in texts)
    for name, secret in secrets.items():
        leaks = [t for t in texts if secret in t]
        assert not leaks, f"{name} leaked: {leaks[:1]}"
    for text in texts:  # HubSpot's own messages may name the header; never with a value after it
        assert not re.search(r"Bearer (?!\*\*\*)\S", text), text
    assert errors[2].status == 401


def _unreachable(settings, refresh_token: str) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens here now
    dead = settings.model_copy(update={"base_url": f"http://127.0.0.1:{port}", "retry_max_attempts": 1})
    Transport(dead, token_provider=PrivateAppTokenProvider("pat-na1-wrong-token-0000"),
              breaker=CircuitBreaker("dead")).request("DELETE", f"/oauth/v1/refresh-tokens/{refresh_token}",
                                                      auth=False)


def test_secret_shapes_are_redacted_even_when_never_registered():
    text = (
        'Authorization: Bearer abc.def-123 pat-na1-11111111-2222 access_token=zzz&x=1 '
        '{"refresh_token": "r-1", "client_secret":"s-2"} /oauth/v1/refresh-tokens/tok-9?x code=c0de'
    )
    out = redact(text)
    for secret in ("abc.def-123", "pat-na1-11111111-2222", "zzz", "r-1", "s-2", "tok-9", "c0de"):
        assert secret not in out
    assert "x=1" in out and "/oauth/v1/refresh-tokens/***" in out
