"""The sandbox admin API under `/_sandbox/` (no authentication, localhost only).

- `GET /_sandbox/ping` -> `{"ok": true}` (readiness).
- `GET /_sandbox/stats` -> `{"objects": {type: {"total", "archived"}}, "requests": <platform stats>, "config": {...}}`.
- `GET /_sandbox/truth/{objectType}` -> `{"objectType", "total", "archived", "results": [{"id","updatedAt","archived"}]}`:
  every existing record (live and archived; GDPR-deleted ones are gone), ascending by id.
- `POST /_sandbox/stats/reset` -> resets the request statistics.
- `POST /_sandbox/mutate` -> see `mutations.py`.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hubspot_assets.sandbox.crm import read_json
from hubspot_assets.sandbox.errors import json_response
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
        return json_response(body)

    def truth(request: Request) -> Response:
        object_type = store.resolve_type(request.path_params["objectType"])
        results = store.truth(object_type)
        archived = sum(1 for r in results if r["archived"])
        return json_response({"objectType": object_type, "total": len(results) - archived, "archived": archived,
                              "results": results})

    def reset(request: Request) -> Response:
        if platform is not None and hasattr(platform, "reset_stats"):
            platform.reset_stats()
        return json_response({"reset": True})

    async def mutate(request: Request) -> Response:
        body = await read_json(request)
        return json_response(await run_in_threadpool(mutator.apply, body))

    return [
        Route("/_sandbox/mutate", mutate, methods=["POST"]),
        Route("/_sandbox/ping", ping, methods=["GET"]),
        Route("/_sandbox/stats", stats, methods=["GET"]),
        Route("/_sandbox/stats/reset", reset, methods=["POST"]),
        Route("/_sandbox/truth/{objectType}", truth, methods=["GET"]),
    ]
