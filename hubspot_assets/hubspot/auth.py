"""Who the client is: token providers for private apps and OAuth apps.

A `TokenProvider` hands the transport a bearer token for each attempt, says what to do after a 401, and names
the HubSpot app for rate limiting (`rate_limit_key`, a hash: never the token itself).

- `PrivateAppTokenProvider`: the fixed `pat-...` token from `HUBSPOT_ACCESS_TOKEN`.
- `OAuthTokenProvider`: tokens from the encrypted store (`hubspot-elt auth login` fills it). It refreshes
  `oauth_refresh_margin_s` before `expires_in` runs out (at most half the token's lifetime, so a short-lived
  token is not refreshed on every call), once for every thread and process sharing the store: the refresher
  holds a file lock next to the store; the others wait on it and re-read the store. A 401
  EXPIRED_AUTHENTICATION refreshes once and the request is retried.
- `NoTokenProvider`: for the calls that carry no bearer token (the OAuth token and introspection endpoints).
Token-endpoint failures are typed by `errors.oauth_token_error`: a rejected refresh token raises
`RefreshTokenInvalidError` ("run `hubspot-elt auth login`"), wrong app credentials `OAuthClientError` ("check
HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET"), a bad or reused code `AuthorizationCodeError`. A 401 that no
refresh cures carries the provider's `unauthorized_hint`: what to fix depends on how the client authenticates.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any, Protocol, runtime_checkable

from filelock import FileLock

from hubspot_assets.hubspot.errors import (
    AuthenticationError,
    ConfigurationError,
    HubSpotError,
    RefreshTokenInvalidError,
    TokenStoreError,
    oauth_token_error,
)
from hubspot_assets.hubspot.logging import AUTH_LOGGER, get_logger, register_secret
from hubspot_assets.hubspot.settings import ClientSettings
from hubspot_assets.hubspot.token_store import StoredTokens, TokenStore
from hubspot_assets.hubspot.transport import Budget, Transport

log = get_logger(AUTH_LOGGER)


def identity_hash(*parts: str | None) -> str:
    """A short stable hash naming an app or token in state file names and logs (never reversible to a secret)."""
    digest = hashlib.sha256("\x1f".join(p or "" for p in parts).encode()).hexdigest()
    return digest[:20]


@runtime_checkable
class TokenProvider(Protocol):
    """What the transport needs from an authentication method."""

    kind: str  # "private_app" | "oauth" | "none"
    unauthorized_hint: str  # what the user does when HubSpot rejects this provider's token for good

    def access_token(self) -> str:
        """A bearer token valid for at least the next request (refreshing first when it is about to expire)."""
        ...

    def handle_unauthorized(self, rejected_token: str, category: str | None) -> bool:
        """Called after a 401 answered `rejected_token`; True when a fresh token is now available to retry with."""
        ...

    @property
    def rate_limit_key(self) -> str:
        """A non-secret key naming the HubSpot app whose rate budget these calls spend."""
        ...


class PrivateAppTokenProvider:
    """A private app's fixed token (`HUBSPOT_ACCESS_TOKEN`). A 401 is final: the token is wrong or revoked."""

    kind = "private_app"
    unauthorized_hint = (
        "check HUBSPOT_ACCESS_TOKEN: HubSpot rejects this private app's token (mistyped, rotated, or the app "
        "was deleted); copy the current one from the private app's Auth tab"
    )

    def __init__(self, token: str, *, base_url: str = "") -> None:
        if not token:
            raise ConfigurationError("no private-app token: set HUBSPOT_ACCESS_TOKEN (pat-...)")
        register_secret(token)
        self._token = token
        self._key = identity_hash("private_app", base_url, token)

    def access_token(self) -> str:
        return self._token

    def handle_unauthorized(self, rejected_token: str, category: str | None) -> bool:
        return False

    @property
    def rate_limit_key(self) -> str:
        return self._key

    def __repr__(self) -> str:
        return f"PrivateAppTokenProvider(key={self._key})"


