"""The webhook receiver: an ASGI app (Starlette) that turns HubSpot's deliveries into queued events.

`POST <path>` (default `/webhooks/hubspot`), in this order, each step refusing what fails it:
1. the body fits `max_body_bytes` (else 413), read in chunks so an endless body is cut off early;
2. a signature made with one of the app's secrets (signatures.py; else 401);
3. a JSON list of HubSpot events (events.py; else 400);
4. stored in the queue (else 503, so HubSpot retries later), and only then 204. Concurrent deliveries are
   committed together by one writer thread (writer.py), in arrival order.
Signature refusals are also counted by `bad_signatures` (alerts.py), which posts an alert past a burst, from a
thread of its own: the answer never waits for it.
A refusal tells the caller its status and nothing else; the reason goes to the log and to
`hubspot_webhook_requests_rejected{reason}`. `GET /healthz` answers 200 while the queue answers, 503 otherwise.
`GET /metrics` serves metrics.py.

The URL HubSpot signed is the one it posted to. Behind a reverse proxy the receiver sees another host (and
perhaps scheme), so `public_url` (`HUBSPOT_WEBHOOK_PUBLIC_URL`) replaces the scheme and host the request names;
the path and query stay as received.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hubspot_assets.webhooks.alerts import Alerter, BadSignatureCounter
from hubspot_assets.webhooks.events import MalformedBatch, UnknownEvent, parse_batch
from hubspot_assets.webhooks.metrics import CONTENT_TYPE, ReceiverMetrics
from hubspot_assets.webhooks.queue import Clock, WebhookQueue
from hubspot_assets.webhooks.signatures import SignatureRejected, verify
from hubspot_assets.webhooks.writer import QueueWriter

if TYPE_CHECKING:
    from hubspot_assets.settings import Settings

logger = logging.getLogger(__name__)
DEFAULT_PATH = "/webhooks/hubspot"


class Rejected(Exception):
    def __init__(self, status: int, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.reason = reason


class Receiver:
    """The `POST` handler (see the module docstring)."""

    def __init__(self, queue: WebhookQueue, secrets: Sequence[str], metrics: ReceiverMetrics, *,
                 public_url: str | None, max_body_bytes: int, clock: Clock,
                 bad_signatures: BadSignatureCounter | None = None) -> None:
        self.writer = QueueWriter(queue)
        self.bad_signatures = bad_signatures
        self.secrets = list(secrets)
        self.metrics = metrics
        self.public_url = public_url.rstrip("/") if public_url else None
        self.max_body_bytes = max_body_bytes
        self.clock = clock

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        try:
            await self.accept(request)
            status = 204
        except Rejected as rejection:
            status = rejection.status
            self.metrics.rejected.labels(rejection.reason).inc()
            client = request.client.host if request.client else "?"
            logger.warning("webhook delivery from %s refused with %d (%s): %s", client, status, rejection.reason,
                           rejection)
        self.metrics.answer_seconds.labels(str(status)).observe(time.perf_counter() - started)
        return Response(status_code=status)

    async def accept(self, request: Request) -> None:
        body = await self.read_body(request)
        try:
            verify(self.secrets, request.method, self.signed_url(request), body, request.headers,
                   int(self.clock() * 1000))
        except SignatureRejected as error:
            if self.bad_signatures is not None:
                self.bad_signatures.record(error.reason)
            raise Rejected(401, error.reason, str(error)) from None
        try:
            events = parse_batch(orjson.loads(body))
        except orjson.JSONDecodeError:
            raise Rejected(400, "malformed_body", "the body is not JSON") from None
        except MalformedBatch as error:
            raise Rejected(400, "malformed_body", str(error)) from None
        try:
            stored = await self.writer.store(events)
        except Exception as error:
            # Not acknowledged, so HubSpot keeps the batch and retries: nothing is lost while the store is down.
            raise Rejected(503, "queue_unavailable", f"{type(error).__name__}: {error}") from None
        self.count(events, stored)

    async def read_body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise Rejected(413, "body_too_large", f"Content-Length {declared} > {self.max_body_bytes}")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body_bytes:
                raise Rejected(413, "body_too_large", f"body passed {self.max_body_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def signed_url(self, request: Request) -> str:
        """The full URL as HubSpot posted to it: the public base (or the request's scheme and Host), then the
        path exactly as sent (escapes kept) and the query."""
        path = request.scope.get("raw_path") or request.url.path.encode()
        query = request.scope.get("query_string") or b""
        tail = path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
        base = self.public_url or f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"
        return base + tail

    def count(self, events: Sequence, stored: int) -> None:
        for event in events:
            self.metrics.received.labels(event.subscription_type).inc()
            if isinstance(event, UnknownEvent):
                self.metrics.unknown.labels(event.subscription_type).inc()
        self.metrics.duplicates.inc(len(events) - stored)


def create_app(queue: WebhookQueue, secrets: Sequence[str], *, path: str = DEFAULT_PATH,
               public_url: str | None = None, max_body_bytes: int = 1_048_576,
               clock: Clock = time.time, bad_signatures: BadSignatureCounter | None = None) -> Starlette:
    """The receiver app over `queue` (the caller opens and closes it). `secrets`: the client secret first, then
    any others accepted during a rotation; with none, every delivery is refused (401) and the log says why.
    `bad_signatures`: counts signature refusals and alerts on a burst (none: no such alert)."""
    metrics = ReceiverMetrics(queue)
    receiver = Receiver(queue, secrets, metrics, public_url=public_url, max_body_bytes=max_body_bytes, clock=clock,
                        bad_signatures=bad_signatures)
    if not secrets:
        logger.error("no webhook secret: set HUBSPOT_CLIENT_SECRET; every delivery will be refused")

    async def healthz(request: Request) -> Response:
        try:
            depth = await run_in_threadpool(queue.depth)
        except Exception as error:
            logger.warning("webhook queue unreadable for /healthz: %s", type(error).__name__)
            return JSONResponse({"status": "queue unavailable"}, status_code=503)
        return JSONResponse({"status": "ok", "queue": depth})

    async def metrics_page(request: Request) -> Response:
        return Response(await run_in_threadpool(metrics.render), media_type=CONTENT_TYPE)

    return Starlette(routes=[
        Route(path, receiver.handle, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
    ])


def create_app_from_settings(settings: Settings, queue: WebhookQueue, clock: Clock = time.time) -> Starlette:
    """The receiver as the `HUBSPOT_WEBHOOK_*` settings describe it, alerting on bursts of bad signatures as the
    `HUBSPOT_ALERT_*` and `HUBSPOT_BAD_SIGNATURE_ALERT_*` settings say."""
    bad_signatures = BadSignatureCounter.from_settings(settings, Alerter.from_settings(settings, queue, clock=clock))
    return create_app(queue, settings.webhook_signing_secrets(), path=settings.webhook_path,
                      public_url=settings.webhook_public_url, max_body_bytes=settings.webhook_max_body_bytes,
                      clock=clock, bad_signatures=bad_signatures)
