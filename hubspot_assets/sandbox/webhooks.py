"""Webhook delivery as HubSpot does it, plus the webhook subscription API.

`WebhookDispatcher.emit(events)` is non-blocking and thread-safe. Callers (CRM mutations, conversations) pass
events with the semantic fields (`subscriptionType`, `objectId`, `occurredAt`, ...); the dispatcher:
- keeps only subscribed event types when any subscription exists (all events when none does);
- fills `eventId` (occasionally reusing the previous one: HubSpot does not promise unique ids),
  `subscriptionId`, `portalId`, `appId` and, per attempt, `attemptNumber` (0 for the first);
- gathers events into batches of at most `batch_max` (99: "fewer than 100") events per POST: a batch is sent
  when full, or `linger_s` (50 ms) after the last event it took (at most 1 s after its first), so a burst of
  changes arrives in few large batches; each batch is shuffled (order is not promised);
- signs each POST: `X-HubSpot-Signature` = hex SHA-256 of secret + body with `X-HubSpot-Signature-Version: v1`
  (or v2: secret + method + uri + body, when `signature_version` is "v2"), plus `X-HubSpot-Signature-v3` =
  base64 HMAC-SHA256(secret, method + uri + body + timestamp) with `X-HubSpot-Request-Timestamp` (ms);
  the secret is the app's client secret;
- posts up to `max_concurrent` (10) batches at once, in no particular order;
- retries a batch up to 10 times on a connection failure, an answer slower than `timeout_s` (5 s), or any
  4xx/5xx, following HubSpot's schedule over about 24 hours (`RETRY_DELAYS_S`, with +-10% jitter)
  multiplied by `backoff_scale` (tests use 0.001 so retries take milliseconds);
- occasionally delivers a delivered batch once more (`redeliver_rate`): delivery is at least once.
Every batch appears in the delivery log (`deliveries()`, served at `GET /_sandbox/webhooks/deliveries`).
The target URL comes from `config.webhook_target`, the webhook settings API, or
`PUT /_sandbox/webhooks/target`.
Randomness (shuffles, duplicates, jitter) comes from a RNG seeded with `config.seed`.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import itertools
import random
import re
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
import requests
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hubspot_assets.sandbox.errors import HubSpotError, json_response, not_found, validation_error

if TYPE_CHECKING:
    from hubspot_assets.sandbox.platform import PlatformState

# HubSpot spreads up to 10 retries over the next 24 hours; this schedule sums to about 23.9 h.
RETRY_DELAYS_S = (60, 120, 300, 900, 1800, 3600, 7200, 14400, 21600, 36000)
MAX_RETRIES = len(RETRY_DELAYS_S)
OBJECT_KINDS = ("contact", "company", "deal", "ticket", "product", "line_item", "object")
OBJECT_EVENTS = ("creation", "deletion", "propertyChange", "merge", "restore", "associationChange")
EVENT_TYPES = frozenset(
    [f"{kind}.{event}" for kind in OBJECT_KINDS for event in OBJECT_EVENTS]
    + ["contact.privacyDeletion"]
    + [
        f"conversation.{e}"
        for e in ("creation", "deletion", "privacyDeletion", "propertyChange", "newMessage")
    ]
)
LOG_SIZE = 5000
MAX_LINGER_S = 1.0  # an open batch is sent at the latest this long after its first event


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sign_v1(secret: str, body: bytes) -> str:
    return hashlib.sha256(secret.encode() + body).hexdigest()


def sign_v2(secret: str, method: str, uri: str, body: bytes) -> str:
    return hashlib.sha256(secret.encode() + method.encode() + uri.encode() + body).hexdigest()


# HubSpot signs v3 over the URI with these escapes decoded (its docs tell receivers to decode them first).
_V3_DECODED = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}
_V3_ESCAPE = re.compile("|".join(_V3_DECODED), re.IGNORECASE)


def v3_signing_uri(uri: str) -> str:
    """The URI as HubSpot signs it for v3: the full URL with %3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B
    decoded (other escapes stay as they are)."""
    return _V3_ESCAPE.sub(lambda m: _V3_DECODED[m.group(0).upper()], uri)


def sign_v3(secret: str, method: str, uri: str, body: bytes, timestamp_ms: str) -> str:
    message = method.encode() + uri.encode() + body + timestamp_ms.encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


class _Batch:
    __slots__ = ("id", "events", "attempt", "log", "redelivery", "opened", "hold_until")

    def __init__(self, batch_id: int, events: list[dict], log: dict, redelivery: bool = False) -> None:
        self.id = batch_id
        self.events = events
        self.attempt = 0
        self.log = log
        self.redelivery = redelivery
        self.opened = time.monotonic()
        self.hold_until = 0.0  # an open batch waits for more events until then


class WebhookDispatcher:
    """Delivers events to the webhook target like HubSpot (see the module docstring). Thread-safe."""

    def __init__(self, config: Any, platform: PlatformState | None = None) -> None:
        self.config = config
        self.platform = platform
        self.target: str | None = getattr(config, "webhook_target", None) or None
        self._secret = str(config.client_secret)
        self.portal_id = int(config.portal_id)
        self.app_id = int(config.app_id)
        self.backoff_scale = float(getattr(config, "webhook_backoff_scale", 1.0))
        self.timeout_s = float(getattr(config, "webhook_timeout_s", 5.0))
        self.max_concurrent = 10
        self.batch_max = 99
        self.linger_s = float(getattr(config, "webhook_linger_s", 0.05))
        self.duplicate_rate = float(getattr(config, "webhook_duplicate_rate", 0.01))
        self.redeliver_rate = float(getattr(config, "webhook_redeliver_rate", 0.01))
        self.signature_version = "v1"
        self.settings_created_at: float | None = time.time() if self.target else None
        self.settings_updated_at: float | None = self.settings_created_at
        self._rng = random.Random(int(getattr(config, "seed", 42)) + 7)
        self._event_ids = itertools.count(self._rng.randrange(1_000_000, 9_000_000))
        self._batch_ids = itertools.count(1)
        self._last_event_id: int | None = None
        self._lock = threading.Condition()
        self._queue: list[tuple[float, int, _Batch]] = []
        self._open: _Batch | None = None  # the newest first-attempt batch, still taking events until it is due
        self._inflight = 0
        self._log: deque[dict] = deque(maxlen=LOG_SIZE)
        self._counts = {"emitted": 0, "filtered": 0, "dropped_no_target": 0}
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False
        self._local = threading.local()
        # subscriptions: id -> {"id", "eventType", "propertyName"?, "active", "createdAt", "updatedAt"}
        self.subscriptions: dict[int, dict] = {}
        self._subscription_ids = itertools.count(1_000)
        self._synthetic_subscription_ids: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"WebhookDispatcher(target={self.target!r}, pending={len(self._queue)})"

    # --- subscriptions -------------------------------------------------------------------------------------

    def _subscription_for(self, event: dict) -> int | None:
        """The id of the active subscription that wants this event, None when subscriptions exclude it."""
        event_type = event.get("subscriptionType", "")
        if not self.subscriptions:
            sid = self._synthetic_subscription_ids.get(event_type)
            if sid is None:
                sid = self._synthetic_subscription_ids[event_type] = 500_000 + len(
                    self._synthetic_subscription_ids
                )
            return sid
        for sub in self.subscriptions.values():
            if not sub["active"] or sub["eventType"] != event_type:
                continue
            if sub.get("propertyName") and sub["propertyName"] != event.get("propertyName"):
                continue
            return sub["id"]
        return None

    # --- emitting -------------------------------------------------------------------------------------------

    def emit(self, events: list[dict]) -> int:
        """Queue events for delivery; never blocks on the network. Returns how many were queued."""
        if not events:
            return 0
        with self._lock:
            self._counts["emitted"] += len(events)
            if not self.target or self._closed:
                self._counts["dropped_no_target"] += len(events)
                return 0
            prepared = []
            for event in events:
                sid = self._subscription_for(event)
                if sid is None:
                    self._counts["filtered"] += 1
                    continue
                filled = dict(event)
                if self._last_event_id is not None and self._rng.random() < self.duplicate_rate:
                    event_id = self._last_event_id
                else:
                    event_id = next(self._event_ids)
                self._last_event_id = event_id
                filled.update(
                    eventId=event_id, subscriptionId=sid, portalId=self.portal_id, appId=self.app_id
                )
                prepared.append(filled)
            now = time.monotonic()
            for filled in prepared:
                batch = self._open
                if batch is None or len(batch.events) >= self.batch_max:
                    batch = self._open = self._schedule_new([], now + self.linger_s)
                # While events keep coming, the open batch waits for more (at most MAX_LINGER_S after opening).
                batch.hold_until = min(now + self.linger_s, batch.opened + MAX_LINGER_S)
                batch.events.append(filled)
                batch.log["eventCount"] = len(batch.events)
                batch.log["eventIds"].append(filled["eventId"])
                if filled.get("subscriptionType", "") not in batch.log["subscriptionTypes"]:
                    batch.log["subscriptionTypes"] = sorted({*batch.log["subscriptionTypes"],
                                                             filled.get("subscriptionType", "")})
            self._ensure_worker()
            self._lock.notify_all()
            return len(prepared)

    def _schedule_new(self, events: list[dict], due: float, redelivery: bool = False) -> _Batch:
        batch_id = next(self._batch_ids)
        log = {
            "batchId": batch_id,
            "eventCount": len(events),
            "eventIds": [e["eventId"] for e in events],
            "subscriptionTypes": sorted({e.get("subscriptionType", "") for e in events}),
            "state": "pending",
            "redelivery": redelivery,
            "attempts": [],
        }
        self._log.append(log)
        batch = _Batch(batch_id, events, log, redelivery)
        heapq.heappush(self._queue, (due, batch_id, batch))
        return batch

    def _ensure_worker(self) -> None:
        if self._thread is None:
            self._pool = ThreadPoolExecutor(max_workers=10, thread_name_prefix="sandbox-webhook")
            self._thread = threading.Thread(target=self._run, name="sandbox-webhook-scheduler", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._closed:
                    now = time.monotonic()
                    if self._queue and self._queue[0][0] <= now and self._inflight < self.max_concurrent:
                        break
                    wait = None
                    if self._queue and self._inflight < self.max_concurrent:
                        wait = self._queue[0][0] - now
                    self._lock.wait(timeout=wait)
                if self._closed:
                    return
                _, _, batch = heapq.heappop(self._queue)
                if batch is self._open:
                    if batch.hold_until > now and len(batch.events) < self.batch_max:
                        heapq.heappush(self._queue, (batch.hold_until, batch.id, batch))  # still filling
                        continue
                    self._open = None  # due: it takes no more events
                if batch.attempt == 0 and not batch.redelivery:
                    self._rng.shuffle(batch.events)
                self._inflight += 1
            assert self._pool is not None
            self._pool.submit(self._deliver, batch)

    # --- delivering -----------------------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _deliver(self, batch: _Batch) -> None:
        target = self.target
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            if not target:
                error = "no webhook target set"
            else:
                body = orjson.dumps([{**e, "attemptNumber": batch.attempt} for e in batch.events])
                response = self._session().post(
                    target,
                    data=body,
                    headers=self._signed_headers(target, body),
                    timeout=self.timeout_s,
                    allow_redirects=False,
                )
                status = response.status_code
                response.close()
        except requests.Timeout:
            error = f"no answer within {self.timeout_s:g} s"
        except requests.RequestException as exc:
            error = f"connection failed: {type(exc).__name__}"
        except Exception as exc:  # never let a delivery thread die silently
            error = f"delivery error: {type(exc).__name__}"
        elapsed = time.monotonic() - started
        if error is None and elapsed > self.timeout_s:
            error = f"answer took {elapsed:.2f} s, more than {self.timeout_s:g} s"
        elif error is None and status is not None and status >= 400:
            error = f"HTTP {status}"
        with self._lock:
            batch.log["attempts"].append(
                {
                    "attemptNumber": batch.attempt,
                    "status": status,
                    "error": error,
                    "durationMs": round(elapsed * 1000, 1),
                    "at": _iso(time.time()),
                }
            )
            self._inflight -= 1
            if error is None:
                batch.log["state"] = "delivered"
                if not batch.redelivery and self._rng.random() < self.redeliver_rate:
                    self._schedule_new(batch.events, time.monotonic() + self._delay(0), redelivery=True)
            elif batch.attempt < MAX_RETRIES and not self._closed:
                batch.log["state"] = "retrying"
                due = time.monotonic() + self._delay(batch.attempt)
                batch.attempt += 1
                heapq.heappush(self._queue, (due, batch.id, batch))
            else:
                batch.log["state"] = "failed"
            self._lock.notify_all()

    def _delay(self, retry_index: int) -> float:
        return RETRY_DELAYS_S[retry_index] * self.backoff_scale * self._rng.uniform(0.9, 1.1)

    def _signed_headers(self, uri: str, body: bytes) -> dict[str, str]:
        timestamp = str(int(time.time() * 1000))
        if self.signature_version == "v2":
            legacy = sign_v2(self._secret, "POST", uri, body)
        else:
            legacy = sign_v1(self._secret, body)
        return {
            "Content-Type": "application/json",
            "User-Agent": "HubSpot Connect 2.0 (http://dev.hubspot.com/) (sandbox)",
            "X-HubSpot-Signature": legacy,
            "X-HubSpot-Signature-Version": self.signature_version,
            "X-HubSpot-Signature-v3": sign_v3(self._secret, "POST", v3_signing_uri(uri), body, timestamp),
            "X-HubSpot-Request-Timestamp": timestamp,
        }

    # --- control & inspection -------------------------------------------------------------------------------

    def set_target(self, url: str | None) -> None:
        """Set (or clear with None) the URL batches are posted to; pending retries use the new one."""
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"webhook target must be an http(s) URL, got {url!r}")
        with self._lock:
            now = time.time()
            if url and self.settings_created_at is None:
                self.settings_created_at = now
            self.settings_updated_at = now if url else None
            if not url:
                self.settings_created_at = None
            self.target = url or None

    def deliveries(self, limit: int | None = None) -> dict:
        """The delivery log: counters plus the most recent batches (newest last) with their attempts."""
        with self._lock:
            log = list(self._log)
            if limit is not None:
                log = log[-limit:] if limit > 0 else []
            states: dict[str, int] = {}
            for entry in self._log:
                states[entry["state"]] = states.get(entry["state"], 0) + 1
            return {
                "target": self.target,
                "pending": sum(1 for e in self._log if e["state"] in ("pending", "retrying")),
                "inflight": self._inflight,
                "states": states,
                "counts": dict(self._counts),
                "events_delivered": sum(e["eventCount"] for e in self._log if e["state"] == "delivered"),
                "batches": [{**e, "attempts": list(e["attempts"])} for e in log],
            }

    def clear_log(self) -> None:
        with self._lock:
            self._log = deque(
                (e for e in self._log if e["state"] in ("pending", "retrying")), maxlen=LOG_SIZE
            )
            self._counts = {k: 0 for k in self._counts}

    def options(self) -> dict:
        return {
            "target": self.target,
            "signature_version": self.signature_version,
            "backoff_scale": self.backoff_scale,
            "timeout_s": self.timeout_s,
            "max_concurrent": self.max_concurrent,
            "batch_max": self.batch_max,
            "linger_s": self.linger_s,
            "duplicate_rate": self.duplicate_rate,
            "redeliver_rate": self.redeliver_rate,
        }

    def update_options(self, changes: dict) -> dict:
        """Change delivery options at run time (keys as in `options()`); ValueError on bad values."""
        unknown = set(changes) - set(self.options())
        if unknown:
            raise ValueError(f"unknown webhook option(s) {sorted(unknown)}; known: {sorted(self.options())}")
        if "target" in changes:
            self.set_target(changes["target"])
        if "signature_version" in changes:
            if changes["signature_version"] not in ("v1", "v2"):
                raise ValueError("signature_version must be 'v1' or 'v2' (v3 is always sent alongside)")
            self.signature_version = changes["signature_version"]
        for key in ("backoff_scale", "timeout_s", "duplicate_rate", "redeliver_rate", "linger_s"):
            if key in changes:
                value = float(changes[key])
                if value < 0 or (key in ("duplicate_rate", "redeliver_rate") and value > 1):
                    raise ValueError(f"{key} out of range: {value}")
                setattr(self, key, value)
        for key, low, high in (("max_concurrent", 1, 10), ("batch_max", 1, 99)):
            if key in changes:
                value = int(changes[key])
                if not low <= value <= high:
                    raise ValueError(f"{key} must be between {low} and {high}, got {value}")
                setattr(self, key, value)
        with self._lock:
            self._lock.notify_all()
        return self.options()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until nothing is pending or in flight (True), or `timeout` passes (False)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._queue or self._inflight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(timeout=min(remaining, 0.05))
            return True

    def close(self) -> None:
        """Stop delivering (pending batches are abandoned)."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)


