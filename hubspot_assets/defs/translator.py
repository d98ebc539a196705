"""How a dlt resource of the HubSpot source becomes an asset: key `hubspot_raw/<table>`, group by area, description,
kinds, the table name, the freshness policy; no upstream (phantom) assets."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData

from hubspot_assets.sources.descriptions import table_description
from hubspot_assets.sources.settings import CUSTOM_OBJECTS_RESOURCE, DATASET_NAME

GROUP_CRM = "hubspot_crm"
GROUP_METADATA = "hubspot_metadata"
GROUP_CONVERSATIONS = "hubspot_conversations"

_METADATA = {"properties", "property_options", "owners", "pipelines", "pipeline_stages"}
_CONVERSATIONS = {"inboxes", "channels", "channel_accounts", "threads", "messages", "message_participants"}

TABLE_NAME = "dagster/table_name"


def group_of(resource_name: str) -> str:
    if resource_name in _METADATA:
        return GROUP_METADATA
    if resource_name in _CONVERSATIONS:
        return GROUP_CONVERSATIONS
    return GROUP_CRM


@dataclass
class HubSpotTranslator(DagsterDltTranslator):
    """dagster-dlt's translator with this project's keys, groups and descriptions; `freshness_policy` goes on every
    asset. Only the table name is kept of dagster-dlt's spec metadata."""

    freshness_policy: dg.FreshnessPolicy | None = None

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        spec = super().get_asset_spec(data)
        name = data.resource.name
        # The catch-all writes no table of its own; every other resource writes hubspot_raw.<its name>.
        metadata = {} if name == CUSTOM_OBJECTS_RESOURCE else {TABLE_NAME: f"{DATASET_NAME}.{name}"}
        return spec.replace_attributes(
            key=dg.AssetKey([DATASET_NAME, name]),
            deps=[],
            group_name=group_of(name),
            description=table_description(name),
            kinds={"hubspot", "dlt", "duckdb"},
            metadata=metadata,
            freshness_policy=self.freshness_policy,
        ).merge_attributes(tags={"hubspot/area": group_of(name).removeprefix("hubspot_")})
