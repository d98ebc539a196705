"""GET URLs that stay under HubSpot's unpublished length limit (414 URI Too Long).

HubSpot answers 414 somewhere between ~8,000 and ~16,000 characters, which one `properties=` list of a wide portal
(hundreds of custom properties) reaches. `UrlPlanner` measures a URL as `requests` will send it (same
form-encoding) and packs property names into as few query strings as fit under `max_length`. How the CRM reads
use such a plan (split pages, or ids then batch read) is told in `crm.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from hubspot_assets.hubspot.responses import Params

MAX_URL_LENGTH = 7_000
"""Longest GET URL this client sends (HubSpot's 414s start somewhere above ~8,000 characters)."""


@dataclass(frozen=True)
class UrlPlanner:
    """Measures and plans GET URLs on one host (`base_url`) within `max_length` characters."""

    base_url: str
    max_length: int = MAX_URL_LENGTH

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    def url_length(self, path: str, params: Sequence[tuple[str, str]]) -> int:
        """Length of the URL `requests` will send for `path` and `params` (same form-encoding)."""
        query = urlencode(list(params))
        return len(self.base_url) + len(path) + (1 + len(query) if query else 0)

    def plan_property_requests(
        self,
        path: str,
        base_params: Sequence[tuple[str, str]],
        properties: Sequence[str],
        history: Sequence[str] = (),
        *,
        first_extra: Sequence[tuple[str, str]] = (),
    ) -> list[Params]:
        """Query strings that together ask for every property and history property, each URL within the limit.

        Every query carries `base_params`; `first_extra` (e.g. inline associations) goes on the first only. One
        query when all fits. Names keep their order, each in exactly one query.
        """
        items = [("properties", p) for p in properties] + [("propertiesWithHistory", h) for h in history]
        queries: list[Params] = []
        current: dict[str, list[str]] = {}
        extra = list(first_extra)
        current_len = self.url_length(path, [*base_params, *extra])
        for key, name in items:
            encoded = len(urlencode([(key, name)]))  # "key=name"
            # A new parameter costs "&key=name"; one more name in a parameter costs "%2Cname".
            cost = (encoded + 1) if key not in current else (encoded - len(key) - 1 + 3)
            if current and current_len + cost > self.max_length:
                queries.append([*base_params, *extra, *((k, ",".join(v)) for k, v in current.items())])
                extra = []
                current = {}
                current_len = self.url_length(path, base_params)
                cost = encoded + 1
            current.setdefault(key, []).append(name)
            current_len += cost
        queries.append([*base_params, *extra, *((k, ",".join(v)) for k, v in current.items())])
        return queries