# --- subscription & settings API (developer key) ------------------------------------------------------------


def _check_developer_key(request: Request, dispatcher: WebhookDispatcher) -> None:
    key = request.query_params.get("hapikey", "")
    expected = str(dispatcher.config.developer_api_key)
    if not key or not hmac.compare_digest(key.encode(), expected.encode()):
        raise HubSpotError(
            401,
            "The API key provided is invalid. These endpoints take the developer account's API key as the "
            "hapikey query parameter.",
            "INVALID_AUTHENTICATION",
        )
    app_id = request.path_params.get("appId", "")
    if str(app_id) != str(dispatcher.app_id):
        raise HubSpotError(
            404,
            f"App {app_id} was not found for this developer account.",
            "OBJECT_NOT_FOUND",
            context={"appId": [str(app_id)]},
        )


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        raise validation_error("Invalid input JSON: the request body is not valid JSON.") from None


def _subscription_view(sub: dict) -> dict:
    view = {
        "id": str(sub["id"]),
        "eventType": sub["eventType"],
        "active": sub["active"],
        "createdAt": sub["createdAt"],
        "updatedAt": sub["updatedAt"],
    }
    if sub.get("propertyName"):
        view["propertyName"] = sub["propertyName"]
    return view


def webhook_routes(platform: PlatformState, dispatcher: WebhookDispatcher) -> list[Route]:
    """`/webhooks/v3/{appId}/settings` and `.../subscriptions...` (developer key as `hapikey`)."""

    async def settings(request: Request) -> Response:
        _check_developer_key(request, dispatcher)
        if request.method == "DELETE":
            dispatcher.set_target(None)
            return Response(status_code=204)
        if request.method == "PUT":
            body = await _json_body(request)
            if not isinstance(body, dict) or not isinstance(body.get("targetUrl"), str):
                raise validation_error("targetUrl is required (the URL HubSpot posts events to).")
            throttling = body.get("throttling") or {}
            if not isinstance(throttling, dict):
                raise validation_error("throttling must be an object with maxConcurrentRequests.")
            max_concurrent = throttling.get("maxConcurrentRequests", dispatcher.max_concurrent)
            if not isinstance(max_concurrent, int) or not 1 <= max_concurrent <= 10:
                raise validation_error("throttling.maxConcurrentRequests must be an integer from 1 to 10.")
            try:
                dispatcher.set_target(body["targetUrl"])
            except ValueError as exc:
                raise validation_error(str(exc)) from None
            dispatcher.update_options({"max_concurrent": max_concurrent})
        if not dispatcher.target:
            raise HubSpotError(404, "No webhook settings found for this app.", "OBJECT_NOT_FOUND")
        return json_response(
            {
                "targetUrl": dispatcher.target,
                "throttling": {"maxConcurrentRequests": dispatcher.max_concurrent, "period": "SECONDLY"},
                "createdAt": _iso(dispatcher.settings_created_at or time.time()),
                "updatedAt": _iso(dispatcher.settings_updated_at or time.time()),
            }
        )

    def _validate_new(body: Any) -> dict:
        if not isinstance(body, dict):
            raise validation_error("The body must be a JSON object with eventType.")
        event_type = body.get("eventType")
        if event_type not in EVENT_TYPES:
            raise validation_error(
                f"eventType {event_type!r} is not a known event type; one of "
                f"{', '.join(sorted(EVENT_TYPES))}."
            )
        prop = body.get("propertyName")
        if event_type.endswith(".propertyChange") and not prop:
            raise validation_error(f"propertyName is required for {event_type} subscriptions.")
        if not event_type.endswith(".propertyChange") and prop:
            raise validation_error(
                f"propertyName is only allowed on propertyChange subscriptions, not {event_type}."
            )
        active = body.get("active", False)
        if not isinstance(active, bool):
            raise validation_error("active must be true or false.")
        return {"eventType": event_type, "propertyName": prop, "active": active}

    async def subscriptions(request: Request) -> Response:
        _check_developer_key(request, dispatcher)
        if request.method == "GET":
            with dispatcher._lock:
                subs = [_subscription_view(s) for s in dispatcher.subscriptions.values()]
            return json_response({"results": subs})
        fields = _validate_new(await _json_body(request))
        now = _iso(time.time())
        with dispatcher._lock:
            for existing in dispatcher.subscriptions.values():
                if (existing["eventType"], existing.get("propertyName")) == (
                    fields["eventType"],
                    fields["propertyName"],
                ):
                    raise HubSpotError(
                        409,
                        f"A subscription for {fields['eventType']} "
                        f"{fields['propertyName'] or ''} already exists (id {existing['id']}).".replace(
                            "  ", " "
                        ),
                        "CONFLICT",
                    )
            sub = {"id": next(dispatcher._subscription_ids), **fields, "createdAt": now, "updatedAt": now}
            dispatcher.subscriptions[sub["id"]] = sub
        return json_response(_subscription_view(sub), 201)

    def _find(sub_id: str) -> dict:
        try:
            key = int(sub_id)
        except ValueError:
            raise not_found("subscription", sub_id) from None
        sub = dispatcher.subscriptions.get(key)
        if sub is None:
            raise not_found("subscription", sub_id)
        return sub

    async def subscription(request: Request) -> Response:
        _check_developer_key(request, dispatcher)
        sub = _find(request.path_params["subscriptionId"])
        if request.method == "DELETE":
            with dispatcher._lock:
                dispatcher.subscriptions.pop(sub["id"], None)
            return Response(status_code=204)
        if request.method == "PATCH":
            body = await _json_body(request)
            if not isinstance(body, dict) or not isinstance(body.get("active"), bool):
                raise validation_error('PATCH takes {"active": true|false}.')
            with dispatcher._lock:
                sub["active"] = body["active"]
                sub["updatedAt"] = _iso(time.time())
        return json_response(_subscription_view(sub))

    async def batch_update(request: Request) -> Response:
        _check_developer_key(request, dispatcher)
        body = await _json_body(request)
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or not inputs:
            raise validation_error('inputs is required: a list of {"id", "active"}.')
        started = _iso(time.time())
        results, missing = [], []
        with dispatcher._lock:
            for item in inputs:
                if not isinstance(item, dict) or not isinstance(item.get("active"), bool):
                    raise validation_error("each input needs an id and active (true|false).")
                try:
                    sub = dispatcher.subscriptions.get(int(item.get("id")))
                except (TypeError, ValueError):
                    sub = None
                if sub is None:
                    missing.append(str(item.get("id")))
                    continue
                sub["active"] = item["active"]
                sub["updatedAt"] = _iso(time.time())
                results.append(_subscription_view(sub))
        answer: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": started,
            "completedAt": _iso(time.time()),
        }
        if missing:
            answer["numErrors"] = 1
            answer["errors"] = [
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": "Could not find some subscriptions.",
                    "context": {"ids": missing},
                }
            ]
            return json_response(answer, 207)
        return json_response(answer)

    base = "/webhooks/v3/{appId}"
    return [
        Route(f"{base}/settings", settings, methods=["GET", "PUT", "DELETE"]),
        Route(f"{base}/subscriptions", subscriptions, methods=["GET", "POST"]),
        Route(f"{base}/subscriptions/batch/update", batch_update, methods=["POST"]),
        Route(f"{base}/subscriptions/{{subscriptionId}}", subscription, methods=["GET", "PATCH", "DELETE"]),
    ]
