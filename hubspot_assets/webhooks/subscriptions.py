"""A public app's webhook target URL and subscriptions, brought to what the receiver handles (plan, then apply).

HubSpot keeps, per app, one target URL (`/webhooks/v3/{appId}/settings`) and a list of subscriptions
(`/webhooks/v3/{appId}/subscriptions`: `eventType`, `propertyName` on propertyChange, `active`), managed with the
developer API key of the account that owns the app. Private apps have no such API: their webhooks are set in
HubSpot's UI.

- `wanted_subscriptions(events, properties)`: every subscription the receiver wants. HubSpot subscribes
  `*.propertyChange` one property at a time (there is no "every property"), so those come from
  `HUBSPOT_WEBHOOK_PROPERTIES` or `DEFAULT_PROPERTIES`; changes to other properties still reach the warehouse
  with the incremental schedule, and a refresh re-reads the whole record whichever property woke it.
- `plan_subscribe` / `plan_unsubscribe`: the difference between that and what HubSpot has (nothing, when they
  agree); `apply_subscribe` / `apply_unsubscribe` write only that difference. Paused subscriptions that are wanted
  are re-activated in one batch update, never created twice. Subscriptions the receiver does not want are left
  as they are.
- Errors a user can act on are `SubscriptionError`s naming the setting to fix; the developer key never appears
  in them (nor in the client's logs).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from hubspot_assets.hubspot.client import HubSpotClient
from hubspot_assets.hubspot.errors import AuthenticationError, HubSpotError, NotFoundError
from hubspot_assets.settings import Settings

PROPERTY_CHANGE = "propertyChange"
# What HubSpot's subscription API offers for the types the receiver handles (webhooks/events.py).
CRM_EVENTS = ("creation", "deletion", PROPERTY_CHANGE, "restore", "merge", "associationChange")
CRM_PREFIXES = ("contact", "company", "deal", "ticket", "product", "line_item")
CONVERSATION_EVENTS = ("creation", "deletion", "privacyDeletion", PROPERTY_CHANGE, "newMessage")
EVENT_TYPES = (
    *(f"{prefix}.{event}" for prefix in CRM_PREFIXES for event in CRM_EVENTS),
    "contact.privacyDeletion",
    *(f"conversation.{event}" for event in CONVERSATION_EVENTS),
)
# `HUBSPOT_WEBHOOK_PROPERTIES` names object types as the rest of the settings do (contacts, line_items, ...).
PREFIX_OF_OBJECT_TYPE = {
    "contacts": "contact",
    "companies": "company",
    "deals": "deal",
    "tickets": "ticket",
    "products": "product",
    "line_items": "line_item",
    "conversations": "conversation",
}
# The properties whose changes an analyst most wants minutes fresh: names, owners, stages and amounts.
# Conversations have three properties HubSpot sends propertyChange for.
DEFAULT_PROPERTIES: dict[str, tuple[str, ...]] = {
    "contacts": ("email", "firstname", "lastname", "lifecyclestage", "hubspot_owner_id"),
    "companies": ("name", "domain", "lifecyclestage", "hubspot_owner_id"),
    "deals": ("dealname", "amount", "closedate", "pipeline", "dealstage", "hubspot_owner_id"),
    "tickets": ("subject", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority", "hubspot_owner_id"),
    "products": ("name", "price"),
    "line_items": ("name", "quantity", "price", "amount"),
    "conversations": ("assignedTo", "status", "isArchived"),
}
DEFAULT_MAX_CONCURRENT_REQUESTS = 10  # HubSpot's own default


class SubscriptionError(Exception):
    """Subscriptions cannot be managed as configured; the message says which setting to change."""


@dataclass(frozen=True, order=True)
class Subscription:
    """One subscription as HubSpot identifies it: an event type, and a property for propertyChange."""

    event_type: str
    property_name: str | None = None

    @classmethod
    def of(cls, hubspot: dict[str, Any]) -> Subscription:
        return cls(hubspot["eventType"], hubspot.get("propertyName") or None)

    def __str__(self) -> str:
        return f"{self.event_type} {self.property_name}" if self.property_name else self.event_type


# -- what the receiver wants ---------------------------------------------------------------------------------------


def select_event_types(events: str | None) -> list[str]:
    """The event types `--events` names (comma-separated; `contact.*` or `*.deletion` patterns allowed), in
    `EVENT_TYPES` order; every type when `events` is empty."""
    if not events or not events.strip():
        return list(EVENT_TYPES)
    patterns = [pattern.strip() for pattern in events.split(",") if pattern.strip()]
    unknown = [p for p in patterns if not fnmatch.filter(EVENT_TYPES, p)]
    if unknown:
        raise SubscriptionError(
            f"--events names no event type the receiver handles: {', '.join(unknown)}; "
            f"choose from {', '.join(EVENT_TYPES)} (patterns such as contact.* work)"
        )
    return [t for t in EVENT_TYPES if any(fnmatch.fnmatchcase(t, p) for p in patterns)]


def property_names(properties: str) -> dict[str, tuple[str, ...]]:
    """`HUBSPOT_WEBHOOK_PROPERTIES` ('contacts:email,lifecyclestage;deals:dealstage') by event prefix
    (`contact`, ...); `DEFAULT_PROPERTIES` when empty. A type it does not name gets no propertyChange."""
    if not properties.strip():
        return {PREFIX_OF_OBJECT_TYPE[t]: names for t, names in DEFAULT_PROPERTIES.items()}
    chosen: dict[str, tuple[str, ...]] = {}
    for part in filter(None, (p.strip() for p in properties.split(";"))):
        object_type, _, names = part.partition(":")
        prefix = PREFIX_OF_OBJECT_TYPE.get(object_type.strip().lower())
        listed = tuple(dict.fromkeys(n.strip() for n in names.split(",") if n.strip()))
        if prefix is None or not listed:
            raise SubscriptionError(
                f"HUBSPOT_WEBHOOK_PROPERTIES: {part!r} is not <object type>:<property>,...; object types are "
                f"{', '.join(PREFIX_OF_OBJECT_TYPE)} (e.g. contacts:email,lifecyclestage;deals:dealstage)"
            )
        chosen[prefix] = tuple(dict.fromkeys((*chosen.get(prefix, ()), *listed)))
    return chosen


def wanted_subscriptions(event_types: Iterable[str], properties: str = "") -> list[Subscription]:
    """One subscription per event type, and per property of `properties` for each propertyChange type."""
    names = property_names(properties)
    wanted = []
    for event_type in event_types:
        prefix, _, event = event_type.partition(".")
        if event == PROPERTY_CHANGE:
            wanted += [Subscription(event_type, name) for name in names.get(prefix, ())]
        else:
            wanted.append(Subscription(event_type))
    return wanted


def target_url(settings: Settings, override: str | None = None) -> str:
    """Where HubSpot should post: `override`, else HUBSPOT_WEBHOOK_PUBLIC_URL + HUBSPOT_WEBHOOK_PATH."""
    url = override or (
        settings.webhook_public_url.rstrip("/") + settings.webhook_path if settings.webhook_public_url else None
    )
    if not url:
        raise SubscriptionError(
            "set HUBSPOT_WEBHOOK_PUBLIC_URL (the public https base URL of the receiver, e.g. "
            "https://hooks.example.com) or pass --target-url: HubSpot needs to know where to post"
        )
    if not url.startswith(("http://", "https://")):
        raise SubscriptionError(f"the target URL must start with https:// (got {url!r})")
    return url


# -- what HubSpot has ----------------------------------------------------------------------------------------------


class AppWebhooks:
    """The webhook settings and subscriptions of one public app, read and written with its developer key."""

    def __init__(self, client: HubSpotClient, app_id: int, developer_api_key: Any) -> None:
        self.client = client
        self.app_id = app_id
        self._key = developer_api_key

    @classmethod
    def from_settings(cls, settings: Settings) -> AppWebhooks:
        """`SubscriptionError` naming HUBSPOT_APP_ID and/or HUBSPOT_DEVELOPER_API_KEY when they are not set."""
        missing = [name for name, value in (
            ("HUBSPOT_APP_ID", settings.app_id),
            ("HUBSPOT_DEVELOPER_API_KEY", settings.developer_api_key and settings.developer_api_key.get_secret_value()),
        ) if not value]
        if missing:
            raise SubscriptionError(
                f"set {' and '.join(missing)}: webhook subscriptions are managed through a public app, with its id "
                "(developer account > Apps) and the developer account's API key (developer account > Keys). "
                "A private app's webhooks are set in HubSpot's UI instead (Settings > Integrations > Private apps)"
            )
        assert settings.app_id is not None
        return cls(HubSpotClient.from_settings(settings), settings.app_id, settings.developer_api_key)

    @contextmanager
    def _explained(self) -> Iterator[None]:
        try:
            yield
        except AuthenticationError as error:
            answer = " ".join(str(part) for part in (error.status, error.category) if part)
            raise SubscriptionError(
                f"HubSpot refused the developer API key ({answer}): set HUBSPOT_DEVELOPER_API_KEY to the API key "
                f"of the developer account that owns app {self.app_id} (developer account > Keys)"
            ) from None
        except HubSpotError as error:
            raise SubscriptionError(f"HubSpot's webhooks API failed for app {self.app_id}: {error}") from None

    def subscriptions(self) -> list[dict[str, Any]]:
        with self._explained():
            try:
                return self.client.webhook_subscriptions(self.app_id, self._key)
            except NotFoundError:
                raise SubscriptionError(
                    f"HubSpot knows no app {self.app_id} for this developer API key: check HUBSPOT_APP_ID (and that "
                    "HUBSPOT_DEVELOPER_API_KEY belongs to the developer account that owns the app)"
                ) from None

    def settings(self) -> dict[str, Any] | None:
        """The target URL and throttling; None when no target URL is set (HubSpot answers 404)."""
        with self._explained():
            try:
                return self.client.webhook_settings(self.app_id, self._key)
            except NotFoundError:
                return None

    def set_target_url(self, url: str, max_concurrent_requests: int) -> None:
        with self._explained():
            self.client.update_webhook_settings(
                self.app_id, self._key, url, max_concurrent_requests=max_concurrent_requests
            )

    def delete_target_url(self) -> None:
        with self._explained():
            self.client.delete_webhook_settings(self.app_id, self._key)

    def create(self, subscription: Subscription) -> None:
        with self._explained():
            self.client.create_webhook_subscription(
                self.app_id, self._key, subscription.event_type, property_name=subscription.property_name
            )

    def activate(self, subscription_ids: list[str]) -> None:
        with self._explained():
            self.client.batch_update_webhook_subscriptions(self.app_id, self._key, [(i, True) for i in subscription_ids])

    def delete(self, subscription_id: str) -> None:
        with self._explained():
            self.client.delete_webhook_subscription(self.app_id, self._key, subscription_id)

    def close(self) -> None:
        self.client.close()


# -- plans ---------------------------------------------------------------------------------------------------------


@dataclass
class SubscribePlan:
    """What `subscribe` must write: the target URL if it differs, missing subscriptions, paused ones to resume."""

    target_url: str
    current_target_url: str | None
    max_concurrent_requests: int
    create: list[Subscription] = field(default_factory=list)
    reactivate: list[dict[str, Any]] = field(default_factory=list)
    already_active: int = 0

    @property
    def sets_target_url(self) -> bool:
        return self.target_url != self.current_target_url

    @property
    def changes_nothing(self) -> bool:
        return not (self.sets_target_url or self.create or self.reactivate)


@dataclass
class UnsubscribePlan:
    """What `unsubscribe` must delete: our subscriptions of the chosen types, and the target URL if asked."""

    delete: list[dict[str, Any]] = field(default_factory=list)
    current_target_url: str | None = None
    delete_target_url: bool = False

    @property
    def changes_nothing(self) -> bool:
        return not self.delete and not (self.delete_target_url and self.current_target_url)


def plan_subscribe(app: AppWebhooks, url: str, wanted: Iterable[Subscription]) -> SubscribePlan:
    """Compare `url` and `wanted` with what HubSpot has (two reads, no write)."""
    by_key: dict[Subscription, list[dict[str, Any]]] = {}
    for existing in app.subscriptions():
        by_key.setdefault(Subscription.of(existing), []).append(existing)
    current = app.settings()
    throttling = (current or {}).get("throttling") or {}
    plan = SubscribePlan(
        target_url=url,
        current_target_url=(current or {}).get("targetUrl"),
        # A target URL change keeps the throttling someone chose in HubSpot.
        max_concurrent_requests=int(throttling.get("maxConcurrentRequests") or DEFAULT_MAX_CONCURRENT_REQUESTS),
    )
    for subscription in dict.fromkeys(wanted):
        found = by_key.get(subscription, [])
        if any(s.get("active") for s in found):
            plan.already_active += 1
        elif found:
            plan.reactivate.append(found[0])
        else:
            plan.create.append(subscription)
    return plan


def apply_subscribe(app: AppWebhooks, plan: SubscribePlan) -> None:
    """Write the plan: the target URL first (so the first events have somewhere to go), then resume, then create."""
    if plan.sets_target_url:
        app.set_target_url(plan.target_url, plan.max_concurrent_requests)
    if plan.reactivate:
        app.activate([str(s["id"]) for s in plan.reactivate])
    for subscription in plan.create:
        app.create(subscription)


def plan_unsubscribe(app: AppWebhooks, event_types: Iterable[str], delete_target_url: bool = False) -> UnsubscribePlan:
    """Every subscription of `event_types` (whatever its property), and the target URL when asked (reads only)."""
    chosen = set(event_types)
    plan = UnsubscribePlan(
        delete=[s for s in app.subscriptions() if s["eventType"] in chosen],
        delete_target_url=delete_target_url,
    )
    if delete_target_url:
        plan.current_target_url = (app.settings() or {}).get("targetUrl")
    return plan


def apply_unsubscribe(app: AppWebhooks, plan: UnsubscribePlan) -> None:
    """Delete the plan's subscriptions (HubSpot has no batch delete), then the target URL."""
    for subscription in plan.delete:
        app.delete(str(subscription["id"]))
    if plan.delete_target_url and plan.current_target_url:
        app.delete_target_url()
