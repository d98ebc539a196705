"""The sandbox ASGI application: every area's routes over one store, behind the platform middleware."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.types import ASGIApp

from hubspot_assets.sandbox.admin import admin_routes
from hubspot_assets.sandbox.config import SandboxConfig
from hubspot_assets.sandbox.conversations import ConversationsService, conversation_routes
from hubspot_assets.sandbox.crm import crm_routes
from hubspot_assets.sandbox.errors import (
    HubSpotError,
    html_not_found_handler,
    hubspot_error_handler,
    method_not_allowed_handler,
)
from hubspot_assets.sandbox.oauth import oauth_routes
from hubspot_assets.sandbox.platform import PlatformMiddleware, PlatformState, platform_admin_routes
from hubspot_assets.sandbox.store import Store
from hubspot_assets.sandbox.transcripts import TranscriptService, transcript_routes
from hubspot_assets.sandbox.usage import usage_routes
from hubspot_assets.sandbox.webhooks import WebhookDispatcher, webhook_routes


def create_app(config: SandboxConfig) -> ASGIApp:
    """Build the sandbox app for `config` (data is generated lazily from its seed and scale)."""
    store = Store(config)
    conversations = ConversationsService(config, store)
    transcripts = TranscriptService(config, store)
    platform = PlatformState(config)
    dispatcher = WebhookDispatcher(config, platform)
    routes = [
        *admin_routes(store, platform, conversations, dispatcher),
        *platform_admin_routes(platform, dispatcher),
        *oauth_routes(platform), *webhook_routes(platform, dispatcher), *usage_routes(platform),
        *crm_routes(store, dispatcher),
        *conversation_routes(conversations), *transcript_routes(transcripts),
    ]
    app = Starlette(routes=routes, exception_handlers={HubSpotError: hubspot_error_handler,
                                                       404: html_not_found_handler,
                                                       405: method_not_allowed_handler})
    app.state.store = store
    app.state.platform = platform
    app.state.dispatcher = dispatcher
    return PlatformMiddleware(app, platform)
