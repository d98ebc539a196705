"""The sandbox's platform layer: what HubSpot does to every request before the API sees it.

`PlatformMiddleware(app, platform)` is a pure ASGI middleware (the outermost one). Per HTTP request, in order:

1. Correlation id: a fresh UUID in `scope["hubspot_correlation_id"]` and the `X-HubSpot-Correlation-Id`
   header.
2. 414 URI Too Long (an HTML page, as HubSpot's edge proxy gives) when path + query is longer than
   `max_url_length` (config, default 8,000 characters).
3. `/_sandbox/*` (the admin API) goes straight through: no auth, limits, latency, faults or request stats.
4. Auth (every path except `/_sandbox/*`, `/oauth/*`, `/webhooks/v3/*`): `Authorization: Bearer <token>` with
   the configured private-app token or a live OAuth access token (`oauth.py`). Otherwise 401 with category
   INVALID_AUTHENTICATION (missing/unknown/revoked) or EXPIRED_AUTHENTICATION. Sets `scope["hubspot_auth"] =
   {"kind": "private_app"|"oauth", "scopes": frozenset, "hub_id": int}`.
5. Rate limits (`limits.py`): the rolling budget with HubSpot's `X-HubSpot-RateLimit-*` headers, the daily
   quota, search at 5/s without headers, association v4 batch endpoints outside the rolling budget. Refusals
   answer 429 with HubSpot's body (`status`, `message`, `errorType` RATE_LIMIT, `correlationId`,
   `policyName`).
6. Scopes (`scopes.py`): a token without the scope an API family needs gets 403 MISSING_SCOPES (after the rate
   limit, which the request still counts against).
7. Faults (`faults.py`, grammar in its docstring and in `FAULTS_HELP`): 5xx, 477, connection resets, slow
   answers, 429 bursts, truncated bodies, HTML error pages; deterministic from `config.seed`.
8. Simulated latency (`latency_ms`, an async sleep that never blocks the loop), then the app.

An answer the sandbox delayed on purpose (slow or queue fault, latency) carries `X-Sandbox-Delay-Ms`: how long it
held the request, measured on its own clock (not a HubSpot header; admin answers are never delayed).

Every knob that tests need at run time is an attribute here, changed through `POST /_sandbox/platform`
(tier, rate window, daily limit, search window, latency, max URL length) and `/_sandbox/faults`.
Request statistics (`request_stats()`) are per endpoint template, e.g.
`GET /crm/v3/objects/{objectType}/{id}`.

Fault grammar (details in `faults.py`): `KIND[=ARG]:RATE[@PATH]`, comma-separated, e.g.
`500:0.05,reset:0.01,slow=6:0.02,burst429=5:0.01,truncate:0.01,html=503:0.01@/crm/*`.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import socket
import struct
import threading
import time
import uuid
from collections import Counter
from typing import Any

import orjson

from hubspot_assets.sandbox.faults import FAULTS_HELP, STATUS_KINDS, Fault, FaultInjector
from hubspot_assets.sandbox.limits import (
    ASSOCIATIONS_BATCH,
    GENERAL,
    POLICY_MESSAGES,
    SEARCH,
    RateLimiter,
)
from hubspot_assets.sandbox.oauth import PRIVATE_APP_SCOPES, OAuthTokens
from hubspot_assets.sandbox.scopes import missing_scopes, missing_scopes_body

__all__ = [
    "DELAY_HEADER",
    "FAULTS_HELP",
    "PlatformMiddleware",
    "PlatformState",
    "endpoint_template",
    "platform_admin_routes",
]

UNAUTHENTICATED_PREFIXES = ("/_sandbox/", "/oauth/", "/webhooks/v3/")
DELAY_HEADER = "X-Sandbox-Delay-Ms"  # not HubSpot's: see the module docstring
MISSING_AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more "
    "details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
INVALID_AUTH_MESSAGE = (
    "The access token provided is invalid or has been revoked. Use the private-app token or a current "
    "OAuth access token in 'Authorization: Bearer <token>'."
)

# --- endpoint templates -------------------------------------------------------------------------------------

_DATED = re.compile(r"^\d{4}-\d{2}(-beta)?$")
_TYPED_COLLECTIONS = {"objects", "properties", "pipelines", "schemas", "associations"}
_OBJECT_ACTIONS = {"batch", "search", "merge", "gdpr-delete"}
_ID_AFTER = {
    "threads",
    "messages",
    "inboxes",
    "channels",
    "channel-accounts",
    "transcripts",
    "subscriptions",
    "owners",
    "access-tokens",
    "refresh-tokens",
    "stages",
    "labels",
}
_template_cache: dict[tuple[str, str], str] = {}


def endpoint_template(method: str, path: str) -> str:
    """`GET /crm/v3/objects/contacts/12` -> `GET /crm/v3/objects/{objectType}/{id}` (for request stats)."""
    key = (method, path)
    cached = _template_cache.get(key)
    if cached is not None:
        return cached
    segs = [s for s in path.split("/") if s]
    out = list(segs)
    n = len(segs)

    def mark(i: int, name: str = "{objectType}") -> None:
        if i < n:
            out[i] = name

    type_at = None  # index of the first {objectType}
    if n >= 3 and segs[0] == "crm":
        if segs[1] in ("v3", "v4") and segs[2] in _TYPED_COLLECTIONS:
            collection, type_at = segs[2], 3
        elif segs[1] in _TYPED_COLLECTIONS and _DATED.match(segs[2]):
            collection, type_at = segs[1], 3
        if type_at is not None:
            mark(type_at)
            if collection == "associations":
                mark(type_at, "{fromObjectType}")
                mark(type_at + 1, "{toObjectType}")
            elif collection == "objects" and n > type_at + 1 and segs[type_at + 1] not in _OBJECT_ACTIONS:
                mark(type_at + 1, "{id}")
                if n > type_at + 3 and segs[type_at + 2] == "associations":
                    mark(
                        type_at + 3, "{toObjectType}"
                    )  # v4 per-object associations: /{toObjectType}[/{toId}]
                    if n > type_at + 4:
                        mark(type_at + 4, "{id}")
            elif (
                collection == "properties"
                and n > type_at + 1
                and segs[type_at + 1] not in ("batch", "groups")
            ):
                mark(type_at + 1, "{propertyName}")
    for i, seg in enumerate(segs):
        if out[i] != seg:
            continue
        if seg.isdigit() or (i > 0 and segs[i - 1] in _ID_AFTER and seg not in ("batch", "search")):
            out[i] = "{token}" if i > 0 and segs[i - 1].endswith("-tokens") else "{id}"
    result = f"{method} /" + "/".join(out)
    if len(_template_cache) > 8192:
        _template_cache.clear()
    _template_cache[key] = result
    return result


def limit_class(method: str, path: str) -> str:
    """Which rate-limit rule a request falls under: search, association batch or the general budget."""
    if method == "POST" and path.rstrip("/").endswith("/search"):
        return SEARCH
    if "/batch/" in path and (
        path.startswith("/crm/v4/associations/") or path.startswith("/crm/associations/")
    ):
        return ASSOCIATIONS_BATCH
    return GENERAL


# --- state --------------------------------------------------------------------------------------------------


class PlatformState:
    """Everything the platform layer remembers: tokens, limits, faults, latency and request statistics.

    Thread-safe: the middleware runs on the event loop, admin endpoints may run in Starlette's threadpool.
    """

    def __init__(self, config: Any) -> None:
        self.config = config
        self.seed = int(getattr(config, "seed", 42))
        self.hub_id = int(config.portal_id)
        self.latency_ms = float(getattr(config, "latency_ms", 0) or 0)
        self.max_url_length = int(getattr(config, "max_url_length", 8000))
        self.limiter = RateLimiter(
            tier=config.tier,
            window_s=float(getattr(config, "rate_window_s", 10.0)),
            daily_limit=getattr(config, "daily_limit", None),
        )
        self.faults = FaultInjector(getattr(config, "faults", "") or "", seed=self.seed)
        self.oauth = OAuthTokens(config.client_id, config.client_secret, self.hub_id, int(config.token_ttl_s))
        self._private_token = str(config.access_token)
        self._lock = threading.Lock()
        self.reset_stats()

    def __repr__(self) -> str:
        return f"PlatformState(tier={self.limiter.tier!r}, hub_id={self.hub_id})"

    # auth
    def authenticate(self, authorization: str | None) -> dict | tuple[str, str]:
        """The auth record for an `Authorization` header value, or (category, message) for a 401."""
        if not authorization:
            return ("INVALID_AUTHENTICATION", MISSING_AUTH_MESSAGE)
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return ("INVALID_AUTHENTICATION", MISSING_AUTH_MESSAGE)
        if secrets.compare_digest(token.encode(), self._private_token.encode()):
            return {"kind": "private_app", "scopes": PRIVATE_APP_SCOPES, "hub_id": self.hub_id, "app": ""}
        record = self.oauth.access(token)
        if record is None or record.revoked:
            return ("INVALID_AUTHENTICATION", INVALID_AUTH_MESSAGE)
        overdue = time.time() - record.expires_at
        if overdue >= 0:
            return (
                "EXPIRED_AUTHENTICATION",
                f"The OAuth token used to make this call expired {int(overdue // 60)} "
                "minute(s) ago. Refresh it with the refresh_token grant at /oauth/v1/token.",
            )
        return {"kind": "oauth", "scopes": record.scopes, "hub_id": record.hub_id, "app": record.client_id}

    # stats
    def record(
        self, endpoint: str, status: int | None, policy: str | None = None, fault: str | None = None
    ) -> None:
        with self._lock:
            self._total += 1
            if status is not None:
                self._by_status[str(status)] += 1
                self._by_endpoint[endpoint] += 1
                if status == 429:
                    self._rate_limited += 1
            if policy:
                self._by_policy[policy] += 1
            if fault:
                self._faults[fault] += 1

    def request_stats(self) -> dict:
        """`{"total", "by_status", "by_endpoint", "rate_limited", "by_policy", "faults"}` since the reset.

        Admin (`/_sandbox/*`) requests are not counted. `by_policy` counts the limiter's real refusals;
        injected 429s appear in `faults["429"]` (both count in `rate_limited`). Connection resets count in
        `total` and `faults["reset"]` but have no status.
        """
        with self._lock:
            return {
                "total": self._total,
                "by_status": dict(self._by_status),
                "by_endpoint": dict(self._by_endpoint),
                "rate_limited": self._rate_limited,
                "by_policy": dict(self._by_policy),
                "faults": dict(self._faults),
            }

    def reset_stats(self) -> None:
        """Zero the request statistics (not the rate-limit windows: see `POST /_sandbox/platform`)."""
        with self._lock:
            self._total = 0
            self._rate_limited = 0
            self._by_status: Counter[str] = Counter()
            self._by_endpoint: Counter[str] = Counter()
            self._by_policy: Counter[str] = Counter()
            self._faults: Counter[str] = Counter()

    # run-time knobs
    def settings(self) -> dict:
        return {
            "tier": self.limiter.tier,
            "rate_window_s": self.limiter.window_s,
            "daily_limit": self.limiter.daily_limit,
            "search_window_s": self.limiter.search_window_s,
            "latency_ms": self.latency_ms,
            "max_url_length": self.max_url_length,
        }

    def update_settings(self, changes: dict) -> dict:
        """Apply admin changes (keys as in `settings()`, plus `reset_limits: true`); ValueError if bad."""
        from hubspot_assets.sandbox.limits import TEN_SECOND_BUDGET

        unknown = set(changes) - set(self.settings()) - {"reset_limits"}
        if unknown:
            raise ValueError(
                f"unknown platform setting(s) {sorted(unknown)}; known: {sorted(self.settings())}"
            )
        if "tier" in changes:
            tier = str(changes["tier"]).lower()
            if tier not in TEN_SECOND_BUDGET and tier != "unlimited":
                raise ValueError(
                    f"tier must be one of {sorted([*TEN_SECOND_BUDGET, 'unlimited'])}, got {tier!r}"
                )
            self.limiter.tier = tier
        for key in ("rate_window_s", "search_window_s", "latency_ms"):
            if key in changes:
                value = float(changes[key])
                if value < 0 or (key != "latency_ms" and value == 0):
                    raise ValueError(f"{key} must be positive, got {value}")
                if key == "latency_ms":
                    self.latency_ms = value
                else:
                    setattr(self.limiter, key.replace("rate_", ""), value)
        if "daily_limit" in changes:
            value = changes["daily_limit"]
            self.limiter.daily_limit = None if value is None else int(value)
        if "max_url_length" in changes:
            self.max_url_length = int(changes["max_url_length"])
        if changes.get("reset_limits"):
            self.limiter.reset()
        return self.settings()


# --- middleware ---------------------------------------------------------------------------------------------

URI_TOO_LONG_PAGE = (
    b"<html>\r\n<head><title>414 Request-URI Too Large</title></head>\r\n<body>\r\n"
    b"<center><h1>414 Request-URI Too Large</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    521: "Web Server Is Down",
    522: "Connection Timed Out",
    523: "Origin Is Unreachable",
    524: "A Timeout Occurred",
}
_FAULT_BODIES = {
    423: ("LOCKED", "This resource is locked by concurrent batch operations. Wait at least 2 seconds and retry."),
    500: ("INTERNAL_ERROR", "internal error"),
    502: ("BAD_GATEWAY", "The server received an invalid response from an upstream server. Please retry."),
    503: ("SERVICE_UNAVAILABLE", "The service is temporarily unavailable. Please retry."),
    504: ("GATEWAY_TIMEOUT", "The upstream server did not answer in time. Please retry."),
    521: ("WEB_SERVER_DOWN", "The origin web server refused the connection."),
    522: ("CONNECTION_TIMED_OUT", "The connection to the origin web server timed out."),
    523: ("ORIGIN_UNREACHABLE", "The origin web server is unreachable."),
    524: ("TIMEOUT", "The origin web server did not answer within 100 seconds."),
}


def _html_error_page(status: int) -> bytes:
    reason = _REASONS.get(status, "Error")
    return (
        f"<!DOCTYPE html>\n<html><head><title>{status} {reason}</title></head><body>"
        f"<center><h1>{status} {reason}</h1></center><hr><center>cloudflare</center></body></html>\n"
    ).encode()


async def _send_answer(
    send: Any, status: int, body: bytes, content_type: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    raw = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    if headers:
        raw.extend(headers)
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _retry_after(fault: Fault) -> list[tuple[bytes, bytes]] | None:
    """A Retry-After header (whole seconds, as HubSpot sends it) when a status fault was given an arg."""
    if fault.arg is None:
        return None
    return [(b"retry-after", str(max(int(round(float(fault.arg))), 0)).encode())]


def _abort_connection(send: Any) -> bool:
    """Close the client's socket with an RST and no answer. Works under uvicorn (whose `send` is bound to the
    request cycle that holds the transport); returns False when the server does not expose its transport."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        return False
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:  # linger 0: the peer sees "connection reset by peer", not a tidy close
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()
    if hasattr(cycle, "disconnected"):
        cycle.disconnected = True  # tells uvicorn not to log "returned without starting response"
    return True


