"""The webhook sensor's tick on a real queue (SQLite) and an ephemeral Dagster instance, with the clock moved by
hand: the partial refresh it requests, catch-up syncs after an outage or a long silence, and the queue's checks
reported when their outcome changes. The tick makes no API call, so no sandbox is needed; the runs themselves are
tested end to end in tests/webhooks/test_realtime.py."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from hubspot_assets.defs.realtime import OBSERVE_EVERY_S, build_webhook_sensor, tick
from hubspot_assets.defs.resources import HubSpotResource, WarehouseResource, WebhookQueueResource
from hubspot_assets.settings import load_settings
from hubspot_assets.webhooks.events import parse_batch
from hubspot_assets.webhooks.outages import ReceiverLog
from hubspot_assets.webhooks.queue import WebhookQueue
from tests.webhooks.conftest import FakeClock, crm_event


@pytest.fixture
def setup(tmp_path: Path):
    clock = FakeClock()
    settings = load_settings(warehouse_path=tmp_path / "warehouse.duckdb", state_dir=tmp_path / "state",
                             queue_url=f"sqlite:///{tmp_path / 'queue.sqlite'}", webhook_silence_s=3600)
    queue = WebhookQueue.from_settings(settings, clock=clock)
    yield dg.DagsterInstance.ephemeral(), settings, queue, clock
    queue.close()


def enqueue(queue: WebhookQueue, *events: dict) -> None:
    queue.enqueue(parse_batch(list(events)))


def test_pending_events_become_one_request_coalesced_per_record(setup) -> None:
    instance, settings, queue, clock = setup
    enqueue(queue, *(crm_event("contact.propertyChange", 7) for _ in range(50)),
            crm_event("deal.creation", 9), crm_event("conversation.newMessage", 3, messageId="m1"))
    result = tick(instance, settings, queue, [], None)
    [request] = result.run_requests
    config = request.run_config["ops"]["hubspot_raw_sync"]["config"]
    assert config["record_ids"] == {"contacts": [7], "deals": [9], "threads": [3]}
    assert config["link_ids"] == {"deals": {"*": [9]}}
    assert len(config["webhook_event_ids"]) == 52
    assert request.job_name == "hubspot_partial_refresh"
    assert queue.depth()["pending"] == 52  # planned, not claimed: the run claims them
    assert tick(instance, settings, queue, [], result.cursor).run_requests[0].run_key == request.run_key


def test_events_that_need_no_read_are_marked_done_without_a_run(setup) -> None:
    instance, settings, queue, _ = setup
    enqueue(queue, crm_event("contact.someFutureEvent", 1))
    result = tick(instance, settings, queue, [], None)
    assert result.run_requests == [] and "need no read" in result.skip_reason.skip_message
    assert queue.depth()["done"] == 1


def test_an_outage_of_the_receiver_launches_one_catch_up_sync(setup) -> None:
    instance, settings, queue, clock = setup
    receivers = ReceiverLog(queue)
    assert receivers.start("receiver-a", outage_after_s=60) is None  # first start: nothing was missed
    clock.advance(30)
    receivers.beat("receiver-a")
    clock.advance(600)  # killed, restarted ten minutes later
    outage = receivers.start("receiver-a", outage_after_s=60)
    assert outage is not None and outage.down_until - outage.down_from == pytest.approx(600)
    first = tick(instance, settings, queue, [], None)
    assert [(r.job_name, r.run_key) for r in first.run_requests] == [
        ("hubspot_incremental_sync", f"webhooks-catch-up-{outage.id}")]
    assert tick(instance, settings, queue, [], first.cursor).run_requests == []  # caught up once


def test_a_silence_longer_than_hubspots_retry_window_launches_a_catch_up_sync(setup) -> None:
    instance, settings, queue, clock = setup
    enqueue(queue, crm_event("contact.someFutureEvent", 1))
    tick(instance, settings, queue, [], None)
    assert tick(instance, settings, queue, [], None).run_requests == []
    clock.advance(settings.webhook_silence_s + 1)
    [request] = tick(instance, settings, queue, [], None).run_requests
    assert request.job_name == "hubspot_incremental_sync"
    # The same silence gives the same run key: Dagster launches it once however many ticks see it.
    assert tick(instance, settings, queue, [], None).run_requests[0].run_key == request.run_key


def test_queue_checks_are_reported_when_their_outcome_changes(setup) -> None:
    instance, settings, queue, clock = setup
    first = tick(instance, settings, queue, [], None)
    checks = {e.check_name: e.passed for e in first.asset_events if isinstance(e, dg.AssetCheckEvaluation)}
    assert checks == {"oldest_pending_event": True, "no_dead_letters": True}
    assert any(isinstance(e, dg.AssetObservation) for e in first.asset_events)
    clock.advance(5)
    assert tick(instance, settings, queue, [], first.cursor).asset_events == []  # nothing changed, observed lately
    enqueue(queue, crm_event("contact.propertyChange", 7))
    queue.fail(queue.claim(10), "boom")
    clock.advance(settings.queue_lag_alert_s + 1)
    later = tick(instance, settings, queue, [], first.cursor)
    changed = {e.check_name: e.passed for e in later.asset_events if isinstance(e, dg.AssetCheckEvaluation)}
    assert changed == {"oldest_pending_event": False}
    clock.advance(OBSERVE_EVERY_S)
    assert [type(e) for e in tick(instance, settings, queue, [], later.cursor).asset_events] == [dg.AssetObservation]


def test_the_sensor_definition_evaluates_as_the_daemon_does(setup) -> None:
    instance, settings, queue, _ = setup
    enqueue(queue, crm_event("contact.propertyChange", 7))
    sensor = build_webhook_sensor([], interval_s=5)
    resources = {"hubspot": HubSpotResource(),
                 "warehouse": WarehouseResource(warehouse_path=str(settings.warehouse_path)),
                 "webhook_queue": WebhookQueueResource(queue_url=settings.queue_url)}
    context = dg.build_sensor_context(instance=instance, resources=resources)
    data = sensor.evaluate_tick(context)  # resolves run requests against the sensor's jobs, as the daemon does
    # The partial refresh, and (the event's fake receipt time being months ago by the real clock) a catch-up sync.
    assert sorted(r.job_name for r in data.run_requests) == ["hubspot_incremental_sync", "hubspot_partial_refresh"]
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING and sensor.minimum_interval_seconds == 5
