"""The OAuth authorization-code flow behind `hubspot-elt auth login`, plus status and logout.

1. Start a one-shot listener on `127.0.0.1:<port>` (the app's redirect URI is
   `http://localhost:<port>/oauth-callback`; port from `--port` or `HUBSPOT_OAUTH_REDIRECT_PORT`).
2. Build the authorize URL (client id, redirect URI, scopes, a random `state`) on `HUBSPOT_OAUTH_AUTHORIZE_URL`
   (default: HubSpot's `https://app.hubspot.com/oauth/authorize`, or `<base_url>/oauth/authorize` for the sandbox),
   and open it in a browser (or print it with `--no-browser`).
3. The listener takes the first redirect to `/oauth-callback`, checks `state`, and answers a short page.
4. Exchange the single-use code at the token endpoint, read the account (hub id, scopes) and store the tokens
   in the encrypted store.
"""

from __future__ import annotations

import html
import secrets
import threading
import time
import webbrowser
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from hubspot_assets.hubspot.auth import exchange_code, token_endpoint_transport
from hubspot_assets.hubspot.errors import ConfigurationError, HubSpotError
from hubspot_assets.hubspot.logging import AUTH_LOGGER, get_logger, register_secret
from hubspot_assets.hubspot.settings import ClientSettings
from hubspot_assets.hubspot.token_store import StoredTokens, TokenStore
from hubspot_assets.hubspot.transport import Budget, Transport

log = get_logger(AUTH_LOGGER)

CALLBACK_PATH = "/oauth-callback"
HUBSPOT_API_HOST = "https://api.hubapi.com"
HUBSPOT_AUTHORIZE_URL = "https://app.hubspot.com/oauth/authorize"


class OAuthFlowError(HubSpotError):
    """The authorization did not complete (denied, wrong state, timed out)."""

    hint = "run `hubspot-elt auth login` again"


def authorize_endpoint(settings: ClientSettings) -> str:
    """Where users approve the app: the setting, else HubSpot's page, else `<base_url>/oauth/authorize`."""
    if settings.oauth_authorize_url:
        return settings.oauth_authorize_url
    if settings.base_url.rstrip("/") == HUBSPOT_API_HOST:
        return HUBSPOT_AUTHORIZE_URL
    return settings.base_url.rstrip("/") + "/oauth/authorize"


def redirect_uri_for(port: int) -> str:
    """The redirect URI to register in the app's settings for this port."""
    return f"http://localhost:{port}{CALLBACK_PATH}"


def authorize_url(
    settings: ClientSettings, *, redirect_uri: str, state: str, scopes: Sequence[str], optional_scopes: Sequence[str] = ()
) -> str:
    """The URL to open in a browser to approve the app."""
    if not settings.client_id:
        raise ConfigurationError("OAuth login needs HUBSPOT_CLIENT_ID (the app's client id)")
    query = {"client_id": settings.client_id, "redirect_uri": redirect_uri, "scope": " ".join(scopes), "state": state}
    if optional_scopes:
        query["optional_scope"] = " ".join(optional_scopes)
    return f"{authorize_endpoint(settings)}?{urlencode(query)}"


@dataclass
class CallbackResult:
    code: str | None
    state: str | None
    error: str | None