def _headers_bytes(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.encode(), v.encode()) for k, v in headers.items()]


class PlatformMiddleware:
    """Pure ASGI middleware applying HubSpot's platform behaviour (see the module docstring) around `app`."""

    def __init__(self, app: Any, platform: PlatformState) -> None:
        self.app = app
        self.platform = platform

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        platform = self.platform
        corr_id = str(uuid.uuid4())
        scope["hubspot_correlation_id"] = corr_id
        path: str = scope["path"]
        method: str = scope["method"]
        extra_headers: dict[str, str] = {"X-HubSpot-Correlation-Id": corr_id}
        admin = path.startswith("/_sandbox/") or path == "/_sandbox"
        endpoint = "" if admin else endpoint_template(method, path)
        seen_status: list[int] = []
        held_s = 0.0

        async def hold(seconds: float) -> None:
            # Measured on the loop's clock and reported (X-Sandbox-Delay-Ms), so a test reads what the sandbox did
            # instead of timing the round trip.
            nonlocal held_s
            loop = asyncio.get_running_loop()
            started = loop.time()
            await asyncio.sleep(seconds)
            held_s += loop.time() - started
            extra_headers[DELAY_HEADER] = str(round(held_s * 1000))

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_headers_bytes(extra_headers)]
                seen_status.append(message["status"])
            await send(message)

        raw_path = scope.get("raw_path") or path.encode()
        query = scope.get("query_string") or b""
        if len(raw_path) + (len(query) + 1 if query else 0) > platform.max_url_length:
            await _send_answer(send_with_headers, 414, URI_TOO_LONG_PAGE, b"text/html")
            if not admin:
                platform.record(endpoint, 414)
            return
        if admin:
            await self.app(scope, receive, send_with_headers)
            return

        policy: str | None = None
        try:
            fault = platform.faults.decide(path)
            if fault is not None and fault.kind == "queue":  # held before HubSpot sees it: counted when it gets in
                scope["hubspot_fault"] = fault.kind
                await hold(float(fault.arg or 0))
                fault = None
            auth: dict | None = None
            if not path.startswith(UNAUTHENTICATED_PREFIXES):
                auth_header = None
                for name, value in scope.get("headers", ()):
                    if name == b"authorization":
                        auth_header = value.decode("latin-1")
                        break
                outcome = platform.authenticate(auth_header)
                if isinstance(outcome, tuple):
                    category, message = outcome
                    body = {
                        "status": "error",
                        "message": message,
                        "correlationId": corr_id,
                        "category": category,
                    }
                    await _send_answer(send_with_headers, 401, orjson.dumps(body), b"application/json")
                    return
                auth = outcome
                scope["hubspot_auth"] = auth
                verdict = platform.limiter.check(
                    limit_class(method, path), auth["hub_id"], auth["kind"], auth["app"]
                )
                extra_headers.update(verdict.headers)
                if verdict.policy:
                    policy = verdict.policy
                    await self._send_rate_limited(send_with_headers, verdict.policy, corr_id)
                    return
                missing = missing_scopes(method, path, auth["scopes"])
                if missing:
                    await _send_answer(send_with_headers, 403, orjson.dumps(missing_scopes_body(missing, corr_id)),
                                       b"application/json;charset=utf-8")
                    return

            if fault is not None:
                handled = await self._apply_fault(
                    fault, scope, receive, send, send_with_headers, corr_id, auth, extra_headers, hold
                )
                if handled:
                    if fault.kind == "reset" and not seen_status:
                        platform.record(endpoint, None, fault="reset")
                    return
            if platform.latency_ms > 0:
                await hold(platform.latency_ms / 1000.0)
            await self.app(scope, receive, send_with_headers)
        finally:
            if seen_status:
                platform.record(endpoint, seen_status[0], policy=policy, fault=scope.get("hubspot_fault"))

    async def _send_rate_limited(
        self, send: Any, policy: str, corr_id: str, headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        body = {
            "status": "error",
            "message": POLICY_MESSAGES[policy],
            "errorType": "RATE_LIMIT",
            "correlationId": corr_id,
            "policyName": policy,
        }
        await _send_answer(send, 429, orjson.dumps(body), b"application/json;charset=utf-8", headers)

    async def _apply_fault(
        self,
        fault: Fault,
        scope: dict,
        receive: Any,
        raw_send: Any,
        send: Any,
        corr_id: str,
        auth: dict | None,
        extra_headers: dict[str, str],
        hold: Any,
    ) -> bool:
        """Inject `fault`; True when the request is finished (answered or reset), False to serve it. `hold(s)`
        delays the request s seconds and reports it."""
        kind = fault.kind
        scope["hubspot_fault"] = kind
        if kind == "slow":
            await hold(float(fault.arg or 0))
            return False
        if kind == "truncate":
            await self._serve_truncated(scope, receive, send)
            return True
        if kind == "reset":
            if _abort_connection(raw_send):
                return True
            raise ConnectionResetError("sandbox fault: connection reset")  # server without a transport handle
        if kind == "429":
            if auth is not None:
                extra_headers.update(
                    self.platform.limiter.burst_headers(auth["hub_id"], auth["kind"], auth["app"])
                )
            await self._send_rate_limited(send, "TEN_SECONDLY_ROLLING", corr_id, _retry_after(fault))
            return True
        if kind == "477":
            body = {
                "status": "error",
                "message": "Migration in progress: this account is being moved. "
                "Retry after the number of seconds in Retry-After.",
                "correlationId": corr_id,
                "category": "MIGRATION_IN_PROGRESS",
            }
            retry_after = str(max(int(round(float(fault.arg or 1))), 0))
            await _send_answer(
                send, 477, orjson.dumps(body), b"application/json", [(b"retry-after", retry_after.encode())]
            )
            return True
        if kind == "html":
            status = int(fault.arg or 502)
            await _send_answer(send, status, _html_error_page(status), b"text/html; charset=utf-8")
            return True
        if kind in STATUS_KINDS:
            status = int(kind)
            category, message = _FAULT_BODIES[status]
            body = {"status": "error", "message": message, "correlationId": corr_id, "category": category}
            await _send_answer(
                send, status, orjson.dumps(body), b"application/json;charset=utf-8", _retry_after(fault)
            )
            return True
        return False

    async def _serve_truncated(self, scope: dict, receive: Any, send: Any) -> None:
        """Serve the real answer with half its body and a Content-Length that matches the cut body."""
        start: dict | None = None
        chunks: list[bytes] = []

        async def capture(message: dict) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        if start is None:
            return
        body = b"".join(chunks)
        cut = body[: len(body) // 2]
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(cut)).encode()))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        await send({"type": "http.response.body", "body": cut})


from hubspot_assets.sandbox.platform_admin import platform_admin_routes  # noqa: E402  (re-export for app.py)
