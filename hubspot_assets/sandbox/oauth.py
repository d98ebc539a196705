"""OAuth 2 as HubSpot runs it, for the sandbox: authorize page, token endpoint, introspection, revocation.

- `GET /oauth/authorize?client_id&redirect_uri&scope&optional_scope&state`: the sandbox auto-approves and
  answers 302 to `redirect_uri?code=...&state=...`. Codes are single use, live 5 minutes, and are bound to the
  client and the redirect_uri. `scope` (space-separated) must only hold known scopes; unknown optional
  scopes are dropped. Errors answer 400 with a small HTML page (no redirect), as a consent screen would.
- `POST /oauth/v1/token` (also `/oauth/v3/token`, `/oauth/2026-03/token`), form-encoded, grants
  `authorization_code` and `refresh_token`. Answer `{"token_type":"bearer","access_token","refresh_token",
  "expires_in","hub_id","scopes"}`. Refreshing returns a new access token and the same refresh token.
  Errors answer 400 `{"error","error_description","status","message","correlationId"}` (bad refresh token:
  error `invalid_grant`, status `BAD_REFRESH_TOKEN`).
- Access tokens live `config.token_ttl_s` seconds (changeable at run time via `POST /_sandbox/oauth/config`);
  then API calls answer 401 EXPIRED_AUTHENTICATION.
- `GET /oauth/v1/access-tokens/{token}`: introspection (404 unknown, 401 EXPIRED_AUTHENTICATION expired).
  `GET /oauth/v1/refresh-tokens/{token}`: metadata; `DELETE` revokes it (204) and every access token
  it issued.
"""

from __future__ import annotations

import html
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from hubspot_assets.sandbox.errors import HubSpotError, correlation_id, json_response

if TYPE_CHECKING:
    from hubspot_assets.sandbox.platform import PlatformState

TRANSCRIPTS_SCOPE = "crm.extensions_calling_transcripts.read"
KNOWN_SCOPES = frozenset(
    {
        "oauth",
        "crm.objects.contacts.read",
        "crm.objects.contacts.write",
        "crm.objects.companies.read",
        "crm.objects.companies.write",
        "crm.objects.deals.read",
        "crm.objects.deals.write",
        "crm.objects.owners.read",
        "crm.objects.custom.read",
        "crm.objects.custom.write",
        "crm.objects.line_items.read",
        "crm.objects.line_items.write",
        "crm.objects.products.read",
        "crm.objects.products.write",
        "crm.objects.quotes.read",
        "crm.objects.quotes.write",
        "crm.objects.users.read",
        "crm.schemas.contacts.read",
        "crm.schemas.companies.read",
        "crm.schemas.deals.read",
        "crm.schemas.custom.read",
        "crm.schemas.line_items.read",
        "crm.schemas.quotes.read",
        "crm.lists.read",
        "tickets",
        "e-commerce",
        "sales-email-read",
        "conversations.read",
        "conversations.write",
        "timeline",
        "automation",
        "files",
        "forms",
        "content",
        "account-info.security.read",
        TRANSCRIPTS_SCOPE,
    }
)
PRIVATE_APP_SCOPES = KNOWN_SCOPES - {TRANSCRIPTS_SCOPE}
CODE_TTL_S = 300
TOKEN_PATHS = ("/oauth/v1/token", "/oauth/v3/token", "/oauth/2026-03/token")


@dataclass
class AccessToken:
    token: str
    client_id: str
    scopes: frozenset[str]
    hub_id: int
    expires_at: float
    refresh_token: str
    revoked: bool = False
    ttl_s: int = 0  # the lifetime it was issued with: the token answer's `expires_in`


@dataclass
class RefreshToken:
    token: str
    client_id: str
    scopes: frozenset[str]
    hub_id: int
    created_at: float = field(default_factory=time.time)
    revoked: bool = False


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    expires_at: float


