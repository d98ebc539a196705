"""The one HTTP path to HubSpot: pooled session, timeouts, auth, rate limits, retries, breaker, logs, typed errors.

`Transport.request` sends one logical request and returns a `HubSpotResponse` for an ok status (200, 201, 204,
207 by default), or raises a `HubSpotError` subclass once retries are exhausted or the error is final.

Retry rules (attempts and the longest total wait are settings):
- 429 (ten-secondly or secondly), 5xx, 521-524, connection errors, timeouts and malformed bodies: exponential
  back-off with full jitter, or HubSpot's `Retry-After` when it sends one.
- 423 Locked: at least 2 s. 477 Migration in progress: `Retry-After`.
- 429 with policy DAILY, or the daily reserve reached: `DailyLimitError` at once, no retry.
- 401 EXPIRED_AUTHENTICATION: the token provider refreshes once, and the request is retried at once.
- Any other 4xx: raised at once.
- Non-idempotent writes (`idempotent=False`: creates, merges, the OAuth code exchange) are retried only when
  HubSpot certainly did not process the request: the connection could not be made, or the answer was 429, 423,
  477, 503 or 521-523 (the origin was never reached). After any other failure (timeout, reset, 500, a truncated
  2xx) the write may have happened: the error says so instead of sending it again and duplicating a record.
The loop is written out rather than built on a retry library because the rules differ per answer (a refresh that
is not an attempt, DAILY that must not wait, the breaker between attempts, Retry-After vs. back-off); each rule is
one readable branch below.
Before each attempt the per-host circuit breaker may fail fast (`CircuitOpenError`) and the shared rate limiter
may wait for budget. Every attempt is logged on `hubspot_elt.http` with method, endpoint template, status,
duration, attempt and remaining budget; secrets never reach the log (see `logging.py`).
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests
from pydantic import SecretStr
from requests.adapters import HTTPAdapter

from hubspot_assets.hubspot.breaker import CircuitBreaker, breaker_for
from hubspot_assets.hubspot.errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectionFailedError,
    DailyLimitError,
    HubSpotError,
    LockedError,
    MalformedResponseError,
    MigrationInProgressError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    error_from_response,
)
from hubspot_assets.hubspot.logging import HTTP_LOGGER, get_logger, redact, register_secrets
from hubspot_assets.hubspot.ratelimit import RateLimiter
from hubspot_assets.hubspot.settings import ClientSettings

log = get_logger(HTTP_LOGGER)

USER_AGENT = "hubspot-elt/0.1 (+requests)"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
# Answers that prove the request was not processed, so even a create may be sent again: 503 (HubSpot refuses
# before processing) and Cloudflare's 521-523 (the origin was down, timed out connecting, or unreachable).
# 500, 502, 504 and 524 may come after the write was done.
NOT_PROCESSED_STATUSES = frozenset({503, 521, 522, 523})


class Budget(str, Enum):
    """Which HubSpot rate budget a call spends."""

    GENERAL = "general"  # the 10-second budget (+ daily)
    SEARCH = "search"  # 5 requests/second, no headers
    ASSOCIATIONS = "associations"  # v4 association batch calls: outside the 10-second budget
    NONE = "none"  # not rate limited (OAuth token endpoint)


@dataclass
class HubSpotResponse:
    """An ok answer: status, headers (case-insensitive), parsed JSON `data` (None for 204)."""

    status: int
    headers: Mapping[str, str]
    data: Any
    correlation_id: str | None = None
    attempts: int = 1
    duration_ms: float = 0.0


@dataclass
class TransportMetrics:
    """Counters for one transport; `snapshot()` gives a plain dict (safe to log or export)."""

    requests: int = 0  # HTTP attempts sent
    calls: int = 0  # logical calls (`request` invocations)
    retries: int = 0
    rate_limited: int = 0  # 429 answers
    refreshes: int = 0  # token refreshes after a 401
    failures: int = 0  # calls that ended in an error
    by_status: Counter = field(default_factory=Counter)
    by_error: Counter = field(default_factory=Counter)
    rate_limit_wait_s: float = 0.0
    retry_wait_s: float = 0.0
    breaker_state: str = "closed"
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str, value: float = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + value)

    def count(self, name: str, key: Any) -> None:
        with self._lock:
            getattr(self, name)[key] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self.requests,
                "calls": self.calls,
                "retries": self.retries,
                "rate_limited": self.rate_limited,
                "refreshes": self.refreshes,
                "failures": self.failures,
                "by_status": dict(self.by_status),
                "by_error": dict(self.by_error),
                "rate_limit_wait_s": round(self.rate_limit_wait_s, 3),
                "retry_wait_s": round(self.retry_wait_s, 3),
                "breaker_state": self.breaker_state,
            }


_ID_SEGMENT = re.compile(r"^(\d+|[0-9a-fA-F-]{16,}|[A-Za-z0-9_-]{32,}|pat-.*)$")


def endpoint_template(path: str) -> str:
    """A path with ids and tokens replaced by placeholders, for logs and errors when the caller gave none."""
    parts = [p if not _ID_SEGMENT.match(p) else "{id}" for p in path.split("?")[0].split("/")]
    template = "/".join(parts)
    # OAuth token paths hold the token itself.
    return re.sub(r"(/oauth/[^/]+/(?:refresh-tokens|access-tokens)/)[^/]+", r"\1{token}", template)


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


_SENDING = threading.local()  # what the adapter calls as a request of this thread goes out (see `_SendClock`)


class _SendClock(HTTPAdapter):
    """Tells the rate limiter when a request really goes out. Between the limiter logging a send and the request
    leaving, a thread can wait for the interpreter lock (other threads parsing answers) or a pooled connection,
    for a noticeable part of a second on a busy machine. The log's entry then moves to the real send (see
    `RateLimiter.sending`)."""

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        mark = getattr(_SENDING, "mark", None)
        if mark is not None:
            _SENDING.mark = None
            mark()
        return super().send(request, *args, **kwargs)


class Transport:
    """HTTP to HubSpot with auth, shared rate limits, retries, a circuit breaker and structured logs.

    Thread-safe: share one per process (the session pools connections). `settings.base_url` is the host; an app's
    `Settings` may be passed, and only its client fields are kept (`settings.client_settings()`).
    `token_provider` defaults to the one `auth.provider_from_settings` picks; `rate_limiter` to the shared
    cross-process limiter for the provider's app; `breaker` to the process-wide breaker for the host.
    """

    def __init__(
        self,
        settings: ClientSettings,
        *,
        token_provider: Any | None = None,
        session: requests.Session | None = None,
        rate_limiter: Any | None = None,
        breaker: CircuitBreaker | None = None,
        sleep: Any = time.sleep,
        pool_size: int = 16,
    ) -> None:
        settings = settings.client_settings()
        self.settings = settings
        self.base_url = settings.base_url
        # Every secret setting (tokens, client secret, keys) is redacted wherever it might surface.
        register_secrets(
            value.get_secret_value() for value in vars(settings).values() if isinstance(value, SecretStr)
        )
        self._token_provider = token_provider
        self._rate_limiter = rate_limiter
        self._limiter_lock = threading.Lock()
        # Until the first answer shows HubSpot's counters, one request goes alone (a "scout"): a burst sent
        # blind could land on a budget another integration has nearly spent.
        self._warm = threading.Event()
        self._scout = threading.Lock()
        self.metrics = TransportMetrics()
        self.host = urlsplit(self.base_url).netloc
        self.breaker = breaker or breaker_for(self.host, settings)
        self._sleep = sleep
        self._timeout = (settings.connect_timeout_s, settings.read_timeout_s)
        if session is None:
            session = requests.Session()
            adapter = _SendClock(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        session.headers.setdefault("User-Agent", USER_AGENT)
        session.trust_env = False  # no proxies or netrc credentials from the environment
        self.session = session

    # -- collaborators, built lazily so a transport for unauthenticated calls needs no credentials ----------
    @property
    def token_provider(self) -> Any:
        if self._token_provider is None:
            # auth.py builds transports of its own (the token endpoint's), so it imports this module, not back.
            from hubspot_assets.hubspot.auth import provider_from_settings

            self._token_provider = provider_from_settings(self.settings)
        return self._token_provider

    @property
    def rate_limiter(self) -> Any:
        limiter = self._rate_limiter
        if limiter is not None:  # built once; no lock on the hot path
            return limiter
        with self._limiter_lock:
            if self._rate_limiter is None:
                provider = self.token_provider
                tier = self.settings.tier
                if getattr(provider, "kind", "") == "oauth" and tier != "unlimited":
                    tier = "oauth"
                self._rate_limiter = RateLimiter(self.settings, key=provider.rate_limit_key, tier=tier)
            return self._rate_limiter

    def close(self) -> None:
        """Close pooled connections (the token provider's too: an OAuth provider keeps its own for refreshes)."""
        self.session.close()
        close_provider = getattr(self._token_provider, "close", None)
        if close_provider is not None:
            close_provider()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

    # -- the request loop -------------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        endpoint: str | None = None,
        params: Mapping[str, Any] | Sequence[tuple[str, str]] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        budget: Budget = Budget.GENERAL,
        auth: bool = True,
        ok: Collection[int] = (200, 201, 204, 207),
        idempotent: bool | None = None,
        decode: Callable[[bytes], Any] | None = None,
    ) -> HubSpotResponse:
        """Send `method path` (path relative to the base URL) and return the parsed ok answer.

        `endpoint` is the path template used in logs, metrics and errors (defaults to `path` with ids masked).
        `budget` picks the rate budget; `auth=False` sends no bearer token. `idempotent` says whether sending
        the request twice is harmless (default: True for GET, HEAD, PUT, PATCH and DELETE, False for POST; pass
        True for POSTs that only read, such as search and batch/read). Raises a `HubSpotError` subclass; for a
        non-idempotent call whose outcome is unknown the error's `write_may_have_happened` is True.
        `decode`: turns an ok answer's body into `data` instead of orjson (raising `ValueError` for a body that is
        not what it should be: a malformed answer, retried like invalid JSON); error answers are always JSON.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        endpoint = endpoint or endpoint_template(path)
        url = self.base_url + (path if path.startswith("/") else "/" + path)
        body = orjson.dumps(json) if json is not None else None
        settings = self.settings
        max_attempts = settings.retry_max_attempts
        waited = 0.0
        refreshed = False
        attempt = 0
        self.metrics.add("calls")
        limiter = self.rate_limiter if (budget is not Budget.NONE and auth) else None
        while True:
            attempt += 1
            try:
                # Fail fast while the circuit is open; `probe` is True when this attempt is the half-open probe.
                probe = self.breaker.before_call(method=method, endpoint=endpoint)
            except HubSpotError as exc:
                self.metrics.add("failures")
                self.metrics.count("by_error", type(exc).__name__)
                self.metrics.breaker_state = self.breaker.state
                raise
            scout = False
            if limiter is not None and budget is Budget.GENERAL and not self._warm.is_set():
                scout = self._scout.acquire(blocking=False)
                if not scout:
                    self._warm.wait(timeout=settings.connect_timeout_s + settings.read_timeout_s)
            try:
                token, response, status, error, result, duration_ms = self._attempt(
                    method, url, endpoint, params, body, data, budget, auth, ok, attempt, limiter, decode
                )
            except BaseException as exc:  # the daily reserve, or no usable token: nothing was sent
                # A half-open probe that never went out must free its slot, or the breaker stays half-open.
                if probe:
                    self.breaker.cancel_probe()
                if isinstance(exc, HubSpotError):
                    self.metrics.add("failures")
                    self.metrics.count("by_error", type(exc).__name__)
                raise
            finally:
                if scout:
                    self._warm.set()  # the scout's answer is in (or it failed): let the other threads go
            # A breaker counts host failures only: 4xx and 429 prove the host is up.
            if error is not None and isinstance(error, (ServerError, ConnectionFailedError, MalformedResponseError)):
                self.breaker.record_failure()
            else:
                self.breaker.record_success()
            self.metrics.breaker_state = self.breaker.state
            self._log(method, endpoint, status, duration_ms, attempt, budget, limiter, error)
            if error is None:
                assert result is not None
                result.attempts = attempt
                result.duration_ms = duration_ms
                return result

            self.metrics.count("by_error", type(error).__name__)
            if isinstance(error, RateLimitError):
                self.metrics.add("rate_limited")
                if limiter is not None and not isinstance(error, DailyLimitError):
                    limiter.penalize(budget, error.policy)
            if isinstance(error, DailyLimitError):
                if limiter is not None:
                    limiter.mark_daily_exhausted()
                self.metrics.add("failures")
                raise error
            if (
                isinstance(error, AuthenticationError)
                and auth
                and not refreshed
                and token is not None
                and self.token_provider.handle_unauthorized(token, error.category)  # it decides which 401s refresh
            ):
                refreshed = True
                self.metrics.add("refreshes")
                attempt -= 1  # a refresh is not a failed attempt
                continue
            if type(error) is AuthenticationError and auth:
                # Rejected for good: what to fix depends on how this client authenticates (a token or OAuth).
                error.hint = getattr(self.token_provider, "unauthorized_hint", error.hint)
            if not error.retryable:
                self.metrics.add("failures")
                raise error
            if not idempotent and not _not_processed(error):
                self.metrics.add("failures")
                raise _outcome_unknown(error, attempt)
            if attempt >= max_attempts:
                self.metrics.add("failures")
                raise _exhausted(error, attempt, waited)
            delay = self._retry_delay(error, attempt)
            if waited + delay > settings.retry_max_wait_s:
                self.metrics.add("failures")
                raise _exhausted(error, attempt, waited, next_delay=delay)
            self.metrics.add("retries")
            self.metrics.add("retry_wait_s", delay)
            waited += delay
            if delay > 0:
                self._sleep(delay)

    def _attempt(
        self,
        method: str,
        url: str,
        endpoint: str,
        params: Any,
        body: bytes | None,
        data: Any,
        budget: Budget,
        auth: bool,
        ok: Collection[int],
        attempt: int,
        limiter: Any,
        decode: Callable[[bytes], Any] | None = None,
    ) -> tuple[str | None, requests.Response | None, int | None, HubSpotError | None, HubSpotResponse | None, float]:
        """One HTTP attempt: wait for budget, send, read, and learn from the rate-limit headers."""
        settings = self.settings
        headers: dict[str, str] = {"Accept": "application/json"}
        token = None
        if auth:
            token = self.token_provider.access_token()
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            headers["Content-Type"] = "application/json"
        # The budget is taken last, right before the send: the limiter's log holds the time the request really
        # goes out (a token refresh or a wait before it would otherwise make the entry older than the send).
        if limiter is not None:
            limit_wait = limiter.acquire(budget, method=method, endpoint=endpoint)
            if limit_wait:
                self.metrics.add("rate_limit_wait_s", limit_wait)
        started = time.monotonic()
        path = endpoint_template(urlsplit(url).path)
        observed: list[bool] = []

        def answered(answer: requests.Response, *args: Any, **kwargs: Any) -> None:
            # A response hook runs when the answer's headers come in, before the body is read: the round trip that
            # can re-date the send in the rate log ends here (HubSpot counted the request before it answered;
            # reading and parsing a large answer say nothing of when it arrived), compared with round trips to the
            # same path, ids masked. The send also stops holding its place in the log as one still unanswered.
            if limiter is not None:
                limiter.observe(budget, answer.headers, answer.status_code, answered_at=limiter.now(), path=path)
                observed.append(True)

        status: int | None = None
        _SENDING.mark = getattr(limiter, "sending", None)
        response: requests.Response | None = None
        error: HubSpotError | None
        result: HubSpotResponse | None = None
        try:
            response = self.session.request(
                method, url, params=params, data=body if body is not None else data, headers=headers,
                timeout=self._timeout, allow_redirects=False,
                # A request's own hooks replace the session's in requests: the session's (e.g. a caller counting
                # answers) are passed along.
                hooks={"response": [answered, *self.session.hooks.get("response", ())]},
            )
            status = response.status_code
            error, result = self._interpret(response, method, endpoint, ok, attempt, started, decode)
        except requests.exceptions.ConnectTimeout as exc:  # no connection: the request never left
            error = ConnectionFailedError(
                f"could not connect to {self.host} within {settings.connect_timeout_s:g} s ({type(exc).__name__})",
                method=method, endpoint=endpoint,
            )
            error.request_sent = False
        except requests.exceptions.Timeout as exc:
            error = RequestTimeoutError(
                f"no answer within {settings.read_timeout_s:g} s ({type(exc).__name__})", method=method,
                endpoint=endpoint,
            )
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            error = MalformedResponseError(
                f"the answer was cut off or could not be decoded ({type(exc).__name__})",
                status=status, method=method, endpoint=endpoint,
            )
        except requests.exceptions.ConnectionError as exc:
            error = ConnectionFailedError(
                f"could not reach {self.host}: {_short_reason(exc)}", method=method, endpoint=endpoint
            )
            error.request_sent = not _connect_failure(exc)
        except requests.exceptions.RequestException as exc:  # a bad URL or header: retrying cannot help
            error = ConfigurationError(
                f"the request could not be sent ({type(exc).__name__}: {_short_reason(exc)})",
                method=method, endpoint=endpoint, hint="check HUBSPOT_BASE_URL",
            )
        duration_ms = (time.monotonic() - started) * 1000
        self.metrics.add("requests")
        if status is not None:
            self.metrics.count("by_status", status)
        if limiter is not None and not observed:
            if response is not None or getattr(error, "request_sent", True):
                # The request went out but no answer came (a timeout, a dropped connection): it may have reached
                # HubSpot late, so its entry is re-dated like any slow round trip, up to now.
                limiter.observe(budget, {}, status, path=path)
            else:
                limiter.unsent(budget)  # it never left: its slot is free again
        return token, response, status, error, result, duration_ms

    def _retry_delay(self, error: HubSpotError, attempt: int) -> float:
        settings = self.settings
        step = min(settings.retry_backoff_max_s, settings.retry_backoff_base_s * (2 ** (attempt - 1)))
        backoff = random.uniform(step / 2, step)  # jitter: retries from many workers spread out
        if isinstance(error, LockedError):
            return max(2.0, error.retry_after or 0.0, backoff)
        if error.retry_after is not None:
            return error.retry_after
        if isinstance(error, MigrationInProgressError):
            return max(1.0, backoff)
        if isinstance(error, RateLimitError):
            # No Retry-After: the limiter already holds new work back; wait a share of the window.
            return max(1.0 if error.policy != "SECONDLY" else 0.2, backoff)
        return backoff

    def _interpret(
        self,
        response: requests.Response,
        method: str,
        endpoint: str,
        ok: Collection[int],
        attempt: int,
        started: float,
        decode: Callable[[bytes], Any] | None = None,
    ) -> tuple[HubSpotError | None, HubSpotResponse | None]:
        status = response.status_code
        headers = response.headers  # already case-insensitive
        correlation_id = headers.get("X-HubSpot-Correlation-Id")
        raw = response.content  # may raise ChunkedEncodingError on a truncated body
        parsed: Any = None
        parse_failed = False
        # A proxy's or Cloudflare's error page instead of HubSpot's JSON.
        html = bool(raw) and ("html" in headers.get("Content-Type", "").lower() or raw.lstrip()[:1] == b"<")
        if raw and status != 204:
            if html:
                parse_failed = True
            else:
                try:
                    parsed = decode(raw) if decode is not None and status in ok else orjson.loads(raw)
                except ValueError:  # orjson.JSONDecodeError is one
                    parse_failed = True
        if status in ok:
            if parse_failed:
                kind = "an HTML page" if html else "truncated or invalid JSON"
                return MalformedResponseError(
                    f"HubSpot answered {status} with {kind} ({len(raw)} bytes) instead of JSON",
                    status=status, method=method, endpoint=endpoint, correlation_id=correlation_id,
                ), None
            return None, HubSpotResponse(status=status, headers=headers, data=parsed, correlation_id=correlation_id)
        retry_after = _retry_after_seconds(headers.get("Retry-After"))
        fallback = None
        if parse_failed:
            fallback = f"HTTP {status} with a non-JSON body ({'HTML page' if html else 'unparseable'})"
        return error_from_response(
            status, parsed, method=method, endpoint=endpoint, correlation_id=correlation_id,
            retry_after=retry_after, fallback_message=fallback,
        ), None

    def _log(
        self,
        method: str,
        endpoint: str,
        status: int | None,
        duration_ms: float,
        attempt: int,
        budget: Budget,
        limiter: Any,
        error: HubSpotError | None,
    ) -> None:
        remaining = limiter.remaining(budget) if limiter is not None else None
        fields = {
            "method": method,
            "endpoint": endpoint,
            "status": status,
            "duration_ms": round(duration_ms, 1),
            "attempt": attempt,
            "budget": budget.value,
            "budget_remaining": remaining,
            "breaker": self.breaker.state,
            "error": type(error).__name__ if error else None,
        }
        level = 20 if error is None else 30
        log.log(
            level,
            "%s %s -> %s in %.0f ms (attempt %d, %s budget remaining %s)%s",
            method, endpoint, status if status is not None else "no answer", duration_ms, attempt,
            budget.value, "n/a" if remaining is None else remaining,
            f" {type(error).__name__}: {error.message}" if error else "",
            extra={"hubspot": fields},
        )


def _short_reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Connection reset", "Remote end closed", "Name or service not known",
                   "RemoteDisconnected", "timed out", "Max retries exceeded"):
        if marker in text:
            return marker.lower()
    return redact(text)[:200]


def _connect_failure(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the connection could not be opened at all (so nothing of the request was sent)."""
    import urllib3.exceptions as u3

    reason: Any = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # MaxRetryError wraps the cause
    return isinstance(exc, requests.exceptions.ConnectTimeout) or isinstance(
        reason, (u3.NewConnectionError, u3.ConnectTimeoutError, u3.NameResolutionError)
    )


