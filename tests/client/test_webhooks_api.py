"""Webhook settings and subscriptions through the developer API key (`hapikey`), and account API usage."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from hubspot_assets.hubspot.errors import AuthenticationError, ConflictError, NotFoundError
from tests.client.clients import make_client


def test_settings_and_subscriptions_round_trip(sandbox_factory, tmp_path, caplog):
    sandbox = sandbox_factory()
    app, key = sandbox.config.app_id, SecretStr(sandbox.config.developer_api_key)
    # No bearer token is needed for these calls: only the developer key.
    client = make_client(sandbox, tmp_path, access_token=None)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(NotFoundError):
        client.webhook_settings(app, key)
    saved = client.update_webhook_settings(
        app, key, "http://127.0.0.1:9/hubspot/webhooks", max_concurrent_requests=4
    )
    assert saved["targetUrl"] == "http://127.0.0.1:9/hubspot/webhooks"
    assert client.webhook_settings(app, key)["throttling"]["maxConcurrentRequests"] == 4

    created = client.create_webhook_subscription(app, key, "contact.propertyChange", property_name="email")
    deal = client.create_webhook_subscription(app, key, "deal.creation", active=False)
    assert created["eventType"] == "contact.propertyChange" and created["active"] is True
    with pytest.raises(ConflictError):
        client.create_webhook_subscription(app, key, "deal.creation")
    listed = {s["id"]: s for s in client.webhook_subscriptions(app, key)}
    assert set(listed) == {created["id"], deal["id"]}

    assert client.update_webhook_subscription(app, key, deal["id"], active=True)["active"] is True
    updated = client.batch_update_webhook_subscriptions(
        app, key, [(created["id"], False), (deal["id"], False)]
    )
    assert {s["id"]: s["active"] for s in updated} == {created["id"]: False, deal["id"]: False}
    assert client.webhook_subscription(app, key, created["id"])["active"] is False

    client.delete_webhook_subscription(app, key, deal["id"])
    assert [s["id"] for s in client.webhook_subscriptions(app, key)] == [created["id"]]
    client.delete_webhook_settings(app, key)
    with pytest.raises(NotFoundError):
        client.webhook_settings(app, key)

    secret = sandbox.config.developer_api_key
    assert secret not in caplog.text  # the key travels in the URL, yet never reaches a log line


def test_wrong_developer_key_is_an_authentication_error_without_the_key(sandbox, tmp_path):
    client = make_client(sandbox, tmp_path)
    with pytest.raises(AuthenticationError) as caught:
        client.webhook_subscriptions(sandbox.config.app_id, "not-the-right-key-123")
    assert "not-the-right-key-123" not in str(caught.value) and "not-the-right-key-123" not in repr(
        caught.value
    )


def test_api_usage_counts_requests(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(tier="pro")  # a tier with a daily quota (unlimited counts nothing)
    client = make_client(sandbox, tmp_path)
    before = client.api_usage()[0]["currentUsage"]
    client.properties("companies")
    after = client.api_usage()[0]
    assert after["currentUsage"] >= before + 1
    assert after["usageLimit"] > 0
