"""Owners: the users and queues records are assigned to (`hubspot_owner_id` on a record is an owner `id`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hubspot_assets.hubspot.area import ApiArea
from hubspot_assets.hubspot.models import Owner
from hubspot_assets.hubspot.responses import flag, iter_pages, parse_model

OWNERS_PAGE = 100


class OwnersApi(ApiArea):
    def owners(self, archived: bool = False, *, page_size: int = OWNERS_PAGE) -> Iterator[dict[str, Any]]:
        """Every owner as HubSpot returns it (active ones, or only archived ones with `archived=True`), paged
        lazily, at most 100 a page (`GET /crm/v3/owners`). Each is checked against the `Owner` model; use
        `Owner.model_validate` for attribute access."""
        path, endpoint = self.paths.owners()
        params = [("limit", str(max(1, min(page_size, OWNERS_PAGE)))), ("archived", flag(archived))]
        for page in iter_pages(self.transport, path, endpoint, params):
            for item in page:
                parse_model(Owner, item, None, "GET", endpoint)
                yield item
