"""The webhook subscription API (developer key) and its effect on which events are delivered."""

from __future__ import annotations

import requests

from tests.sandbox.webhook_receiver import WebhookReceiver

KEY = {"hapikey": "sandbox-developer-key"}


def test_subscription_api_creates_lists_updates_and_deletes(sandbox):
    base = f"{sandbox.url}/webhooks/v3/1000001/subscriptions"
    created = requests.post(
        base,
        params=KEY,
        json={"eventType": "deal.propertyChange", "propertyName": "amount", "active": False},
        timeout=10,
    )
    assert created.status_code == 201
    sub = created.json()
    try:
        assert (
            sub["eventType"] == "deal.propertyChange"
            and sub["propertyName"] == "amount"
            and sub["active"] is False
        )
        assert isinstance(sub["id"], str) and sub["createdAt"].endswith("Z")
        duplicate = requests.post(
            base, params=KEY, json={"eventType": "deal.propertyChange", "propertyName": "amount"}, timeout=10
        )
        assert duplicate.status_code == 409
        assert sub["id"] in [s["id"] for s in requests.get(base, params=KEY, timeout=10).json()["results"]]
        patched = requests.patch(f"{base}/{sub['id']}", params=KEY, json={"active": True}, timeout=10)
        assert patched.status_code == 200 and patched.json()["active"] is True
        batch = requests.post(
            f"{base}/batch/update",
            params=KEY,
            timeout=10,
            json={"inputs": [{"id": int(sub["id"]), "active": False}, {"id": 999999, "active": True}]},
        )
        assert batch.status_code == 207 and batch.json()["results"][0]["active"] is False
        assert batch.json()["errors"][0]["context"] == {"ids": ["999999"]}
        assert requests.delete(f"{base}/{sub['id']}", params=KEY, timeout=10).status_code == 204
        assert requests.get(f"{base}/{sub['id']}", params=KEY, timeout=10).status_code == 404
    finally:  # the session sandbox is shared: leave no subscription behind (it would filter others' events)
        requests.delete(f"{base}/{sub['id']}", params=KEY, timeout=10)


def test_subscription_api_needs_the_developer_key_and_valid_input(sandbox):
    base = f"{sandbox.url}/webhooks/v3/1000001/subscriptions"
    no_key = requests.get(base, timeout=10)
    assert no_key.status_code == 401 and no_key.json()["category"] == "INVALID_AUTHENTICATION"
    assert requests.get(base, params={"hapikey": "wrong"}, timeout=10).status_code == 401
    assert (
        requests.get(f"{sandbox.url}/webhooks/v3/42/subscriptions", params=KEY, timeout=10).status_code == 404
    )
    unknown = requests.post(base, params=KEY, json={"eventType": "contact.teleported"}, timeout=10)
    assert unknown.status_code == 400 and "contact.teleported" in unknown.json()["message"]
    missing_prop = requests.post(base, params=KEY, json={"eventType": "contact.propertyChange"}, timeout=10)
    assert missing_prop.status_code == 400 and "propertyName" in missing_prop.json()["message"]
    not_json = requests.post(base, params=KEY, data="{", timeout=10)
    assert not_json.status_code == 400 and not_json.json()["category"] == "VALIDATION_ERROR"


def test_only_events_of_active_subscriptions_are_delivered(sandbox_factory):
    with WebhookReceiver() as rx:
        sb = sandbox_factory(
            webhook_target=rx.url,
            webhook_backoff_scale=0.001,
            webhook_duplicate_rate=0.0,
            webhook_redeliver_rate=0.0,
        )
        base = f"{sb.url}/webhooks/v3/1000001/subscriptions"
        wanted = requests.post(
            base,
            params=KEY,
            timeout=10,
            json={"eventType": "contact.propertyChange", "propertyName": "email", "active": True},
        ).json()
        requests.post(base, params=KEY, json={"eventType": "contact.creation", "active": False}, timeout=10)
        emitted = [
            {
                "subscriptionType": "contact.propertyChange",
                "objectId": 1,
                "propertyName": "email",
                "propertyValue": "a@b.c",
                "occurredAt": 1,
                "changeSource": "CRM",
            },
            {
                "subscriptionType": "contact.propertyChange",
                "objectId": 2,
                "propertyName": "firstname",
                "propertyValue": "Ann",
                "occurredAt": 2,
                "changeSource": "CRM",
            },
            {"subscriptionType": "contact.creation", "objectId": 3, "occurredAt": 3, "changeSource": "CRM"},
            {"subscriptionType": "deal.creation", "objectId": 4, "occurredAt": 4, "changeSource": "CRM"},
        ]
        assert sb.admin("webhooks/emit", {"events": emitted})["queued"] == 1
        assert sb.admin("webhooks/wait", {"timeout_s": 10})["idle"]
        delivered = [e for post in rx.received for e in post.events]
        assert [(e["objectId"], e["subscriptionId"]) for e in delivered] == [(1, int(wanted["id"]))]
        assert sb.admin("webhooks/deliveries")["counts"]["filtered"] == 3
