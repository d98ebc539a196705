"""Account API usage: how much of the daily quota private apps have spent today."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hubspot_assets.hubspot.area import ApiArea
from hubspot_assets.hubspot.responses import malformed, results_of


class UsageApi(ApiArea):
    def api_usage(self) -> list[dict[str, Any]]:
        """The account's daily API usage entries (`name`, `usageLimit`, `currentUsage`, `collectedAt`,
        `resetsAt`, ...) (`GET /account-info/v3/api-usage/daily/private-apps`)."""
        path, endpoint = self.paths.api_usage()
        response = self.transport.request("GET", path, endpoint=endpoint)
        out: list[dict[str, Any]] = []
        for item in results_of(response, "GET", endpoint):
            if not isinstance(item, Mapping):
                raise malformed("GET", endpoint, "each usage entry to be an object", response)
            out.append(dict(item))
        return out
