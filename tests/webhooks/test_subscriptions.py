"""`hubspot-elt webhooks subscribe|list|unsubscribe` against the sandbox's webhooks API over real HTTP.

The sandbox is this module's own (subscriptions filter the events a sandbox delivers, so the session one must not
get any). What HubSpot holds is read back with plain HTTP calls, not with the code under test.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from click.testing import CliRunner, Result

from hubspot_assets.sandbox.config import SandboxConfig
from hubspot_assets.sandbox.server import SandboxServer
from hubspot_assets.webhooks.cli import webhooks
from hubspot_assets.webhooks.events import OBJECT_PREFIXES, UnknownEvent, event_class
from tests.conftest import DEFAULTS

PUBLIC_URL = "https://hooks.example.com"
TARGET = f"{PUBLIC_URL}/webhooks/hubspot"


@pytest.fixture(scope="module")
def app_sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer(SandboxConfig(**{**DEFAULTS, "scale": "10"})).start()
    try:
        yield server
    finally:
        server.stop()


class HubSpotApp:
    """The sandbox app's webhook settings and subscriptions as HubSpot holds them, read with plain HTTP."""

    def __init__(self, sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        self.base = f"{sandbox.url}/webhooks/v3/{sandbox.config.app_id}"
        self.key = {"hapikey": sandbox.config.developer_api_key}

    def subscriptions(self) -> list[dict[str, Any]]:
        return requests.get(f"{self.base}/subscriptions", params=self.key, timeout=10).json()["results"]

    def target_url(self) -> str | None:
        answer = requests.get(f"{self.base}/settings", params=self.key, timeout=10)
        return answer.json()["targetUrl"] if answer.status_code == 200 else None

    def subscribe(self, event_type: str, **fields: Any) -> dict[str, Any]:
        body = {"eventType": event_type, "active": True, **fields}
        return requests.post(f"{self.base}/subscriptions", params=self.key, json=body, timeout=10).json()

    def pause(self, subscription_id: str) -> None:
        url = f"{self.base}/subscriptions/{subscription_id}"
        requests.patch(url, params=self.key, json={"active": False}, timeout=10).raise_for_status()

    def clear(self) -> None:
        for subscription in self.subscriptions():
            requests.delete(f"{self.base}/subscriptions/{subscription['id']}", params=self.key, timeout=10)
        requests.delete(f"{self.base}/settings", params=self.key, timeout=10)

    def reset_requests(self) -> None:
        requests.post(f"{self.sandbox.url}/_sandbox/stats/reset", timeout=10).raise_for_status()

    def requests_by_endpoint(self) -> dict[str, int]:
        return requests.get(f"{self.sandbox.url}/_sandbox/stats", timeout=10).json()["requests"]["by_endpoint"]


@pytest.fixture
def hubspot(app_sandbox: SandboxServer) -> HubSpotApp:
    app = HubSpotApp(app_sandbox)
    app.clear()
    return app


def run(sandbox: SandboxServer, *args: str, **env: str | None) -> Result:
    settings = {
        "HUBSPOT_BASE_URL": sandbox.url,
        "HUBSPOT_APP_ID": str(sandbox.config.app_id),
        "HUBSPOT_DEVELOPER_API_KEY": sandbox.config.developer_api_key,
        "HUBSPOT_WEBHOOK_PUBLIC_URL": PUBLIC_URL,
        **env,
    }
    return CliRunner().invoke(webhooks, list(args), env=settings)


def keys(subscriptions: list[dict[str, Any]]) -> set[tuple[str, str | None]]:
    return {(s["eventType"], s.get("propertyName")) for s in subscriptions}


def test_subscribe_sets_the_target_url_and_every_event_type_the_receiver_handles(hubspot):
    result = run(hubspot.sandbox, "subscribe")

    assert result.exit_code == 0, result.output
    assert hubspot.target_url() == TARGET
    subscriptions = hubspot.subscriptions()
    assert all(s["active"] for s in subscriptions)
    types = {s["eventType"] for s in subscriptions}
    actions = ("creation", "deletion", "propertyChange", "restore", "merge", "associationChange")
    assert {f"{prefix}.{action}" for prefix in OBJECT_PREFIXES for action in actions} <= types
    assert {"contact.privacyDeletion"} | {f"conversation.{action}" for action in (
        "creation", "deletion", "privacyDeletion", "propertyChange", "newMessage")} <= types
    assert not [t for t in types if event_class(t) is UnknownEvent]  # nothing the receiver would not understand
    # HubSpot subscribes property changes one property at a time.
    assert all(s.get("propertyName") for s in subscriptions if s["eventType"].endswith(".propertyChange"))
    assert {p for t, p in keys(subscriptions) if t == "contact.propertyChange"} >= {"email", "lifecyclestage"}
    assert {p for t, p in keys(subscriptions) if t == "conversation.propertyChange"} == {
        "assignedTo", "status", "isArchived"}
    assert f"Create {len(subscriptions)} subscriptions" in result.output


def test_subscribing_twice_writes_nothing_the_second_time(hubspot):
    hubspot.reset_requests()
    dry = run(hubspot.sandbox, "subscribe", "--dry-run")
    assert dry.exit_code == 0 and "Create" in dry.output and "nothing was changed" in dry.output
    assert hubspot.subscriptions() == [] and hubspot.target_url() is None
    assert run(hubspot.sandbox, "subscribe").exit_code == 0
    before = hubspot.subscriptions()
    hubspot.reset_requests()

    again = run(hubspot.sandbox, "subscribe")

    assert again.exit_code == 0, again.output
    assert "Nothing to change" in again.output
    made = hubspot.requests_by_endpoint()
    assert sum(made.values()) >= 2  # it did read what HubSpot has
    assert [endpoint for endpoint in made if not endpoint.startswith("GET ")] == []
    assert hubspot.subscriptions() == before


def test_list_prints_the_target_url_and_every_subscription(hubspot):
    properties = "deals:amount,dealstage"
    assert run(hubspot.sandbox, "subscribe", "--events", "deal.*", HUBSPOT_WEBHOOK_PROPERTIES=properties).exit_code == 0
    subscriptions = hubspot.subscriptions()
    assert keys(subscriptions) == {("deal.creation", None), ("deal.deletion", None), ("deal.restore", None),
                                   ("deal.merge", None), ("deal.associationChange", None),
                                   ("deal.propertyChange", "amount"), ("deal.propertyChange", "dealstage")}
    paused = next(s for s in subscriptions if s.get("propertyName") == "amount")
    hubspot.pause(paused["id"])

    result = run(hubspot.sandbox, "list")

    assert result.exit_code == 0, result.output
    assert f"Target URL: {TARGET}" in result.output
    rows = {line.split()[0]: line.split()[1:] for line in result.output.splitlines()[2:]}
    assert set(rows) == {s["id"] for s in subscriptions}
    for subscription in subscriptions:
        state = ["no", "(paused)"] if subscription["id"] == paused["id"] else ["yes"]
        named = [subscription["propertyName"]] if subscription.get("propertyName") else []
        assert rows[subscription["id"]] == [subscription["eventType"], *named, *state]


def test_a_paused_subscription_is_reactivated_not_created_again(hubspot):
    events = "contact.creation,contact.deletion"
    assert run(hubspot.sandbox, "subscribe", "--events", events).exit_code == 0
    first = {s["id"]: s["eventType"] for s in hubspot.subscriptions()}
    paused = next(i for i, t in first.items() if t == "contact.deletion")
    hubspot.pause(paused)
    hubspot.reset_requests()

    result = run(hubspot.sandbox, "subscribe", "--events", events)

    assert result.exit_code == 0, result.output
    assert "Re-activate 1 subscription:\n  contact.deletion" in result.output
    after = hubspot.subscriptions()
    assert {s["id"]: s["eventType"] for s in after} == first and all(s["active"] for s in after)
    writes = {e: n for e, n in hubspot.requests_by_endpoint().items() if not e.startswith("GET ")}
    assert list(writes.values()) == [1] and next(iter(writes)).endswith("/subscriptions/batch/update")


def test_unsubscribe_removes_our_subscriptions_and_with_target_the_target_url(hubspot):
    theirs = hubspot.subscribe("object.creation", objectTypeId="0-48")  # not a type subscribe manages
    assert run(hubspot.sandbox, "subscribe", "--events", "contact.*,deal.creation").exit_code == 0

    narrowed = run(hubspot.sandbox, "unsubscribe", "--events", "contact.*")
    assert narrowed.exit_code == 0, narrowed.output
    assert {s["eventType"] for s in hubspot.subscriptions()} == {"object.creation", "deal.creation"}
    assert hubspot.target_url() == TARGET

    everything = run(hubspot.sandbox, "unsubscribe", "--target")
    assert everything.exit_code == 0, everything.output
    assert [s["id"] for s in hubspot.subscriptions()] == [theirs["id"]]
    assert hubspot.target_url() is None
    again = run(hubspot.sandbox, "unsubscribe", "--target")
    assert again.exit_code == 0 and "Nothing to remove" in again.output


@pytest.mark.parametrize("command", ["subscribe", "list", "unsubscribe"])
def test_missing_app_settings_say_what_to_set(hubspot, command):
    result = run(hubspot.sandbox, command, HUBSPOT_APP_ID=None, HUBSPOT_DEVELOPER_API_KEY=None)

    assert result.exit_code == 1
    assert "HUBSPOT_APP_ID and HUBSPOT_DEVELOPER_API_KEY" in result.output
    assert "Private apps" in result.output  # and where a private app's webhooks are set instead


def test_subscribe_without_a_public_url_says_what_to_set(hubspot):
    result = run(hubspot.sandbox, "subscribe", HUBSPOT_WEBHOOK_PUBLIC_URL=None)

    assert result.exit_code == 1 and "HUBSPOT_WEBHOOK_PUBLIC_URL" in result.output and "--target-url" in result.output
    assert hubspot.subscriptions() == []


def test_a_wrong_developer_key_says_what_to_set_and_never_shows_the_key(hubspot, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "not-the-developer-key-5c1e"

    result = run(hubspot.sandbox, "subscribe", HUBSPOT_DEVELOPER_API_KEY=wrong)

    assert result.exit_code == 1
    assert "401" in result.output and "HUBSPOT_DEVELOPER_API_KEY" in result.output
    assert wrong not in result.output and wrong not in caplog.text
    assert hubspot.target_url() is None
