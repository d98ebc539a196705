"""Webhook settings and subscriptions of a public app (`/webhooks/v3/{appId}/...`).

These calls authenticate with the app's **developer API key** passed as `?hapikey=`, not with the account's
token (no bearer header is sent). The key is a secret: it never appears in logs or errors (the transport logs
endpoint templates only). Private-app webhooks are configured in HubSpot's UI and have no API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import SecretStr

from hubspot_assets.hubspot.area import ApiArea
from hubspot_assets.hubspot.errors import AuthenticationError
from hubspot_assets.hubspot.logging import register_secret
from hubspot_assets.hubspot.paths import Route
from hubspot_assets.hubspot.responses import body_object, malformed, results_of
from hubspot_assets.hubspot.transport import Budget

DeveloperKey = str | SecretStr


def _hapikey(developer_api_key: DeveloperKey) -> list[tuple[str, str]]:
    value = (
        developer_api_key.get_secret_value()
        if isinstance(developer_api_key, SecretStr)
        else developer_api_key
    )
    register_secret(value)
    if not value:
        raise ValueError(
            "a developer API key is needed for webhook management (HubSpot developer account > Keys)"
        )
    return [("hapikey", value)]


class WebhooksApi(ApiArea):
    """A public app's webhook settings and subscriptions, with the app's developer API key (not the account's
    token). Every call takes the app id and that key."""

    def _webhooks_call(
        self, method: str, route: Route, key: DeveloperKey, body: Any = None, idempotent: bool | None = None
    ) -> Any:
        path, endpoint = route
        try:
            response = self.transport.request(
                method, path, endpoint=endpoint, params=_hapikey(key), json=body, auth=False, budget=Budget.NONE,
                idempotent=idempotent,
            )
        except AuthenticationError as exc:
            # These calls use the developer key, not the account's token: point at the right credential.
            exc.hint = "check the developer API key (HubSpot developer account > Keys) passed for this app"
            raise
        return response, endpoint

    def webhook_settings(self, app_id: int | str, developer_api_key: DeveloperKey) -> dict[str, Any]:
        """The app's target URL and throttling (`{"targetUrl", "throttling": {"maxConcurrentRequests"}, ...}`)
        (`GET /webhooks/v3/{appId}/settings`); `NotFoundError` when none is set."""
        response, endpoint = self._webhooks_call("GET", self.paths.webhook_settings(app_id), developer_api_key)
        return body_object(response, "GET", endpoint)

    def update_webhook_settings(
        self,
        app_id: int | str,
        developer_api_key: DeveloperKey,
        target_url: str,
        *,
        max_concurrent_requests: int = 10,
    ) -> dict[str, Any]:
        """Set where HubSpot POSTs events and how many requests it sends at once (HubSpot's default is 10)
        (`PUT /webhooks/v3/{appId}/settings`)."""
        body = {
            "targetUrl": target_url,
            "throttling": {"maxConcurrentRequests": int(max_concurrent_requests)},
        }
        response, endpoint = self._webhooks_call("PUT", self.paths.webhook_settings(app_id), developer_api_key, body)
        return body_object(response, "PUT", endpoint)

    def delete_webhook_settings(self, app_id: int | str, developer_api_key: DeveloperKey) -> None:
        """Remove the target URL: HubSpot stops delivering (`DELETE /webhooks/v3/{appId}/settings`)."""
        self._webhooks_call("DELETE", self.paths.webhook_settings(app_id), developer_api_key)

    def webhook_subscriptions(
        self, app_id: int | str, developer_api_key: DeveloperKey
    ) -> list[dict[str, Any]]:
        """Every subscription of the app (`id`, `eventType`, `propertyName`?, `active`, `createdAt`, ...)
        (`GET /webhooks/v3/{appId}/subscriptions`)."""
        response, endpoint = self._webhooks_call("GET", self.paths.webhook_subscriptions(app_id), developer_api_key)
        return [_subscription(s, response, "GET", endpoint) for s in results_of(response, "GET", endpoint)]

    def webhook_subscription(
        self, app_id: int | str, developer_api_key: DeveloperKey, subscription_id: int | str
    ) -> dict[str, Any]:
        """One subscription (`GET /webhooks/v3/{appId}/subscriptions/{subscriptionId}`)."""
        response, endpoint = self._webhooks_call(
            "GET", self.paths.webhook_subscriptions(app_id, subscription_id), developer_api_key
        )
        return _subscription(body_object(response, "GET", endpoint), response, "GET", endpoint)

    def create_webhook_subscription(
        self,
        app_id: int | str,
        developer_api_key: DeveloperKey,
        event_type: str,
        *,
        property_name: str | None = None,
        active: bool = True,
    ) -> dict[str, Any]:
        """Subscribe to an event type (`POST /webhooks/v3/{appId}/subscriptions`); `contact.propertyChange` needs
        `property_name`. `ConflictError` when the app already has that subscription."""
        body: dict[str, Any] = {"eventType": event_type, "active": bool(active)}
        if property_name:
            body["propertyName"] = property_name
        response, endpoint = self._webhooks_call(
            "POST", self.paths.webhook_subscriptions(app_id), developer_api_key, body
        )
        return _subscription(body_object(response, "POST", endpoint), response, "POST", endpoint)

    def update_webhook_subscription(
        self, app_id: int | str, developer_api_key: DeveloperKey, subscription_id: int | str, *, active: bool
    ) -> dict[str, Any]:
        """Pause or resume one subscription (`PATCH .../subscriptions/{subscriptionId}`)."""
        route = self.paths.webhook_subscriptions(app_id, subscription_id)
        response, endpoint = self._webhooks_call("PATCH", route, developer_api_key, {"active": bool(active)})
        return _subscription(body_object(response, "PATCH", endpoint), response, "PATCH", endpoint)

    def delete_webhook_subscription(
        self, app_id: int | str, developer_api_key: DeveloperKey, subscription_id: int | str
    ) -> None:
        """Remove one subscription (`DELETE .../subscriptions/{subscriptionId}`)."""
        self._webhooks_call("DELETE", self.paths.webhook_subscriptions(app_id, subscription_id), developer_api_key)

    def batch_update_webhook_subscriptions(
        self, app_id: int | str, developer_api_key: DeveloperKey, updates: Sequence[tuple[int | str, bool]]
    ) -> list[dict[str, Any]]:
        """Set `active` on many subscriptions at once (`POST .../subscriptions/batch/update`): `updates` is
        `[(subscription_id, active), ...]`."""
        body = {"inputs": [{"id": int(i) if str(i).isdigit() else i, "active": bool(a)} for i, a in updates]}
        route = self.paths.webhook_subscriptions_batch_update(app_id)
        response, endpoint = self._webhooks_call("POST", route, developer_api_key, body, idempotent=True)
        return [_subscription(s, response, "POST", endpoint) for s in results_of(response, "POST", endpoint)]


def _subscription(item: Any, response: Any, method: str, endpoint: str) -> dict[str, Any]:
    if not isinstance(item, Mapping) or item.get("id") in (None, "") or not item.get("eventType"):
        raise malformed(method, endpoint, 'a subscription object with "id" and "eventType"', response)
    return dict(item)
