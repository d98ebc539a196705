"""Admin routes for the platform layer (no auth; test and operator control of a running sandbox).

- `GET /_sandbox/faults`: current rules, forced faults, active burst, counts injected, grammar help.
  `POST /_sandbox/faults` body (any of): `{"spec": "500:0.05,...", "seed": 7}` replaces the random rules
  (re-seeding the fault RNG); `{"force": {"kind": "500", "count": 3, "arg": null, "path": "/crm/"}}`
  (or a list) makes the next `count` matching requests fail that way; `{"clear": true}` drops everything
  first.
  `DELETE /_sandbox/faults` clears everything.
- `GET|POST /_sandbox/platform`: tier, rate_window_s, daily_limit, search_window_s, latency_ms,
  max_url_length;
  `{"reset_limits": true}` forgets rate-limit windows and daily counts.
- `GET|POST /_sandbox/oauth/config`: `{"token_ttl_s": 2}` for tokens issued from now on;
  `{"expire_all": true}` expires every live access token now.
- `GET|DELETE /_sandbox/webhooks/deliveries` (`?limit=N`): the delivery log (DELETE clears finished entries).
  `GET|PUT|DELETE /_sandbox/webhooks/target` (`{"url": ...}`), `GET|POST /_sandbox/webhooks/config` (delivery
  options: signature_version, backoff_scale, timeout_s, max_concurrent, batch_max, duplicate_rate,
  redeliver_rate), `POST /_sandbox/webhooks/emit` (`{"events": [...]}`: deliver events directly),
  `POST /_sandbox/webhooks/wait` (`{"timeout_s": 5}`: answer once nothing is pending or in flight).
Bad input answers 400 VALIDATION_ERROR naming the problem.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hubspot_assets.sandbox.errors import json_response, validation_error

if TYPE_CHECKING:
    from hubspot_assets.sandbox.platform import PlatformState
    from hubspot_assets.sandbox.webhooks import WebhookDispatcher


async def _body(request: Request) -> dict:
    raw = await request.body()
    try:
        body = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        raise validation_error("The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise validation_error("The body must be a JSON object.")
    return body


def _apply(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except (ValueError, TypeError) as exc:
        raise validation_error(str(exc)) from None


def platform_admin_routes(platform: PlatformState, dispatcher: WebhookDispatcher) -> list[Route]:
    """Routes `/_sandbox/faults`, `/_sandbox/platform`, `/_sandbox/oauth/...`, `/_sandbox/webhooks/...`."""

    async def faults(request: Request) -> Response:
        injector = platform.faults
        if request.method == "DELETE":
            injector.clear()
        elif request.method == "POST":
            body = await _body(request)
            if body.get("clear"):
                injector.clear()
            if "spec" in body:
                _apply(injector.set_spec, str(body["spec"] or ""), body.get("seed"))
            forced = body.get("force")
            for item in [forced] if isinstance(forced, dict) else (forced or []):
                if not isinstance(item, dict) or "kind" not in item:
                    raise validation_error(
                        'force takes {"kind", "count", "arg"?, "path"?} or a list of them.'
                    )
                _apply(
                    lambda i=item: injector.force(
                        str(i["kind"]), int(i.get("count", 1)), i.get("arg"), i.get("path")
                    )
                )
        return json_response(injector.state())

    async def platform_settings(request: Request) -> Response:
        if request.method == "POST":
            return json_response(_apply(platform.update_settings, await _body(request)))
        return json_response(platform.settings())

    async def oauth_config(request: Request) -> Response:
        tokens = platform.oauth
        expired = 0
        if request.method == "POST":
            body = await _body(request)
            unknown = set(body) - {"token_ttl_s", "expire_all"}
            if unknown:
                raise validation_error(
                    f"unknown oauth setting(s) {sorted(unknown)}: use token_ttl_s, expire_all"
                )
            if "token_ttl_s" in body:
                ttl = body["token_ttl_s"]
                if not isinstance(ttl, (int, float)) or ttl <= 0:
                    raise validation_error("token_ttl_s must be a positive number of seconds.")
                tokens.token_ttl_s = ttl
            if body.get("expire_all"):
                expired = tokens.expire_all()
        return json_response(
            {
                "token_ttl_s": tokens.token_ttl_s,
                "live_access_tokens": tokens.live_count(),
                "expired_now": expired,
            }
        )

    async def deliveries(request: Request) -> Response:
        if request.method == "DELETE":
            dispatcher.clear_log()
        limit = request.query_params.get("limit")
        try:
            limit_n = int(limit) if limit is not None else None
        except ValueError:
            raise validation_error(f"limit must be an integer, got {limit!r}") from None
        return json_response(dispatcher.deliveries(limit_n))

    async def target(request: Request) -> Response:
        if request.method == "PUT":
            body = await _body(request)
            _apply(dispatcher.set_target, body.get("url"))
        elif request.method == "DELETE":
            dispatcher.set_target(None)
        return json_response({"url": dispatcher.target})

    async def webhook_config(request: Request) -> Response:
        if request.method == "POST":
            return json_response(_apply(dispatcher.update_options, await _body(request)))
        return json_response(dispatcher.options())

    async def emit(request: Request) -> Response:
        body = await _body(request)
        events = body.get("events")
        if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
            raise validation_error(
                "events must be a list of event objects (with subscriptionType, objectId, ...)."
            )
        return json_response({"queued": dispatcher.emit(events)})

    async def wait(request: Request) -> Response:
        body = await _body(request)
        timeout = float(body.get("timeout_s", 5.0))
        idle = await asyncio.to_thread(dispatcher.wait_idle, min(max(timeout, 0.0), 60.0))
        return json_response({"idle": idle, **dispatcher.deliveries(0)})

    return [
        Route("/_sandbox/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_sandbox/platform", platform_settings, methods=["GET", "POST"]),
        Route("/_sandbox/oauth/config", oauth_config, methods=["GET", "POST"]),
        Route("/_sandbox/webhooks/deliveries", deliveries, methods=["GET", "DELETE"]),
        Route("/_sandbox/webhooks/target", target, methods=["GET", "PUT", "DELETE"]),
        Route("/_sandbox/webhooks/config", webhook_config, methods=["GET", "POST"]),
        Route("/_sandbox/webhooks/emit", emit, methods=["POST"]),
        Route("/_sandbox/webhooks/wait", wait, methods=["POST"]),
    ]