class OAuthTokens:
    """Every authorization code and token the sandbox issued. Thread-safe; tokens are opaque strings."""

    def __init__(self, client_id: str, client_secret: str, hub_id: int, token_ttl_s: int) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self.hub_id = hub_id
        self.token_ttl_s = token_ttl_s
        self._lock = threading.Lock()
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, RefreshToken] = {}

    def __repr__(self) -> str:  # never show tokens or the secret
        return f"OAuthTokens(client_id={self.client_id!r}, access_tokens={len(self._access)})"

    def client_secret_matches(self, secret: str) -> bool:
        return secrets.compare_digest(secret.encode(), self._client_secret.encode())

    def issue_code(self, client_id: str, redirect_uri: str, scopes: frozenset[str]) -> str:
        code = str(uuid.uuid4())
        with self._lock:
            self._codes[code] = _Code(client_id, redirect_uri, scopes, time.time() + CODE_TTL_S)
        return code

    def redeem_code(self, code: str) -> _Code | None:
        """The code's grant if it is known and unexpired; a code works once (it is removed here)."""
        with self._lock:
            grant = self._codes.pop(code, None)
        if grant is None or grant.expires_at < time.time():
            return None
        return grant

    def issue_tokens(
        self, client_id: str, scopes: frozenset[str], refresh_token: str | None = None
    ) -> AccessToken:
        """A new access token (and a new refresh token unless one is given, as in the refresh grant)."""
        with self._lock:
            if refresh_token is None:
                refresh_token = f"na1-{uuid.uuid4()}"
                self._refresh[refresh_token] = RefreshToken(refresh_token, client_id, scopes, self.hub_id)
            token = "CO" + secrets.token_urlsafe(48)
            record = AccessToken(
                token, client_id, scopes, self.hub_id, time.time() + self.token_ttl_s, refresh_token,
                ttl_s=int(self.token_ttl_s),
            )
            self._access[token] = record
            return record

    def access(self, token: str) -> AccessToken | None:
        return self._access.get(token)

    def refresh(self, token: str) -> RefreshToken | None:
        record = self._refresh.get(token)
        return None if record is None or record.revoked else record

    def revoke_refresh(self, token: str) -> bool:
        """Revoke a refresh token and every access token issued from it; False when unknown or revoked."""
        with self._lock:
            record = self._refresh.get(token)
            if record is None or record.revoked:
                return False
            record.revoked = True
            for access in self._access.values():
                if access.refresh_token == token:
                    access.revoked = True
            return True

    def expire_all(self) -> int:
        """Make every live access token expired now (tests of the 401 path); returns how many."""
        now = time.time()
        with self._lock:
            live = [a for a in self._access.values() if a.expires_at > now]
            for access in live:
                access.expires_at = now - 1
            return len(live)

    def live_count(self) -> int:
        now = time.time()
        return sum(1 for a in list(self._access.values()) if a.expires_at > now and not a.revoked)


def _oauth_error(
    status_name: str, message: str, request: Request, error: str = "invalid_grant", http_status: int = 400
) -> Response:
    return json_response(
        {
            "status": status_name,
            "message": message,
            "correlationId": correlation_id(request),
            "error": error,
            "error_description": message,
        },
        http_status,
    )


def _consent_error(message: str) -> HTMLResponse:
    page = (
        "<!DOCTYPE html><html><head><title>HubSpot - Authorization error</title></head><body>"
        f"<h1>Authorization error</h1><p>{html.escape(message)}</p></body></html>"
    )
    return HTMLResponse(page, status_code=400)


def _split_scopes(text: str) -> list[str]:
    return [s for s in text.replace(",", " ").replace("+", " ").split() if s]