class OAuthTokenProvider:
    """OAuth tokens from the encrypted store, refreshed before expiry and shared safely across threads/processes."""

    kind = "oauth"
    unauthorized_hint = (
        "HubSpot no longer accepts this OAuth app's tokens (the app was uninstalled or its access revoked): "
        "run `hubspot-elt auth login` to authorize it again"
    )

    def __init__(self, settings: ClientSettings, store: TokenStore | None = None, *, transport: Transport | None = None) -> None:
        if not settings.client_id or settings.client_secret is None:
            raise ConfigurationError(
                "OAuth needs the app's credentials: set HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET"
            )
        self._settings = settings
        self._client_id = settings.client_id
        self._client_secret = settings.client_secret.get_secret_value()
        register_secret(self._client_secret)
        self._store = store or TokenStore.from_settings(settings)
        self._margin = settings.oauth_refresh_margin_s
        self._thread_lock = threading.Lock()
        self._file_lock = FileLock(str(self._store.path) + ".refresh.lock", thread_local=False)
        self._cached: StoredTokens | None = None
        self._transport = transport
        self._owns_transport = transport is None
        self._key = identity_hash("oauth", settings.base_url, self._client_id)
        self.refresh_count = 0  # refreshes this provider performed itself (tests and metrics)

    @property
    def rate_limit_key(self) -> str:
        # One budget per app (client id) and host; stable before the store is read, so every process agrees.
        return self._key

    def _token_transport(self) -> Transport:
        if self._transport is None:
            self._transport = token_endpoint_transport(self._settings)
        return self._transport

    def _load(self) -> StoredTokens:
        tokens = self._store.load()
        if tokens is None:
            raise AuthenticationError(
                f"no OAuth tokens in {self._store.path}", hint="run `hubspot-elt auth login` first"
            )
        register_secret(tokens.access_token)
        register_secret(tokens.refresh_token)
        self._cached = tokens
        return tokens

    def _fresh_enough(self, tokens: StoredTokens) -> bool:
        # A token that lives shorter than the margin would be refreshed on every call: refresh it at half
        # its lifetime instead.
        lifetime = tokens.expires_at - tokens.obtained_at
        margin = min(self._margin, lifetime / 2) if lifetime > 0 else self._margin
        return tokens.expires_at - margin > time.time()

    def access_token(self) -> str:
        tokens = self._cached
        if tokens is not None and self._fresh_enough(tokens):
            return tokens.access_token
        with self._thread_lock:
            tokens = self._load()  # another process may have refreshed already
            if self._fresh_enough(tokens):
                return tokens.access_token
            try:
                return self._refresh(stale_access_token=tokens.access_token).access_token
            except RefreshTokenInvalidError:
                raise
            except HubSpotError as exc:
                # Refreshing early failed (HubSpot down?): the current token still works until it expires.
                if exc.retryable and tokens.expires_at > time.time() + 5:
                    log.warning("early token refresh failed (%s); using the current token until it expires", exc)
                    return tokens.access_token
                raise

    def handle_unauthorized(self, rejected_token: str, category: str | None) -> bool:
        if category not in (None, "EXPIRED_AUTHENTICATION"):
            return False
        with self._thread_lock:
            tokens = self._load()
            if tokens.access_token != rejected_token:
                return True  # someone refreshed while our request was in flight
            self._refresh(stale_access_token=rejected_token, force=True)
            return True

    def _refresh(self, *, stale_access_token: str, force: bool = False) -> StoredTokens:
        """Refresh under the store's file lock; whoever waited re-reads the store instead of refreshing again."""
        with self._file_lock:
            tokens = self._load()
            if tokens.access_token != stale_access_token and (self._fresh_enough(tokens) or force):
                log.info("oauth token already refreshed by another worker; reusing it")
                return tokens
            log.info("refreshing oauth access token (expires in %.0f s)", tokens.expires_at - time.time())
            fresh = refresh_tokens(self._settings, self._token_transport(), tokens.refresh_token)
            merged = tokens.updated(fresh)
            self._store.save(merged)
            self._cached = merged
            self.refresh_count += 1
            return merged

    def close(self) -> None:
        """Close the pooled connections of the token-endpoint transport this provider built (if any)."""
        if self._owns_transport and self._transport is not None:
            self._transport.close()

    def __repr__(self) -> str:
        return f"OAuthTokenProvider(client_id={self._client_id!r}, store={str(self._store.path)!r})"


