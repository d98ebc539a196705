"""`HubSpotClient`: the whole HubSpot API surface this project uses, behind one object.

    client = HubSpotClient.from_settings(settings)
    for page in client.list_records("contacts", [p.name for p in client.properties("contacts")]):
        ...

The client is its areas put together, each a class in its own module that documents its endpoints:
records, batch, merge and GDPR delete (`crm.py`), search (`search.py`), associations (`associations.py`),
properties, schemas and object types (`properties.py`), owners, pipelines, conversations, call transcripts,
webhook settings and subscriptions (`webhooks_api.py`) and API usage (`usage.py`).

One client per process is enough (it is thread-safe through its transport, which pools connections and shares
the rate budget with every other process using the same credentials). Record-shaped data comes back as plain
dicts in HubSpot's shape (`id`, `properties`, `createdAt`, `updatedAt`, `archived`, ...); metadata as pydantic
models from `models.py`. Every call may raise the typed errors of `errors.py`; partial batch failures (207)
are returned in `BatchResult`, not raised. `ClientSettings.api_version` picks the legacy (v3/v4) or dated (2026-03)
paths.
"""

from __future__ import annotations

from hubspot_assets.hubspot.associations import AssociationsApi
from hubspot_assets.hubspot.conversations import ConversationsApi
from hubspot_assets.hubspot.crm import CrmApi
from hubspot_assets.hubspot.owners import OwnersApi
from hubspot_assets.hubspot.paths import ApiPaths
from hubspot_assets.hubspot.pipelines import PipelinesApi
from hubspot_assets.hubspot.properties import PropertiesApi
from hubspot_assets.hubspot.search import SEARCH_CAP, SearchApi
from hubspot_assets.hubspot.settings import ClientSettings
from hubspot_assets.hubspot.transcripts import TranscriptsApi
from hubspot_assets.hubspot.transport import Transport
from hubspot_assets.hubspot.url_plan import MAX_URL_LENGTH, UrlPlanner
from hubspot_assets.hubspot.usage import UsageApi
from hubspot_assets.hubspot.webhooks_api import WebhooksApi


class HubSpotClient(
    CrmApi,
    SearchApi,
    AssociationsApi,
    PropertiesApi,
    OwnersApi,
    PipelinesApi,
    ConversationsApi,
    TranscriptsApi,
    WebhooksApi,
    UsageApi,
):
    """The HubSpot API for one account. Build with `HubSpotClient.from_settings(settings)`, or pass a ready
    `transport` (tests, shared transports). An app's `Settings` may be passed: only its client fields are kept.
    `max_url_length` caps GET URLs (see `crm.py` on 414 avoidance); `search_cap` is HubSpot's 10,000-result
    search cap (a lower value only makes searches restart sooner)."""

    def __init__(
        self,
        settings: ClientSettings | None = None,
        *,
        transport: Transport | None = None,
        max_url_length: int = MAX_URL_LENGTH,
        search_cap: int = SEARCH_CAP,
    ) -> None:
        if settings is None:
            settings = transport.settings if transport is not None else ClientSettings()
        settings = settings.client_settings()
        self.settings = settings
        self.transport = transport if transport is not None else Transport(settings)
        self.paths = ApiPaths(settings.api_version)
        self.url_planner = UrlPlanner(settings.base_url, max_url_length)
        self.search_cap = search_cap

    @classmethod
    def from_settings(cls, settings: ClientSettings) -> HubSpotClient:
        """A client with its own transport (auth, rate limits, retries, breaker) built from the client fields of
        `settings` (an app's `Settings` is narrowed to them)."""
        return cls(settings)

    def close(self) -> None:
        """Close pooled connections."""
        self.transport.close()

    def __enter__(self) -> HubSpotClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HubSpotClient(base_url={self.settings.base_url!r}, api_version={self.paths.family!r})"