def oauth_routes(platform: PlatformState) -> list[Route]:
    """The OAuth routes (authorize, token, introspection, refresh-token metadata and revocation)."""
    tokens = platform.oauth

    async def authorize(request: Request) -> Response:
        query = request.query_params
        client_id = query.get("client_id", "")
        redirect_uri = query.get("redirect_uri", "")
        if client_id != tokens.client_id:
            return _consent_error(
                "Unknown client_id: use the client id of the sandbox app (config client_id)."
            )
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return _consent_error("redirect_uri must be an absolute http(s) URL.")
        requested = _split_scopes(query.get("scope", ""))
        if not requested:
            return _consent_error(
                "scope is required (space-separated scopes, e.g. 'oauth crm.objects.contacts.read')."
            )
        unknown = sorted(set(requested) - KNOWN_SCOPES)
        if unknown:
            return _consent_error(f"Unknown scope(s): {', '.join(unknown)}.")
        optional = {s for s in _split_scopes(query.get("optional_scope", "")) if s in KNOWN_SCOPES}
        code = tokens.issue_code(client_id, redirect_uri, frozenset(requested) | optional)
        params = parse_qs(parts.query, keep_blank_values=True)
        params["code"] = [code]
        if "state" in query:
            params["state"] = [query["state"]]
        location = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(params, doseq=True), ""))
        return RedirectResponse(location, status_code=302)

    async def token(request: Request) -> Response:
        raw = (await request.body()).decode("utf-8", errors="replace")
        if "json" in request.headers.get("content-type", ""):
            return _oauth_error(
                "BAD_REQUEST",
                "The token endpoint takes a form-encoded body (application/x-www-form-urlencoded), not JSON.",
                request,
                "invalid_request",
            )
        form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        grant_type = form.get("grant_type", "")
        if grant_type not in ("authorization_code", "refresh_token"):  # checked first, as OAuth servers do
            return _oauth_error(
                "BAD_GRANT_TYPE",
                f"unsupported grant_type {grant_type!r}: use authorization_code or refresh_token",
                request,
                "unsupported_grant_type",
            )
        if form.get("client_id") != tokens.client_id:
            return _oauth_error("BAD_CLIENT_ID", "missing or unknown client id", request, "invalid_client")
        if not tokens.client_secret_matches(form.get("client_secret", "")):
            return _oauth_error(
                "BAD_CLIENT_SECRET", "missing or invalid client secret", request, "invalid_client"
            )
        if grant_type == "authorization_code":
            grant = tokens.redeem_code(form.get("code", ""))
            if grant is None or grant.client_id != form["client_id"]:
                return _oauth_error("BAD_AUTH_CODE", "missing or unknown auth code", request)
            if grant.redirect_uri != form.get("redirect_uri", ""):
                return _oauth_error(
                    "BAD_REDIRECT_URI", "redirect_uri does not match the one used to authorize", request
                )
            issued = tokens.issue_tokens(grant.client_id, grant.scopes)
        elif grant_type == "refresh_token":
            refresh = tokens.refresh(form.get("refresh_token", ""))
            if refresh is None or refresh.client_id != form["client_id"]:
                return _oauth_error("BAD_REFRESH_TOKEN", "missing or unknown refresh token", request)
            issued = tokens.issue_tokens(refresh.client_id, refresh.scopes, refresh_token=refresh.token)
        else:
            return _oauth_error(
                "BAD_GRANT_TYPE",
                f"unsupported grant_type {grant_type!r}: use authorization_code or refresh_token",
                request,
                "unsupported_grant_type",
            )
        return json_response(
            {
                "token_type": "bearer",
                "access_token": issued.token,
                "refresh_token": issued.refresh_token,
                "expires_in": issued.ttl_s,  # exactly the lifetime (HubSpot: 1800), not the time left
                "hub_id": issued.hub_id,
                "scopes": sorted(issued.scopes),
            }
        )

    async def introspect_access(request: Request) -> Response:
        record = tokens.access(request.path_params["token"])
        if record is None or record.revoked:
            raise HubSpotError(404, "The access token was not found or has been revoked.", "OBJECT_NOT_FOUND")
        remaining = int(record.expires_at - time.time())
        if remaining <= 0:
            raise HubSpotError(
                401, f"The OAuth token expired {-remaining // 60} minute(s) ago.", "EXPIRED_AUTHENTICATION"
            )
        return json_response(
            {
                "token": record.token,
                "user": "sandbox-user@example.com",
                "hub_domain": "sandbox.hubspot.com",
                "scopes": sorted(record.scopes),
                "scope_to_scope_group_pks": [],
                "trial_scopes": [],
                "trial_scope_to_scope_group_pks": [],
                "hub_id": record.hub_id,
                "app_id": platform.config.app_id,
                "expires_in": remaining,
                "user_id": 7001,
                "token_type": "access",
            }
        )

    async def refresh_token(request: Request) -> Response:
        value = request.path_params["token"]
        record = tokens.refresh(value)
        if record is None:
            raise HubSpotError(
                404, "The refresh token was not found or has been revoked.", "OBJECT_NOT_FOUND"
            )
        if request.method == "DELETE":
            tokens.revoke_refresh(value)
            return Response(status_code=204)
        return json_response(
            {
                "token": record.token,
                "user": "sandbox-user@example.com",
                "hub_domain": "sandbox.hubspot.com",
                "scopes": sorted(record.scopes),
                "hub_id": record.hub_id,
                "client_id": record.client_id,
                "user_id": 7001,
                "token_type": "refresh",
            }
        )

    return [
        Route("/oauth/authorize", authorize, methods=["GET"]),
        *[Route(path, token, methods=["POST"]) for path in TOKEN_PATHS],
        Route("/oauth/v1/access-tokens/{token}", introspect_access, methods=["GET"]),
        Route("/oauth/v1/refresh-tokens/{token}", refresh_token, methods=["GET", "DELETE"]),
    ]
