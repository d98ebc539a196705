"""Pipelines and their stages (deals and tickets; some portals add pipelines for other types)."""

from __future__ import annotations

from typing import Any

from hubspot_assets.hubspot.models import Pipeline
from hubspot_assets.hubspot.paths import ApiPaths
from hubspot_assets.hubspot.responses import parse_model, results_of
from hubspot_assets.hubspot.transport import Transport


class PipelinesApi:
    def __init__(self, transport: Transport, paths: ApiPaths) -> None:
        self.transport = transport
        self.paths = paths

    def pipelines(self, object_type: str) -> list[dict[str, Any]]:
        """Every pipeline of a type with its stages, as HubSpot returns them (ids as strings). Each is checked
        against the `Pipeline` model; `Pipeline.model_validate(item)` gives attribute access."""
        path, endpoint = self.paths.pipelines(object_type)
        response = self.transport.request("GET", path, endpoint=endpoint)
        out: list[dict[str, Any]] = []
        for item in results_of(response, "GET", endpoint):
            parse_model(Pipeline, item, response, "GET", endpoint)
            out.append(item)
        return out

    def pipeline_models(self, object_type: str) -> list[Pipeline]:
        """The same pipelines as typed models (stage probability as a float, metadata as a dict)."""
        return [Pipeline.model_validate(item) for item in self.pipelines(object_type)]