class RedirectCatcher:
    """A one-shot HTTP listener on 127.0.0.1 that waits for HubSpot's redirect to `/oauth-callback`."""

    def __init__(self, port: int = 0) -> None:
        catcher = self
        self._result: CallbackResult | None = None
        self._done = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # the query holds the code: never log it
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                parts = urlsplit(self.path)
                if parts.path != CALLBACK_PATH or catcher._done.is_set():
                    self.send_response(404)
                    self.end_headers()
                    return
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                register_secret(query.get("code"))
                catcher._result = CallbackResult(query.get("code"), query.get("state"),
                                                 query.get("error_description") or query.get("error"))
                ok = catcher._result.code and not catcher._result.error
                page = (
                    "<h1>hubspot-elt is connected</h1><p>You can close this tab.</p>"
                    if ok
                    else f"<h1>Authorization failed</h1><p>{html.escape(catcher._result.error or 'no code')}</p>"
                )
                body = f"<!DOCTYPE html><html><body>{page}</body></html>".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                catcher._done.set()

        try:
            self._server = HTTPServer(("127.0.0.1", port), Handler)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot listen on 127.0.0.1:{port} for the OAuth redirect ({exc.strerror})",
                hint="pick another --port and register http://localhost:<port>/oauth-callback in the app",
            ) from None
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._serve, name="oauth-redirect-catcher", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self._server.timeout = 0.2
        while not self._done.is_set():
            self._server.handle_request()

    @property
    def redirect_uri(self) -> str:
        return redirect_uri_for(self.port)

    def wait(self, timeout: float) -> CallbackResult:
        """The redirect's query, or `OAuthFlowError` when none came within `timeout` seconds."""
        try:
            if not self._done.wait(timeout):
                raise OAuthFlowError(f"no redirect reached {self.redirect_uri} within {timeout:.0f} s")
            assert self._result is not None
            return self._result
        finally:
            self.close()

    def close(self) -> None:
        self._done.set()
        self._thread.join(timeout=2)
        self._server.server_close()


def login(
    settings: ClientSettings,
    *,
    port: int | None = None,
    scopes: Sequence[str] | None = None,
    open_browser: bool = True,
    show: Callable[[str], None] = print,
    opener: Callable[[str], Any] | None = None,
    timeout: float = 300.0,
    store: TokenStore | None = None,
) -> StoredTokens:
    """Run the authorization-code flow and store the tokens; returns what was stored.

    `opener(url)` opens the authorize URL (default: the system browser); tests pass a function that follows the
    redirect. With `open_browser=False` the URL is only shown. Raises `OAuthFlowError` on a denied
    authorization, a `state` mismatch or a timeout. The code is exchanged once: when that exchange fails after
    HubSpot may have taken the code, the error says to run `hubspot-elt auth login` again.
    """
    if not settings.client_id or settings.client_secret is None:
        raise ConfigurationError("OAuth login needs HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET (the app's credentials)")
    store = store or TokenStore.from_settings(settings)
    store.ensure_key()  # fail before the browser dance when there is no key to encrypt with
    scopes = list(scopes) if scopes else settings.oauth_scopes.split()
    catcher = RedirectCatcher(settings.oauth_redirect_port if port is None else port)
    state = secrets.token_urlsafe(24)
    url = authorize_url(settings, redirect_uri=catcher.redirect_uri, state=state, scopes=scopes)
    show(f"Open this URL to connect hubspot-elt to HubSpot:\n  {url}")
    if open_browser:
        try:
            (opener or webbrowser.open)(url)
        except Exception as exc:  # a headless machine: the printed URL is the way
            show(f"(could not open a browser: {type(exc).__name__}; open the URL yourself)")
    result = catcher.wait(timeout)
    if result.error or not result.code:
        raise OAuthFlowError(f"HubSpot did not authorize the app: {result.error or 'no code in the redirect'}")
    if not result.state or not secrets.compare_digest(result.state, state):
        raise OAuthFlowError("the redirect's state does not match this login (possible forgery); nothing was stored")
    with token_endpoint_transport(settings) as transport:
        answer = exchange_code(settings, transport, result.code, catcher.redirect_uri)
        tokens = StoredTokens.from_token_answer(answer, client_id=settings.client_id)
        if tokens.hub_id is None or not tokens.scopes:
            info = introspect(settings, transport, tokens.access_token)
            tokens = StoredTokens.from_token_answer(
                {**answer, "hub_id": answer.get("hub_id") or info.get("hub_id"),
                 "scopes": answer.get("scopes") or info.get("scopes")},
                client_id=settings.client_id,
            )
    store.save(tokens)
    log.info("oauth login stored tokens for hub %s (%d scopes)", tokens.hub_id, len(tokens.scopes))
    return tokens


def introspect(settings: ClientSettings, transport: Transport, access_token: str) -> dict[str, Any]:
    """HubSpot's metadata for an access token (hub_id, scopes, expires_in, ...). `NotFoundError` for an unknown or
    revoked token, `AuthenticationError` (EXPIRED_AUTHENTICATION) for an expired one."""
    register_secret(access_token)
    response = transport.request(
        "GET", f"/oauth/v1/access-tokens/{access_token}", endpoint="/oauth/v1/access-tokens/{token}",
        auth=False, budget=Budget.NONE,
    )
    return response.data if isinstance(response.data, dict) else {}


