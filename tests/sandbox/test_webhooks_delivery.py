"""Webhook delivery from the sandbox, checked by a real receiver: signatures, batching, retries, filtering."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import time

import pytest
import requests

from hubspot_assets.sandbox.config import SandboxConfig
from hubspot_assets.sandbox.server import SandboxServer
from tests.sandbox.webhook_receiver import Received, WebhookReceiver

SECRET = "sandbox-client-secret"  # SandboxConfig default client secret


def v1_ok(rx: Received) -> bool:
    expected = hashlib.sha256(SECRET.encode() + rx.body).hexdigest()
    return rx.headers["X-HubSpot-Signature-Version"] == "v1" and hmac.compare_digest(
        expected, rx.headers["X-HubSpot-Signature"]
    )


def v3_ok(rx: Received) -> bool:
    uri = f"http://{rx.headers['Host']}{rx.path}"
    stamp = rx.headers["X-HubSpot-Request-Timestamp"]
    mac = hmac.new(SECRET.encode(), b"POST" + uri.encode() + rx.body + stamp.encode(), hashlib.sha256)
    fresh = abs(time.time() * 1000 - int(stamp)) < 300_000
    return fresh and hmac.compare_digest(
        base64.b64encode(mac.digest()).decode(), rx.headers["X-HubSpot-Signature-v3"]
    )


def events(n: int, kind: str = "contact.creation", **extra) -> list[dict]:
    return [
        {
            "subscriptionType": kind,
            "objectId": 1000 + i,
            "occurredAt": 1_760_000_000_000 + i,
            "changeSource": "CRM",
            **extra,
        }
        for i in range(n)
    ]


FAST = {
    "backoff_scale": 0.001,
    "duplicate_rate": 0.0,
    "redeliver_rate": 0.0,
    "timeout_s": 5.0,
    "signature_version": "v1",
    "max_concurrent": 10,
    "batch_max": 99,
}


@pytest.fixture(scope="module")
def shared_sandbox():
    # One real sandbox for most tests (fast); `start` resets its delivery options, target and log.
    with SandboxServer(SandboxConfig(seed=42, scale="small", tier="unlimited")) as server:
        yield server


@pytest.fixture
def start(shared_sandbox):
    def _start(rx: WebhookReceiver | None, **options):
        sb = shared_sandbox
        sb.admin("webhooks/config", {**FAST, **options, "target": rx.url if rx else None})
        sb.admin("webhooks/deliveries", method="DELETE")
        return sb

    return _start


def wait_idle(sb) -> dict:
    answer = sb.admin("webhooks/wait", {"timeout_s": 10})
    assert answer["idle"], answer
    return sb.admin("webhooks/deliveries")


def test_events_arrive_in_signed_batches_of_fewer_than_100(sandbox_factory):
    with WebhookReceiver() as rx:
        sb = sandbox_factory(webhook_target=rx.url, webhook_duplicate_rate=0.0, webhook_redeliver_rate=0.0)
        assert sb.admin("webhooks/emit", {"events": events(250)})["queued"] == 250
        log = wait_idle(sb)
        posts = rx.received
        assert len(posts) == 3 and all(len(p.events) < 100 for p in posts)
        assert all(v1_ok(p) and v3_ok(p) for p in posts)
        delivered = [e for p in posts for e in p.events]
        assert sorted(e["objectId"] for e in delivered) == list(range(1000, 1250))
        assert len({e["eventId"] for e in delivered}) == 250
        for event in delivered:
            assert event["portalId"] == 62515 and event["appId"] == 1000001 and event["attemptNumber"] == 0
            assert (
                isinstance(event["subscriptionId"], int) and event["subscriptionType"] == "contact.creation"
            )
        assert log["events_delivered"] == 250 and log["states"] == {"delivered": 3}


def test_tampered_body_fails_both_signature_checks(start):
    with WebhookReceiver() as rx:
        sb = start(rx)
        sb.admin("webhooks/emit", {"events": events(1)})
        post = rx.wait_for(1)[0]
        forged = Received(post.path, post.headers, post.body.replace(b"1000", b"1001"))
        assert v1_ok(post) and v3_ok(post)
        assert not v1_ok(forged) and not v3_ok(forged)


def test_v2_signature_covers_method_and_uri_when_configured(start):
    with WebhookReceiver() as rx:
        sb = start(rx, signature_version="v2")
        sb.admin("webhooks/emit", {"events": events(2)})
        post = rx.wait_for(1)[0]
        uri = f"http://{post.headers['Host']}{post.path}"
        expected = hashlib.sha256(SECRET.encode() + b"POST" + uri.encode() + post.body).hexdigest()
        assert post.headers["X-HubSpot-Signature-Version"] == "v2"
        assert post.headers["X-HubSpot-Signature"] == expected and v3_ok(post)


def test_error_answers_are_retried_with_growing_attempt_number(start):
    answers = {0: 500, 1: 404}
    with WebhookReceiver(lambda n: answers.get(n, 200)) as rx:
        sb = start(rx)
        sb.admin("webhooks/emit", {"events": events(5)})
        log = wait_idle(sb)
        posts = rx.received
        assert [p.events[0]["attemptNumber"] for p in posts] == [0, 1, 2]
        assert (
            len({tuple(sorted(e["eventId"] for e in p.events)) for p in posts}) == 1
        )  # same batch each time
        batch = log["batches"][-1]
        assert batch["state"] == "delivered" and [a["status"] for a in batch["attempts"]] == [500, 404, 200]


def test_answer_slower_than_timeout_counts_as_failure_and_is_retried(start):
    with WebhookReceiver(lambda n: ("sleep", 1.5, 204) if n == 0 else 204) as rx:
        sb = start(rx, timeout_s=0.6)
        sb.admin("webhooks/emit", {"events": events(1)})
        log = wait_idle(sb)
        attempts = log["batches"][-1]["attempts"]
        assert attempts[0]["status"] is None and "no answer within 0.6 s" in attempts[0]["error"]
        assert attempts[1]["status"] == 204 and log["batches"][-1]["state"] == "delivered"
        assert [p.events[0]["attemptNumber"] for p in rx.received] == [0, 1]


def test_delivery_gives_up_after_ten_retries(start):
    with WebhookReceiver(lambda n: 503) as rx:
        sb = start(rx, backoff_scale=0.00001)  # HubSpot's ~24 h schedule squeezed into ~1 s
        sb.admin("webhooks/emit", {"events": events(1)})
        log = wait_idle(sb)
        assert [p.events[0]["attemptNumber"] for p in rx.received] == list(range(11))
        assert log["batches"][-1]["state"] == "failed" and len(log["batches"][-1]["attempts"]) == 11


def test_connection_failure_is_retried_against_the_current_target(start):
    with socket.socket() as dead:
        dead.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{dead.getsockname()[1]}/gone"  # bound, never listening: refused
        with WebhookReceiver() as rx:
            sb = start(None)
            sb.admin("webhooks/target", {"url": dead_url}, method="PUT")
            sb.admin("webhooks/emit", {"events": events(1)})
            deadline = time.monotonic() + 10
            while not sb.admin("webhooks/deliveries")["batches"][-1]["attempts"]:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            sb.admin("webhooks/target", {"url": rx.url}, method="PUT")
            post = rx.wait_for(1)[0]
            first = wait_idle(sb)["batches"][-1]["attempts"][0]
            assert first["error"].startswith("connection failed") and post.events[0]["attemptNumber"] >= 1


def test_at_least_once_quirks_duplicate_event_ids_and_redelivered_batches(start):
    with WebhookReceiver() as rx:
        sb = start(rx, duplicate_rate=1.0, redeliver_rate=1.0)
        sb.admin("webhooks/emit", {"events": events(3)})
        wait_idle(sb)
        posts = rx.wait_for(2)
        assert len(posts) == 2 and sorted(posts[0].body) == sorted(posts[1].body)
        assert len({e["eventId"] for e in posts[0].events}) == 1  # eventId is not unique


def test_settings_api_sets_and_clears_the_target(start):
    with WebhookReceiver() as rx:
        sb = start(None)
        base = f"{sb.url}/webhooks/v3/1000001/settings"
        key = {"hapikey": "sandbox-developer-key"}
        assert requests.get(base, params=key, timeout=10).status_code == 404
        put = requests.put(
            base,
            params=key,
            timeout=10,
            json={"targetUrl": rx.url, "throttling": {"maxConcurrentRequests": 5}},
        )
        assert put.status_code == 200 and put.json()["targetUrl"] == rx.url
        assert put.json()["throttling"] == {"maxConcurrentRequests": 5, "period": "SECONDLY"}
        sb.admin("webhooks/emit", {"events": events(2)})
        assert len(rx.wait_for(1)[0].events) == 2
        assert requests.delete(base, params=key, timeout=10).status_code == 204
        sb.admin("webhooks/emit", {"events": events(4)})
        assert sb.admin("webhooks/deliveries")["counts"]["dropped_no_target"] == 4
        assert len(rx.received) == 1


def test_changes_through_admin_mutate_and_the_crm_api_are_delivered_signed(start):
    with WebhookReceiver() as rx:
        sb = start(rx)
        first = requests.get(
            f"{sb.url}/crm/v3/objects/contacts?limit=2", headers=sb.headers, timeout=10
        ).json()
        a, b = (int(r["id"]) for r in first["results"])
        sb.admin(
            "mutate",
            {
                "operations": [
                    {"op": "update", "objectType": "contacts", "id": a, "properties": {"firstname": "Zoë"}}
                ]
            },
        )
        patched = requests.patch(
            f"{sb.url}/crm/v3/objects/contacts/{b}",
            json={"properties": {"lastname": "Ørsted"}},
            headers=sb.headers,
            timeout=10,
        )
        assert patched.status_code == 200
        log = wait_idle(sb)  # both changes, in one batch or two (they are gathered for a few ms)
        assert set(log["states"]) == {"delivered"} and log["events_delivered"] == 2
        delivered = {(e["objectId"], e.get("propertyName")): e for p in rx.received for e in p.events}
        assert delivered[(a, "firstname")]["propertyValue"] == "Zoë"
        assert delivered[(b, "lastname")]["subscriptionType"] == "contact.propertyChange"
        assert all(v1_ok(p) and v3_ok(p) for p in rx.received)


def test_concurrent_posts_never_exceed_the_throttling_limit(start):
    with WebhookReceiver(lambda n: ("sleep", 0.2, 204)) as rx:
        sb = start(rx, max_concurrent=3, batch_max=1)
        sb.admin("webhooks/emit", {"events": events(12)})
        log = wait_idle(sb)
        assert log["states"] == {"delivered": 12} and len(rx.received) == 12
        assert 1 < rx.max_in_flight <= 3


def test_v3_signature_covers_the_uri_with_reserved_escapes_decoded(start):
    with WebhookReceiver() as rx:
        rx.url = rx.url.replace("?source=sandbox", "?next=%2Fqueue%3Fa%3Db&name=caf%C3%A9")
        sb = start(rx)
        sb.admin("webhooks/emit", {"events": events(1)})
        post = rx.wait_for(1)[0]
        assert post.path.endswith("?next=%2Fqueue%3Fa%3Db&name=caf%C3%A9")  # sent as configured
        signed_uri = f"http://{post.headers['Host']}{post.path}"
        for escape, char in (("%2F", "/"), ("%3F", "?"), ("%3D", "%3D")):  # %3D is not in HubSpot's list
            signed_uri = signed_uri.replace(escape, char)
        stamp = post.headers["X-HubSpot-Request-Timestamp"]
        mac = hmac.new(
            SECRET.encode(), b"POST" + signed_uri.encode() + post.body + stamp.encode(), hashlib.sha256
        )
        assert base64.b64encode(mac.digest()).decode() == post.headers["X-HubSpot-Signature-v3"]
        assert not v3_ok(post)  # signing the raw, still-escaped URI would not match


def test_a_burst_of_changes_arrives_in_few_large_batches_of_fewer_than_100(start):
    with WebhookReceiver() as rx:
        sb = start(rx)
        sb.admin("mutate", {"random": {"updates": 500}, "seed": 11})
        log = wait_idle(sb)
        sizes = [len(p.events) for p in rx.received]
        total = sum(sizes)
        assert total == log["events_delivered"] and total >= 500
        assert max(sizes) < 100
        # Emitted one change at a time, yet gathered: nearly every batch is full.
        assert len(sizes) <= total // 99 + 2, sizes
