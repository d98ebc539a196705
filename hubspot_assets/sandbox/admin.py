"""The sandbox admin API under `/_sandbox/` (no authentication, localhost only).

- `GET /_sandbox/ping` -> `{"ok": true}` (readiness).
- `GET /_sandbox/stats` -> `{"objects": {type: {"total", "archived"}}, "requests": <platform stats>, "config": {...},
  "conversations": {"threads": {"total" (live), "archived"}, "messages": {"total" (every message)}}}`.
- `GET /_sandbox/truth/{objectType}` -> `{"objectType", "total", "archived", "results": [{"id","updatedAt","archived"}]}`:
  every existing record (live and archived; GDPR-deleted ones are gone), ascending by id. `total` counts live ones.
- `GET /_sandbox/truth/threads` -> results `{"id", "updatedAt", "latestMessageTimestamp", "archived"}` per thread;
  `GET /_sandbox/truth/messages` -> results `{"id", "threadId", "type", "createdAt", "archived"}` per message
  (archived when its thread is); there `total` counts every message and `archived` those of archived threads.
- `POST /_sandbox/stats/reset` -> resets the request statistics.
- `GET /_sandbox/clock` -> `{"now_ms", "offset_ms"}`: the portal's time (record dates, webhook times, the search
  index lag) and how far it was moved past the real one. `POST /_sandbox/clock {"advance_ms": N}` moves it N ms
  forward (never back), so a test sees the search index catch up at once instead of waiting out the lag.
- `POST /_sandbox/mutate` -> see `mutations.py`.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hubspot_assets.sandbox.crm import read_json
from hubspot_assets.sandbox.errors import json_response, validation_error
from hubspot_assets.sandbox.mutations import Mutator
from hubspot_assets.sandbox.store import Store


def admin_routes(store: Store, platform: Any = None, conversations: Any = None, dispatcher: Any = None) -> list[Route]:
    """Routes of the admin API over the store (platform, conversations and dispatcher may be None)."""
    mutator = Mutator(store, dispatcher, conversations)

    def ping(request: Request) -> Response:
        return json_response({"ok": True})

    def stats(request: Request) -> Response:
        requests = platform.request_stats() if platform is not None and hasattr(platform, "request_stats") else {}
        config = store.config
        body = {
            "objects": store.counts(),
            "requests": requests,
            "config": {"seed": config.seed, "scale": config.scale, "contacts": config.contact_count,
                       "tier": config.tier, "portalId": config.portal_id},
        }
        if conversations is not None and hasattr(conversations, "stats"):
            counts = conversations.stats()
            threads = counts["threads"]
            # Same convention as `objects`: `total` counts live threads, `archived` the others.
            body["conversations"] = {"threads": {"total": threads["total"] - threads["archived"],
                                                 "archived": threads["archived"]},
                                     "messages": counts["messages"]}
        return json_response(body)

    def conversation_truth(kind: str) -> dict:
        body = conversations.truth(kind)
        if kind == "messages":
            # A message counts as archived when its thread is (listing live threads never reaches it).
            archived_threads = {t["id"] for t in conversations.truth("threads")["results"] if t["archived"]}
            for message in body["results"]:
                message["archived"] = message["threadId"] in archived_threads
            body["archived"] = sum(1 for m in body["results"] if m["archived"])
        return body

    def truth(request: Request) -> Response:
        raw = request.path_params["objectType"]
        if raw in ("threads", "messages") and conversations is not None and hasattr(conversations, "truth"):
            return json_response(conversation_truth(raw))
        object_type = store.resolve_type(raw)
        results = store.truth(object_type)
        archived = sum(1 for r in results if r["archived"])
        return json_response({"objectType": object_type, "total": len(results) - archived, "archived": archived,
                              "results": results})

    def reset(request: Request) -> Response:
        if platform is not None and hasattr(platform, "reset_stats"):
            platform.reset_stats()
        return json_response({"reset": True})

    async def clock(request: Request) -> Response:
        if request.method == "GET":
            return json_response(store.clock())
        body = await read_json(request)
        advance = body.get("advance_ms") if isinstance(body, dict) else None
        if not isinstance(body, dict) or set(body) != {"advance_ms"} or type(advance) is not int:
            raise validation_error('The clock takes {"advance_ms": <whole milliseconds, 0 or more>}.')
        try:
            return json_response(store.advance_clock(advance))
        except ValueError as error:
            raise validation_error(str(error)) from None

    async def mutate(request: Request) -> Response:
        body = await read_json(request)
        return json_response(await run_in_threadpool(mutator.apply, body))

    return [
        Route("/_sandbox/clock", clock, methods=["GET", "POST"]),
        Route("/_sandbox/mutate", mutate, methods=["POST"]),
        Route("/_sandbox/ping", ping, methods=["GET"]),
        Route("/_sandbox/stats", stats, methods=["GET"]),
        Route("/_sandbox/stats/reset", reset, methods=["POST"]),
        Route("/_sandbox/truth/{objectType}", truth, methods=["GET"]),
    ]