def refresh_token_info(transport: Transport, refresh_token: str) -> dict[str, Any]:
    """HubSpot's metadata for a refresh token (hub_id, scopes, client_id, ...); `NotFoundError` once it is revoked
    (the app was uninstalled or logged out)."""
    register_secret(refresh_token)
    response = transport.request(
        "GET", f"/oauth/v1/refresh-tokens/{refresh_token}", endpoint="/oauth/v1/refresh-tokens/{token}",
        auth=False, budget=Budget.NONE,
    )
    return response.data if isinstance(response.data, dict) else {}


def status(settings: ClientSettings, store: TokenStore | None = None, *, check: bool = True) -> dict[str, Any]:
    """What is stored (hub id, scopes, expiry; never a token), and with `check`, whether HubSpot accepts it.

    With `check`, `accepted` is True when HubSpot takes the access token, or the refresh token that renews an
    expired one; False when it refuses them (log in again); None when HubSpot could not be asked (`check_error`
    says why). `access_token_valid` and `refresh_token_valid` give the detail.
    """
    store = store or TokenStore.from_settings(settings)
    tokens = store.load()
    if tokens is None:
        return {"logged_in": False, "store": str(store.path)}
    now = time.time()
    info: dict[str, Any] = {
        "logged_in": True,
        "store": str(store.path),
        "hub_id": tokens.hub_id,
        "scopes": list(tokens.scopes),
        "expires_at": tokens.expires_at,
        "expires_in_s": int(tokens.expires_at - now),
        "client_id": tokens.client_id,
    }
    if check:
        with token_endpoint_transport(settings) as transport:
            info.update(_ask_hubspot(transport, tokens, info["hub_id"]))
    return info


def _ask_hubspot(transport: Transport, tokens: StoredTokens, hub_id: int | None) -> dict[str, Any]:
    """Whether HubSpot accepts the stored tokens: the access token, else the refresh token that renews it."""
    try:
        live = introspect(transport.settings, transport, tokens.access_token)
        return {"accepted": True, "access_token_valid": True, "hub_id": live.get("hub_id", hub_id)}
    except HubSpotError as exc:
        if not _refused(exc):
            return {"accepted": None, "check_error": _reason(exc)}
        answer: dict[str, Any] = {"access_token_valid": False, "check_error": _reason(exc)}
    # An expired access token is normal (it lives 30 minutes): the refresh token decides.
    try:
        refresh_token_info(transport, tokens.refresh_token)
        return {**answer, "accepted": True, "refresh_token_valid": True}
    except HubSpotError as exc:
        if not _refused(exc):
            return {**answer, "accepted": None, "check_error": _reason(exc)}
        return {**answer, "accepted": False, "refresh_token_valid": False, "check_error": _reason(exc)}


def _refused(error: HubSpotError) -> bool:
    """HubSpot answered and refused the token (401, 404, ...), as opposed to not answering usefully (5xx, network,
    a timeout or a rate limit: 408 and 429 say nothing of the token)."""
    return error.status is not None and 400 <= error.status < 500 and error.status not in (408, 429)


def _reason(error: HubSpotError) -> str:
    return error.category or type(error).__name__


def logout(settings: ClientSettings, store: TokenStore | None = None) -> dict[str, Any]:
    """Revoke the refresh token at HubSpot (best effort) and delete the store."""
    store = store or TokenStore.from_settings(settings)
    try:
        tokens = store.load()
    except HubSpotError:
        tokens = None  # unreadable store: still delete it
    revoked = False
    revoke_error = None
    if tokens is not None and tokens.refresh_token:
        with token_endpoint_transport(settings) as transport:
            try:
                transport.request(
                    "DELETE", f"/oauth/v1/refresh-tokens/{tokens.refresh_token}",
                    endpoint="/oauth/v1/refresh-tokens/{token}", auth=False, budget=Budget.NONE,
                )
                revoked = True
            except HubSpotError as exc:
                revoke_error = str(exc)
    deleted = store.delete()
    return {"revoked": revoked, "deleted": deleted, "revoke_error": revoke_error, "store": str(store.path)}
