"""The receiver over real HTTP: what it accepts, what it refuses and says nothing about, what it counts."""

from __future__ import annotations

import logging
import time

import orjson
import pytest
import requests

from tests.webhooks.conftest import SECRET, FakeClock, crm_event, deliver, metric_value, signed_headers


def queued_event_ids(receiver) -> list[int]:
    rows = receiver.queue.backend.execute("SELECT event_id FROM webhook_events ORDER BY event_id")
    return [row[0] for row in rows]


@pytest.mark.parametrize("version", ["v1", "v2", "v3"])
def test_each_signature_version_is_accepted_and_queued_before_the_answer(receiver, version: str) -> None:
    batch = [crm_event(), crm_event("deal.creation")]
    answer = deliver(receiver.url, batch, version=version)
    assert answer.status_code == 204
    assert queued_event_ids(receiver) == sorted(e["eventId"] for e in batch)


@pytest.mark.parametrize("version", ["v1", "v2", "v3"])
def test_a_signature_made_with_another_secret_is_refused_with_its_status_only(receiver, version: str,
                                                                                caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="hubspot_assets.webhooks"):
        answer = deliver(receiver.url, [crm_event()], secret="not-the-secret", version=version)
    assert (answer.status_code, answer.content) == (401, b"")
    assert queued_event_ids(receiver) == []
    assert "bad_signature" in caplog.text and SECRET not in caplog.text
    assert metric_value(receiver.metrics(), "hubspot_webhook_requests_rejected_total", reason="bad_signature") == 1


def test_a_body_changed_after_signing_is_refused(receiver) -> None:
    body = orjson.dumps([crm_event()])
    headers = signed_headers(receiver.url, body)
    tampered = body.replace(b"a@example.com", b"b@example.com")
    assert requests.post(receiver.url, data=tampered, headers=headers, timeout=10).status_code == 401


def test_a_wrong_v3_signature_does_not_fall_back_to_a_valid_v1(receiver) -> None:
    body = orjson.dumps([crm_event()])
    headers = {**signed_headers(receiver.url, body, version="v1"),
               **signed_headers(receiver.url, body, secret="wrong", version="v3")}
    assert requests.post(receiver.url, data=body, headers=headers, timeout=10).status_code == 401


def test_a_request_without_a_signature_is_refused(receiver) -> None:
    answer = requests.post(receiver.url, data=orjson.dumps([crm_event()]), timeout=10)
    assert answer.status_code == 401
    assert metric_value(receiver.metrics(), "hubspot_webhook_requests_rejected_total",
                        reason="missing_signature") == 1


def test_every_secret_of_a_rotation_is_accepted(receiver_factory) -> None:
    receiver = receiver_factory(secrets=("new-secret", "old-secret"))
    assert deliver(receiver.url, [crm_event()], secret="old-secret").status_code == 204
    assert deliver(receiver.url, [crm_event()], secret="new-secret", version="v1").status_code == 204
    assert deliver(receiver.url, [crm_event()], secret=SECRET).status_code == 401


def test_a_timestamp_older_than_five_minutes_is_refused(receiver_factory) -> None:
    clock = FakeClock()
    receiver = receiver_factory(clock=clock)
    now_ms = int(clock.now * 1000)
    assert deliver(receiver.url, [crm_event()], timestamp_ms=now_ms - 299_000).status_code == 204
    assert deliver(receiver.url, [crm_event()], timestamp_ms=now_ms - 301_000).status_code == 401
    assert metric_value(receiver.metrics(), "hubspot_webhook_requests_rejected_total",
                        reason="stale_timestamp") == 1


def test_behind_a_proxy_the_public_url_is_what_the_signature_covers(receiver_factory) -> None:
    receiver = receiver_factory(public_url="https://hooks.example.com/")
    public = "https://hooks.example.com/webhooks/hubspot?portal=62515&tag=a%3Ab"
    local = receiver.url + "?portal=62515&tag=a%3Ab"
    assert deliver(local, [crm_event()], signed_url=public).status_code == 204
    assert deliver(local, [crm_event()], signed_url=public, version="v2").status_code == 204
    assert deliver(local, [crm_event()], signed_url=local).status_code == 401


def test_without_a_public_url_the_signature_covers_the_url_as_requested(receiver) -> None:
    url = receiver.url + "?x=%28y%29"
    assert deliver(url, [crm_event()]).status_code == 204


