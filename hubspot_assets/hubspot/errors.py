"""Typed errors for every way a HubSpot call can fail.

Each error carries the HTTP status, HubSpot's `category` and `subCategory`, the correlation id, the method and
the endpoint *template* (never the concrete path: OAuth paths hold tokens). `str(error)` is one line a user can
act on; all text passes through `redact`, so no secret can reach an error message, a repr or a traceback.

`retryable` tells the transport whether another attempt may succeed; callers rarely need it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hubspot_assets.hubspot.logging import redact, redact_value


class HubSpotError(Exception):
    """A HubSpot call that did not succeed (after any retries)."""

    retryable: bool = False
    hint: str = ""
    request_sent: bool = True  # False when the connection could not even be opened
    write_may_have_happened: bool = False  # a non-idempotent write failed in a way that may follow its effect

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        category: str | None = None,
        sub_category: str | None = None,
        correlation_id: str | None = None,
        method: str | None = None,
        endpoint: str | None = None,
        context: Mapping[str, Any] | None = None,
        errors: Sequence[Mapping[str, Any]] | None = None,
        retry_after: float | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = redact(message)
        self.status = status
        self.category = category
        self.sub_category = sub_category
        self.correlation_id = correlation_id
        self.method = method
        self.endpoint = endpoint
        # Copied from HubSpot's body, which may echo what was sent (a token in a URL, a form value).
        self.context = redact_value(dict(context)) if context else {}
        self.errors = redact_value(list(errors)) if errors else []
        self.retry_after = retry_after
        if hint is not None:
            self.hint = hint
        super().__init__(self.message)

    def __str__(self) -> str:
        where = f"{self.method} {self.endpoint}" if self.method and self.endpoint else (self.endpoint or "")
        parts = []
        if where:
            parts.append(where)
        if self.status is not None:
            parts.append(f"-> {self.status}")
        if self.category:
            parts.append(self.category + (f"/{self.sub_category}" if self.sub_category else ""))
        head = " ".join(parts)
        text = f"{head}: {self.message}" if head else self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        if self.correlation_id:
            text = f"{text} [correlationId {self.correlation_id}]"
        return redact(text)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class AuthenticationError(HubSpotError):
    """401: the token is missing, wrong or expired (and could not be refreshed)."""

    hint = "check HUBSPOT_ACCESS_TOKEN, or run `hubspot-elt auth login` for OAuth"


class RefreshTokenInvalidError(AuthenticationError):
    """The OAuth refresh token was rejected (BAD_REFRESH_TOKEN): the user must log in again."""

    hint = "run `hubspot-elt auth login` to authorize again"


class AuthorizationCodeError(AuthenticationError):
    """The token endpoint rejected an authorization code (unknown, already used, expired, or another redirect URI)."""

    hint = "authorization codes are single-use and short-lived: run `hubspot-elt auth login` again for a new one"


class OAuthClientError(AuthenticationError):
    """The token endpoint rejected the app's own credentials (invalid_client): logging in again cannot help."""

    hint = "check HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET against the app's Auth settings"


class MissingScopesError(HubSpotError):
    """403: the token lacks scopes; `.missing_scopes` lists them when HubSpot says which."""

    def __init__(self, message: str, *, missing_scopes: Sequence[str] = (), **kwargs: Any) -> None:
        self.missing_scopes = list(missing_scopes)
        if self.missing_scopes and "hint" not in kwargs:
            kwargs["hint"] = "grant the app these scopes: " + ", ".join(self.missing_scopes)
        super().__init__(message, **kwargs)


class NotFoundError(HubSpotError):
    """404: the record or route does not exist."""


class ValidationError(HubSpotError):
    """400 (or another 4xx): HubSpot rejected the request as written."""


class ConflictError(HubSpotError):
    """409: the write conflicts with existing data (e.g. a duplicate unique value)."""


class LockedError(HubSpotError):
    """423: the resource is locked by another write; retried after at least 2 s."""

    retryable = True


class MigrationInProgressError(HubSpotError):
    """477: the account is being migrated; retried after HubSpot's Retry-After."""

    retryable = True


class RateLimitError(HubSpotError):
    """429: a rate limit was hit; `.policy` is HubSpot's policyName (TEN_SECONDLY_ROLLING, SECONDLY, DAILY)."""

    retryable = True

    def __init__(self, message: str, *, policy: str | None = None, **kwargs: Any) -> None:
        self.policy = policy
        super().__init__(message, **kwargs)


class DailyLimitError(RateLimitError):
    """The account's daily quota is spent, or only the reserve left for other integrations remains. Not retried.
    Only the second case suggests lowering HUBSPOT_DAILY_RESERVE: with the quota spent, no reserve is left to give."""

    retryable = False
    hint = "the daily quota resets at midnight; load less per day (fewer objects, properties or syncs)"


class ServerError(HubSpotError):
    """5xx or 521-524: HubSpot failed; retried with back-off."""

    retryable = True


class MalformedResponseError(HubSpotError):
    """The answer was not the JSON HubSpot promises (HTML page, truncated body); retried."""

    retryable = True


class ConnectionFailedError(HubSpotError):
    """The connection could not be made, was reset, or timed out; retried."""

    retryable = True
    hint = "check HUBSPOT_BASE_URL and the network"


class RequestTimeoutError(ConnectionFailedError):
    """No answer within the read timeout; retried."""


