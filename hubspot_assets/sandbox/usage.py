"""Account API usage: `GET /account-info/v3/api-usage/daily/private-apps` (and the 2026-03 path).

Answers HubSpot's shape, `{"results": [{"name": "private-apps-api-calls-daily", "usageLimit", "currentUsage",
"collectedAt", "fetchStatus": "SUCCESS", "resetsAt"}]}`, from the platform's real daily counter for private
apps (the request asking counts too, as on HubSpot). `usageLimit` is 0 when the tier has no daily quota.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hubspot_assets.sandbox.errors import json_response
from hubspot_assets.sandbox.limits import next_utc_midnight

if TYPE_CHECKING:
    from hubspot_assets.sandbox.platform import PlatformState


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def usage_routes(platform: PlatformState) -> list[Route]:
    """The daily private-app API usage endpoint, in the v3 and 2026-03 path families."""

    async def daily_private_apps(request: Request) -> Response:
        quota = platform.limiter.daily_quota("private_app")
        used = platform.limiter.daily_used(platform.hub_id, "private_app")
        return json_response(
            {
                "results": [
                    {
                        "name": "private-apps-api-calls-daily",
                        "usageLimit": quota or 0,
                        "currentUsage": used,
                        "collectedAt": _iso(datetime.now(UTC)),
                        "fetchStatus": "SUCCESS",
                        "resetsAt": _iso(next_utc_midnight()),
                    }
                ]
            }
        )

    return [
        Route(f"/account-info/{version}/api-usage/daily/private-apps", daily_private_apps, methods=["GET"])
        for version in ("v3", "2026-03")
    ]
