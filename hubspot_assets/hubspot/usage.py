"""Account API usage: how much of the daily quota private apps have spent today."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hubspot_assets.hubspot.paths import ApiPaths
from hubspot_assets.hubspot.responses import malformed, results_of
from hubspot_assets.hubspot.transport import Transport


class UsageApi:
    def __init__(self, transport: Transport, paths: ApiPaths) -> None:
        self.transport = transport
        self.paths = paths

    def api_usage(self) -> list[dict[str, Any]]:
        """Daily usage entries (`name`, `usageLimit`, `currentUsage`, `collectedAt`, `resetsAt`, ...)."""
        path, endpoint = self.paths.api_usage()
        response = self.transport.request("GET", path, endpoint=endpoint)
        out: list[dict[str, Any]] = []
        for item in results_of(response, "GET", endpoint):
            if not isinstance(item, Mapping):
                raise malformed("GET", endpoint, "each usage entry to be an object", response)
            out.append(dict(item))
        return out