def test_an_oversized_body_is_refused_413_declared_or_streamed(receiver_factory) -> None:
    receiver = receiver_factory(max_body_bytes=4096)
    big = [crm_event(propertyValue="x" * 5000)]
    assert deliver(receiver.url, big).status_code == 413
    body = orjson.dumps(big)
    chunks = (body[i:i + 1000] for i in range(0, len(body), 1000))  # no Content-Length: chunked
    answer = requests.post(receiver.url, data=chunks, headers=signed_headers(receiver.url, body), timeout=10)
    assert answer.status_code == 413
    assert queued_event_ids(receiver) == []
    assert metric_value(receiver.metrics(), "hubspot_webhook_requests_rejected_total", reason="body_too_large") == 2


@pytest.mark.parametrize("body", [b"not json", b'{"eventId": 1}', b"[1]",
                                  b'[{"eventId": 1, "occurredAt": 2, "subscriptionType": "contact.creation"}]'])
def test_a_signed_body_that_is_not_a_list_of_events_is_refused_400(receiver, body: bytes) -> None:
    answer = requests.post(receiver.url, data=body, headers=signed_headers(receiver.url, body), timeout=10)
    assert (answer.status_code, answer.content) == (400, b"")
    assert metric_value(receiver.metrics(), "hubspot_webhook_requests_rejected_total", reason="malformed_body") == 1


def test_duplicates_are_acknowledged_and_counted_but_queued_once(receiver) -> None:
    batch = [crm_event(), crm_event()]
    redelivery = [{**event, "attemptNumber": 1} for event in batch]
    assert deliver(receiver.url, batch).status_code == 204
    assert deliver(receiver.url, redelivery + [crm_event()]).status_code == 204
    assert len(queued_event_ids(receiver)) == 3
    page = receiver.metrics()
    assert metric_value(page, "hubspot_webhook_events_duplicate_total") == 2
    assert metric_value(page, "hubspot_webhook_queue_depth", state="pending") == 3


def test_unknown_event_types_are_stored_counted_and_acknowledged(receiver) -> None:
    odd = {"eventId": 991, "occurredAt": 5, "subscriptionType": "contact.teleported", "objectId": 1}
    assert deliver(receiver.url, [odd, crm_event()]).status_code == 204
    assert 991 in queued_event_ids(receiver)
    page = receiver.metrics()
    assert metric_value(page, "hubspot_webhook_events_unknown_total", subscription_type="contact.teleported") == 1
    assert metric_value(page, "hubspot_webhook_events_received_total",
                        subscription_type="contact.propertyChange") == 1


def test_metrics_show_the_queue_and_the_answer_latency(receiver_factory) -> None:
    clock = FakeClock(time.time())
    receiver = receiver_factory(clock=clock)
    deliver(receiver.url, [crm_event(), crm_event("conversation.newMessage", messageId="m1")])
    receiver.queue.fail(receiver.queue.claim(1, "sensor"), "boom")
    clock.advance(7)
    page = receiver.metrics()
    assert metric_value(page, "hubspot_webhook_queue_depth", state="pending") == 2
    assert metric_value(page, "hubspot_webhook_oldest_pending_age_seconds") == pytest.approx(7, abs=0.01)
    assert metric_value(page, "hubspot_webhook_dead_letters") == 0
    assert metric_value(page, "hubspot_webhook_answer_seconds_count", status="204") == 1
    assert metric_value(page, "hubspot_webhook_events_received_total",
                        subscription_type="conversation.newMessage") == 1


def test_healthz_answers_while_the_queue_does(receiver) -> None:
    answer = requests.get(f"{receiver.base_url}/healthz", timeout=10)
    assert answer.status_code == 200 and answer.json()["status"] == "ok"


def test_with_the_queue_down_nothing_is_acknowledged(receiver) -> None:
    receiver.queue.close()
    assert deliver(receiver.url, [crm_event()]).status_code == 503  # HubSpot retries a 5xx later
    assert requests.get(f"{receiver.base_url}/healthz", timeout=10).status_code == 503


def test_other_paths_and_methods_are_not_the_webhook(receiver) -> None:
    assert requests.get(receiver.url, timeout=10).status_code == 405
    assert requests.post(f"{receiver.base_url}/elsewhere", data=b"[]", timeout=10).status_code == 404