def _not_processed(error: HubSpotError) -> bool:
    """True when `error` proves HubSpot did not process the request, so a write may safely be sent again."""
    if isinstance(error, ConnectionFailedError):
        return not getattr(error, "request_sent", True)
    if isinstance(error, (RateLimitError, LockedError, MigrationInProgressError)):
        return True
    return isinstance(error, ServerError) and error.status in NOT_PROCESSED_STATUSES


def _outcome_unknown(error: HubSpotError, attempts: int) -> HubSpotError:
    """`error` with a hint for a write that was not retried because HubSpot may already have done it. The message
    stays HubSpot's (or the transport's) own, so a caller that knows what the write was can say it better."""
    done = "HubSpot probably did it" if (error.status or 0) // 100 == 2 else "it may have been done"
    error.hint = (
        f"this write is not idempotent and {done}, so it was not sent again after attempt {attempts}: "
        f"check whether {error.method} {error.endpoint} took effect before trying again"
    )
    error.write_may_have_happened = True
    return error


def _exhausted(error: HubSpotError, attempts: int, waited: float, next_delay: float | None = None) -> HubSpotError:
    why = f"gave up after {attempts} attempt{'s' if attempts != 1 else ''} and {waited:.1f} s of waiting"
    if next_delay is not None:
        why += f"; the next wait ({next_delay:.1f} s) would pass HUBSPOT_RETRY_MAX_WAIT_S"
    error.message = f"{error.message}; {why}"
    error.args = (error.message,)
    return error