class CircuitOpenError(HubSpotError):
    """Too many consecutive failures against the host: calls fail fast until `.probe_at` (epoch seconds)."""

    def __init__(self, message: str, *, probe_at: float | None = None, **kwargs: Any) -> None:
        self.probe_at = probe_at
        super().__init__(message, **kwargs)


class ConfigurationError(HubSpotError):
    """The client is not configured to authenticate (missing token, key or OAuth app settings)."""


class TokenStoreError(HubSpotError):
    """The encrypted token store is missing, unreadable, or was encrypted with another key."""


_BY_STATUS: dict[int, type[HubSpotError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: MissingScopesError,
    404: NotFoundError,
    409: ConflictError,
    423: LockedError,
    429: RateLimitError,
    477: MigrationInProgressError,
}


def error_class_for(status: int) -> type[HubSpotError]:
    """The error type for an HTTP status (5xx and 521-524 are `ServerError`; unknown 4xx `ValidationError`)."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return ValidationError


def _missing_scopes(body: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for item in body.get("errors") or []:
        if not isinstance(item, Mapping):
            continue
        ctx = item.get("context") or {}
        for key in ("requiredGranularScopes", "requiredScopes", "missingScopes", "scopes"):
            values = ctx.get(key) if isinstance(ctx, Mapping) else None
            if isinstance(values, list):
                found.extend(str(v) for v in values)
        message = item.get("message")
        if not found and isinstance(message, str) and message and " " not in message.strip():
            found.append(message.strip())  # HubSpot's sandbox-like shape: {"message": "<scope>"}
    ctx = body.get("context")
    if isinstance(ctx, Mapping):
        for key in ("requiredGranularScopes", "requiredScopes", "missingScopes"):
            values = ctx.get(key)
            if isinstance(values, list):
                found.extend(str(v) for v in values)
    seen: dict[str, None] = {}
    for scope in found:
        seen.setdefault(scope, None)
    return list(seen)


_CLIENT_STATUSES = frozenset({"BAD_CLIENT_ID", "BAD_CLIENT_SECRET"})
_CODE_STATUSES = frozenset({"BAD_AUTH_CODE", "BAD_REDIRECT_URI"})


def oauth_token_error(error: HubSpotError, grant_type: str | None) -> HubSpotError:
    """The error for a failed call to the OAuth token endpoint, typed by what HubSpot rejected.

    HubSpot answers 400 with `status` (BAD_REFRESH_TOKEN, BAD_AUTH_CODE, BAD_CLIENT_SECRET, ...) and the OAuth
    `error` (invalid_grant, invalid_client). Only a rejected refresh token calls for `auth login`; wrong app
    credentials call for fixing the settings; a rejected code for a new login. Other errors are returned as-is.
    """
    if error.status not in (400, 401):
        return error
    reason = (error.category or "").upper()
    oauth_error = (error.sub_category or "").lower()
    common: dict[str, Any] = dict(
        status=error.status, category=error.category, sub_category=error.sub_category,
        correlation_id=error.correlation_id, method=error.method, endpoint=error.endpoint,
    )
    if reason in _CLIENT_STATUSES or oauth_error == "invalid_client":
        return OAuthClientError("HubSpot rejected the app's client credentials: " + error.message, **common)
    if reason == "BAD_REFRESH_TOKEN" or (grant_type == "refresh_token" and error.status == 400
                                         and reason in ("", "INVALID_GRANT", "BAD_REQUEST")):
        common["category"] = "BAD_REFRESH_TOKEN"
        return RefreshTokenInvalidError("HubSpot rejected the refresh token: " + error.message, **common)
    if reason in _CODE_STATUSES or grant_type == "authorization_code":
        return AuthorizationCodeError("HubSpot rejected the authorization code: " + error.message, **common)
    return error


def error_from_response(
    status: int,
    body: Any,
    *,
    method: str,
    endpoint: str,
    correlation_id: str | None = None,
    retry_after: float | None = None,
    fallback_message: str | None = None,
) -> HubSpotError:
    """The typed error for a non-ok answer. `body` is the parsed JSON (or None when it was not JSON)."""
    data: Mapping[str, Any] = body if isinstance(body, Mapping) else {}
    message = data.get("message") or data.get("error_description") or fallback_message or f"HTTP {status}"
    category = data.get("category") or data.get("errorType") or data.get("status") if data else None
    if category == "error":
        category = data.get("errorType")
    sub_category = data.get("subCategory")
    if isinstance(sub_category, Mapping):  # HubSpot sometimes nests it
        sub_category = sub_category.get("type") or str(sub_category)
    if not sub_category and "error_description" in data and isinstance(data.get("error"), str):
        sub_category = data["error"]  # OAuth token endpoint: invalid_grant, invalid_client, ...
    corr = data.get("correlationId") or correlation_id
    common: dict[str, Any] = dict(
        status=status,
        category=str(category) if category else None,
        sub_category=str(sub_category) if sub_category else None,
        correlation_id=str(corr) if corr else None,
        method=method,
        endpoint=endpoint,
        context=data.get("context") if isinstance(data.get("context"), Mapping) else None,
        errors=[e for e in data.get("errors") or [] if isinstance(e, Mapping)],
        retry_after=retry_after,
    )
    if status == 429:
        policy = data.get("policyName")
        if policy == "DAILY":
            return DailyLimitError(str(message), policy=policy, **common)
        return RateLimitError(str(message), policy=str(policy) if policy else None, **common)
    cls = error_class_for(status)
    if cls is MissingScopesError:
        return MissingScopesError(str(message), missing_scopes=_missing_scopes(data), **common)
    return cls(str(message), **common)
