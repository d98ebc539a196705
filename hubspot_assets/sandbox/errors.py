"""HubSpot-shaped error answers for the sandbox.

Any sandbox code raises `HubSpotError`; the app's exception handler turns it into HubSpot's JSON error body
(`status`, `message`, `correlationId`, `category`, optional `subCategory`, `context`, `errors`, ...).
Unknown routes answer an HTML 404 page, as HubSpot does.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response


def correlation_id(request: Request | None = None) -> str:
    """The request's correlation id (set by the platform middleware), or a fresh one."""
    if request is not None:
        value = request.scope.get("hubspot_correlation_id")
        if value:
            return str(value)
    return str(uuid.uuid4())


class HubSpotError(Exception):
    """An error answer: HTTP status plus HubSpot's category, message and optional extras."""

    def __init__(
        self,
        status: int,
        message: str,
        category: str = "VALIDATION_ERROR",
        *,
        sub_category: str | None = None,
        context: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.category = category
        self.sub_category = sub_category
        self.context = context
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self, corr_id: str) -> dict[str, Any]:
        body: dict[str, Any] = {"status": "error", "message": self.message, "correlationId": corr_id}
        if self.category:
            body["category"] = self.category
        if self.sub_category:
            body["subCategory"] = self.sub_category
        if self.context is not None:
            body["context"] = self.context
        body.update(self.extra)
        return body


def validation_error(message: str, **kwargs: Any) -> HubSpotError:
    return HubSpotError(400, message, "VALIDATION_ERROR", **kwargs)


def not_found(object_label: str, object_id: str) -> HubSpotError:
    return HubSpotError(
        404,
        f"resource not found: {object_label} {object_id} does not exist",
        "OBJECT_NOT_FOUND",
        context={"id": [str(object_id)]},
    )


def json_response(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer serialized with orjson (fast enough for full-width pages)."""
    return Response(orjson.dumps(content), status_code=status, headers=headers, media_type="application/json")


async def hubspot_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HubSpotError)
    return json_response(exc.body(correlation_id(request)), exc.status, exc.headers)


NOT_FOUND_PAGE = (
    "<!DOCTYPE html><html><head><title>404 Not Found</title></head>"
    "<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>"
)


async def html_not_found_handler(request: Request, exc: Exception) -> Response:
    return HTMLResponse(NOT_FOUND_PAGE, status_code=404)


async def method_not_allowed_handler(request: Request, exc: Exception) -> Response:
    """405 with a HubSpot-style JSON body and an `Allow` header listing every method the path takes."""
    allowed: set[str] = set()
    for route in getattr(request.app, "routes", ()):
        regex, methods = getattr(route, "path_regex", None), getattr(route, "methods", None)
        if regex is not None and methods and regex.match(request.url.path):
            allowed |= set(methods)
    allow = ", ".join(sorted(allowed - {"HEAD"}))
    body = {"status": "error", "correlationId": correlation_id(request), "category": "METHOD_NOT_ALLOWED",
            "message": f"HTTP 405 Method Not Allowed: {request.method} is not supported here"
                       + (f"; use {allow}" if allow else "")}
    return json_response(body, 405, {"Allow": allow} if allow else None)

