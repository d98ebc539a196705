"""Pipelines and their stages (deals and tickets; some portals add pipelines for other types)."""

from __future__ import annotations

from typing import Any

from hubspot_assets.hubspot.area import ApiArea
from hubspot_assets.hubspot.models import Pipeline
from hubspot_assets.hubspot.responses import parse_model, results_of


class PipelinesApi(ApiArea):
    def pipelines(self, object_type: str) -> list[dict[str, Any]]:
        """Every pipeline of a type with its stages, as HubSpot returns them, ids as strings
        (`GET /crm/v3/pipelines/{objectType}`). Each is checked
        against the `Pipeline` model; `Pipeline.model_validate(item)` gives attribute access."""
        path, endpoint = self.paths.pipelines(object_type)
        response = self.transport.request("GET", path, endpoint=endpoint)
        out: list[dict[str, Any]] = []
        for item in results_of(response, "GET", endpoint):
            parse_model(Pipeline, item, response, "GET", endpoint)
            out.append(item)
        return out