class NoTokenProvider:
    """Provider for transports that only make calls without a bearer token (`auth=False`: the OAuth token,
    introspection and revocation endpoints); asking it for a token is a programming error."""

    kind = "none"
    rate_limit_key = "anonymous"
    unauthorized_hint = "this call carries no token of this client's"

    def access_token(self) -> str:
        raise ConfigurationError("this transport makes unauthenticated calls only")

    def handle_unauthorized(self, rejected_token: str, category: str | None) -> bool:
        return False


def token_endpoint_transport(settings: ClientSettings) -> Transport:
    """A transport for the OAuth endpoints, which take no bearer token; close it (or use it in `with`) when done."""
    return Transport(settings, token_provider=NoTokenProvider())


def token_path(settings: ClientSettings) -> str:
    """The token endpoint for the configured API version family."""
    return "/oauth/2026-03/token" if settings.api_version == "2026-03" else "/oauth/v1/token"


def _token_call(settings: ClientSettings, transport: Transport, form: dict[str, str]) -> dict[str, Any]:
    for key in ("code", "refresh_token", "client_secret"):
        register_secret(form.get(key))
    path = token_path(settings)
    grant_type = form.get("grant_type")
    try:
        response = transport.request(
            "POST", path, endpoint=path, data=form, auth=False, budget=Budget.NONE,
            # A code is single-use: sent twice, the second exchange fails and hides whether the first worked.
            # Refreshing again only mints another access token.
            idempotent=grant_type != "authorization_code",
        )
    except HubSpotError as exc:
        if grant_type == "authorization_code" and exc.write_may_have_happened:
            raise _code_may_be_used(exc) from None
        raise oauth_token_error(exc, grant_type) from None
    data = response.data if isinstance(response.data, dict) else {}
    if not data.get("access_token"):
        raise TokenStoreError("the token endpoint answered without an access_token", endpoint=path)
    register_secret(data.get("access_token"))
    register_secret(data.get("refresh_token"))
    return data


def _code_may_be_used(error: HubSpotError) -> HubSpotError:
    """`error` told as a login step: HubSpot may have taken the code before failing (500, 502, 504, a timeout or a
    dropped connection), and a second exchange of it would be refused, so only a new login helps."""
    error.message = f"exchanging the authorization code for tokens failed: {error.message}"
    error.args = (error.message,)
    error.hint = (
        "HubSpot may already have used the authorization code, and a code works only once: "
        "run `hubspot-elt auth login` again"
    )
    return error


def refresh_tokens(settings: ClientSettings, transport: Transport, refresh_token: str) -> dict[str, Any]:
    """Trade a refresh token for a new access token (the token answer as a dict)."""
    assert settings.client_id and settings.client_secret is not None
    return _token_call(
        settings,
        transport,
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": settings.client_id,
            "client_secret": settings.client_secret.get_secret_value(),
        },
    )


def exchange_code(settings: ClientSettings, transport: Transport, code: str, redirect_uri: str) -> dict[str, Any]:
    """Trade an authorization code (single use) for tokens (the token answer as a dict)."""
    if not settings.client_id or settings.client_secret is None:
        raise ConfigurationError("OAuth needs HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET")
    return _token_call(
        settings,
        transport,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": settings.client_id,
            "client_secret": settings.client_secret.get_secret_value(),
        },
    )


def provider_from_settings(settings: ClientSettings) -> TokenProvider:
    """The private-app provider when HUBSPOT_ACCESS_TOKEN is set, else OAuth when an app and a store exist."""
    if settings.access_token is not None and settings.access_token.get_secret_value():
        return PrivateAppTokenProvider(settings.access_token.get_secret_value(), base_url=settings.base_url)
    if settings.client_id and settings.client_secret is not None:
        return OAuthTokenProvider(settings)
    raise ConfigurationError(
        "no HubSpot credentials: set HUBSPOT_ACCESS_TOKEN (private app), or HUBSPOT_CLIENT_ID and "
        "HUBSPOT_CLIENT_SECRET and run `hubspot-elt auth login` (OAuth)"
    )
