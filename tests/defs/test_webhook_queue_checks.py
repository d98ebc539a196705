"""The webhook queue's asset checks: they pass on an empty queue, fail on a late pending event or on dead letters
with metadata a person can act on (and no secret), and run on their own as Dagster runs them from the UI."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from hubspot_assets.defs.resources import HubSpotResource, WarehouseResource, WebhookQueueResource
from hubspot_assets.defs.webhook_queue import (
    NO_DEAD_LETTERS,
    OLDEST_PENDING_EVENT,
    QUEUE_KEY,
    queue_check_evaluations,
    queue_observation,
    queue_spec,
    webhook_queue_checks,
)
from hubspot_assets.settings import Settings
from hubspot_assets.webhooks.events import parse_batch
from hubspot_assets.webhooks.queue import WebhookQueue
from tests.defs.dagster_runs import check_results
from tests.webhooks.conftest import FakeClock, crm_event

CLIENT_SECRET = "client-secret-never-shown"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def queue_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'queue.sqlite'}"


@pytest.fixture
def queue(queue_url: str, clock: FakeClock) -> Iterator[WebhookQueue]:
    opened = WebhookQueue(queue_url, clock=clock, max_attempts=1)
    yield opened
    opened.close()


def by_name(evaluations: list[dg.AssetCheckEvaluation]) -> dict[str, dg.AssetCheckEvaluation]:
    assert {e.asset_key for e in evaluations} == {QUEUE_KEY}
    return {evaluation.check_name: evaluation for evaluation in evaluations}


def make_dead_letters(queue: WebhookQueue, *object_ids: int, error: str) -> None:
    queue.enqueue(parse_batch([crm_event("deal.propertyChange", object_id=i) for i in object_ids]))
    queue.fail(queue.claim(100), error)  # max_attempts=1: dead at the first failure


def test_both_checks_pass_on_an_empty_queue_and_the_observation_says_it_is_empty(queue) -> None:
    checks = by_name(queue_check_evaluations(queue, Settings()))
    assert set(checks) == {OLDEST_PENDING_EVENT, NO_DEAD_LETTERS}
    assert all(check.passed and check.description is None for check in checks.values())
    assert checks[NO_DEAD_LETTERS].metadata["dead_letters"].value == 0
    observation = queue_observation(queue)
    assert observation.asset_key == QUEUE_KEY
    assert {name: value.value for name, value in observation.metadata.items()} == {
        "pending": 0, "claimed": 0, "done": 0, "dead": 0, "oldest_pending_age_s": 0.0}


def test_oldest_pending_event_fails_once_it_waited_longer_than_the_lag_threshold(queue, clock) -> None:
    settings = Settings(queue_lag_alert_s=120)
    queue.enqueue(parse_batch([crm_event(), crm_event(object_id=102)]))
    clock.advance(120)
    assert by_name(queue_check_evaluations(queue, settings))[OLDEST_PENDING_EVENT].passed  # at it, not past it
    clock.advance(1)
    late = by_name(queue_check_evaluations(queue, settings))[OLDEST_PENDING_EVENT]
    assert not late.passed and late.severity == dg.AssetCheckSeverity.ERROR
    assert late.description.startswith("The oldest pending event was received 121 s ago (more than "
                                       "HUBSPOT_QUEUE_LAG_ALERT_S = 120 s) and 2 are pending")
    assert {name: value.value for name, value in late.metadata.items()} == {
        "oldest_pending_age_s": 121.0, "threshold_s": 120, "pending": 2}
    assert queue_observation(queue).metadata["oldest_pending_age_s"].value == 121.0

    queue.complete(queue.claim(10))  # the refresh caught up
    assert by_name(queue_check_evaluations(queue, settings))[OLDEST_PENDING_EVENT].passed


def test_no_dead_letters_fails_with_their_count_types_ids_and_last_errors_but_no_secret(queue) -> None:
    settings = Settings(client_secret=CLIENT_SECRET)
    make_dead_letters(queue, 7, 8, error=f"HubSpot answered 502 on GET /crm/v3/objects/deals (key {CLIENT_SECRET})")
    dead = by_name(queue_check_evaluations(queue, settings))[NO_DEAD_LETTERS]
    assert not dead.passed
    assert dead.description.startswith("2 event(s) failed every refresh attempt")
    assert "UPDATE webhook_events SET state = 'pending'" in dead.description
    assert dead.metadata["dead_letters"].value == 2
    sample = dead.metadata["sample"].value
    assert [(s["subscription_type"], s["object_type"], s["object_ids"], s["attempts"]) for s in sample] == [
        ("deal.propertyChange", "deals", [7], 1), ("deal.propertyChange", "deals", [8], 1)]
    assert sample[0]["last_error"] == "HubSpot answered 502 on GET /crm/v3/objects/deals (key [redacted])"
    assert CLIENT_SECRET not in repr(dead) and "propertyValue" not in repr(dead)  # no secret, no payload
    assert queue_observation(queue).metadata["dead"].value == 2


def test_the_checks_run_on_their_own_with_the_queue_of_the_run_settings(queue_url, tmp_path) -> None:
    # The run reads the wall clock: events received an hour ago (a clock of the past) are late whatever "now" is.
    past = WebhookQueue(queue_url, clock=FakeClock(time.time() - 3600), max_attempts=1)
    make_dead_letters(past, 9, error="HubSpot answered 500")
    past.enqueue(parse_batch([crm_event(object_id=10)]))
    past.close()
    resources = {
        "hubspot": HubSpotResource(client_secret=CLIENT_SECRET),
        "warehouse": WarehouseResource(warehouse_path=str(tmp_path / "warehouse.duckdb")),
        "webhook_queue": WebhookQueueResource(queue_url=queue_url, queue_lag_alert_s=60),
    }
    result = dg.materialize([queue_spec, webhook_queue_checks], resources=resources, raise_on_error=False,
                            selection=dg.AssetSelection.checks_for_assets(QUEUE_KEY))
    checks = {name: evaluation for (_, name), evaluation in check_results(result).items()}
    assert set(checks) == {OLDEST_PENDING_EVENT, NO_DEAD_LETTERS}
    assert not checks[OLDEST_PENDING_EVENT].passed and checks[OLDEST_PENDING_EVENT].metadata["pending"].value == 1
    assert not checks[NO_DEAD_LETTERS].passed
    assert checks[NO_DEAD_LETTERS].metadata["sample"].value[0]["object_ids"] == [9]
    assert not (tmp_path / "warehouse.duckdb").exists()  # the checks never open the warehouse

    # The UI can execute one check alone: the op evaluates and yields only the selected one.
    alone = dg.materialize([queue_spec, webhook_queue_checks], resources=resources,
                           selection=dg.AssetSelection.checks(dg.AssetCheckKey(QUEUE_KEY, NO_DEAD_LETTERS)),
                           raise_on_error=False)
    assert [name for _, name in check_results(alone)] == [NO_DEAD_LETTERS]


def test_the_webhook_queue_resource_reads_its_variables_in_the_run_and_defaults_to_the_settings(monkeypatch) -> None:
    from hubspot_assets.defs.resources import from_environment, resource_variables, run_settings

    assert run_settings(HubSpotResource(), WarehouseResource(), WebhookQueueResource()) == Settings()
    for variable in resource_variables(WebhookQueueResource).values():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HUBSPOT_QUEUE_URL", "postgresql://hubspot@db.internal/queue")
    monkeypatch.setenv("HUBSPOT_ALERT_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/secret")
    monkeypatch.setenv("HUBSPOT_QUEUE_LAG_ALERT_S", "45")
    fields = from_environment(WebhookQueueResource)
    assert {name: var.env_var_name for name, var in fields.items()} == {
        "queue_url": "HUBSPOT_QUEUE_URL", "alert_webhook_url": "HUBSPOT_ALERT_WEBHOOK_URL",
        "queue_lag_alert_s": "HUBSPOT_QUEUE_LAG_ALERT_S"}  # a secret never enters the run config as text
    resource = WebhookQueueResource(queue_url="sqlite:///q.sqlite", queue_claim_timeout_s=30, queue_lag_alert_s=45)
    settings = run_settings(HubSpotResource(), WarehouseResource(), resource)
    assert (settings.queue_url, settings.queue_claim_timeout_s, settings.queue_lag_alert_s) == \
        ("sqlite:///q.sqlite", 30.0, 45)
