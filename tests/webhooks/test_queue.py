"""The queue's state machine, the same tests on SQLite and on a real Postgres server (`queue_url`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from hubspot_assets.webhooks.events import parse_batch
from hubspot_assets.webhooks.queue import WebhookQueue
from tests.webhooks.conftest import FakeClock, crm_event, empty_postgres


@pytest.fixture
def queue(queue_url: str, clock: FakeClock) -> Iterator[WebhookQueue]:
    opened = WebhookQueue(queue_url, clock=clock, max_attempts=3, claim_timeout_s=60, retention_s=3600)
    yield opened
    opened.close()


def events(count: int, subscription_type: str = "contact.propertyChange", first_id: int = 1) -> list:
    return parse_batch([crm_event(subscription_type, object_id=first_id + i) for i in range(count)])


def test_a_batch_delivered_twice_is_stored_once(queue: WebhookQueue) -> None:
    batch = events(5)
    assert queue.enqueue(batch) == 5
    assert queue.enqueue(batch) == 0
    assert queue.enqueue(batch + batch[:2]) == 0
    assert queue.depth() == {"pending": 5, "claimed": 0, "done": 0, "dead": 0}


def test_a_redelivery_after_the_refresh_does_not_queue_the_event_again(queue: WebhookQueue) -> None:
    batch = events(3)
    queue.enqueue(batch)
    queue.complete(queue.claim(10, "sensor"))
    assert queue.enqueue(batch) == 0
    assert queue.claim(10, "sensor").events == ()


def test_claims_come_oldest_change_first_whatever_the_delivery_order(queue: WebhookQueue) -> None:
    late = parse_batch([crm_event("contact.deletion", object_id=1, occurredAt=3_000)])
    early = parse_batch([crm_event("contact.creation", object_id=1, occurredAt=1_000),
                         crm_event("contact.propertyChange", object_id=1, occurredAt=2_000)])
    queue.enqueue(late)
    queue.enqueue(early)
    claimed = queue.claim(10, "sensor")
    assert [q.event.subscription_type for q in claimed.events] == [
        "contact.creation", "contact.propertyChange", "contact.deletion"]
    assert [q.event.occurred_at for q in queue.claim(10, "other").events] == []


def test_claim_takes_at_most_limit_and_counts_an_attempt(queue: WebhookQueue) -> None:
    queue.enqueue(events(7))
    first = queue.claim(4, "sensor")
    assert len(first) == 4 and all(q.attempts == 1 for q in first.events)
    assert len(queue.claim(4, "sensor")) == 3
    assert queue.depth()["claimed"] == 7


def test_concurrent_claimers_never_share_an_event(queue_url: str, clock: FakeClock) -> None:
    setup = WebhookQueue(queue_url, clock=clock)
    setup.enqueue(events(200))
    claimed: list[list[int]] = []

    def claim_all(name: str) -> None:
        own = WebhookQueue(queue_url, clock=clock)
        ids: list[int] = []
        while batch := own.claim(7, name):
            ids += batch.ids
        own.close()
        claimed.append(ids)

    threads = [threading.Thread(target=claim_all, args=(f"claimer-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    every = [row_id for ids in claimed for row_id in ids]
    assert len(every) == len(set(every)) == 200
    setup.close()


def test_complete_marks_done_and_prune_deletes_only_after_the_retention(queue: WebhookQueue,
                                                                        clock: FakeClock) -> None:
    queue.enqueue(events(4))
    batch = queue.claim(4, "sensor")
    assert queue.complete(batch) == 4
    assert queue.depth()["done"] == 4
    clock.advance(3599)
    assert queue.prune() == 0
    clock.advance(2)
    assert queue.prune() == 4
    assert sum(queue.depth().values()) == 0


def test_a_failed_refresh_returns_events_to_pending_with_its_error(queue: WebhookQueue) -> None:
    queue.enqueue(events(2))
    assert queue.fail(queue.claim(10, "sensor"), "HubSpot answered 502") == 2
    assert queue.depth()["pending"] == 2
    again = queue.claim(10, "sensor")
    assert [q.attempts for q in again.events] == [2, 2]
    queue.complete(again)
    assert queue.depth()["done"] == 2


def test_events_become_dead_letters_after_max_attempts(queue: WebhookQueue) -> None:
    queue.enqueue(events(1))
    for attempt in range(3):
        queue.fail(queue.claim(10, "sensor"), f"failure {attempt + 1}")
    assert queue.depth() == {"pending": 0, "claimed": 0, "done": 0, "dead": 1}
    (dead, error), = queue.dead_letters()
    assert (dead.attempts, error) == (3, "failure 3")
    assert queue.claim(10, "sensor").events == ()


def test_a_claim_held_past_the_timeout_is_released(queue: WebhookQueue, clock: FakeClock) -> None:
    queue.enqueue(events(3))
    queue.claim(10, "sensor-on-another-machine")
    clock.advance(59)
    assert queue.release_stale() == 0
    clock.advance(2)
    assert queue.release_stale() == 3
    assert queue.depth()["pending"] == 3


def test_completing_a_released_claim_leaves_the_new_claim_alone(queue: WebhookQueue, clock: FakeClock) -> None:
    queue.enqueue(events(2))
    slow = queue.claim(10, "slow")
    clock.advance(61)
    queue.release_stale()
    fresh = queue.claim(10, "fresh")
    assert queue.complete(slow) == 0
    assert queue.depth()["claimed"] == 2
    assert queue.complete(fresh) == 2


def test_claims_of_a_killed_process_are_released_without_waiting_for_the_timeout(
        queue: WebhookQueue, queue_url: str) -> None:
    queue.enqueue(events(5))
    child = subprocess.Popen(
        [sys.executable, "-c", CLAIM_AND_HANG, queue_url], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "claimed 5"
        assert queue.release_stale() == 0  # it still runs: its claim stands
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        child.kill()
    assert queue.release_stale() == 5
    released = queue.claim(10, "sensor")
    assert len(released) == 5 and all(q.attempts == 2 for q in released.events)


CLAIM_AND_HANG = """
import sys, time
from hubspot_assets.webhooks.queue import WebhookQueue, claimer_name
batch = WebhookQueue(sys.argv[1]).claim(10, claimer_name("partial-refresh"))
print(f"claimed {len(batch)}", flush=True)
time.sleep(600)
"""


def test_a_process_that_keeps_dying_ends_its_events_as_dead_letters(queue: WebhookQueue) -> None:
    queue.enqueue(events(1))
    for _ in range(3):
        queue.claim(10, f"partial-refresh@{socket.gethostname()}:999999999")
        queue.release_stale()  # no process has that pid
    assert queue.depth()["dead"] == 1


def test_depth_and_the_oldest_pending_age_follow_the_clock(queue: WebhookQueue, clock: FakeClock) -> None:
    assert queue.oldest_pending_age() is None
    queue.enqueue(events(2))
    clock.advance(30)
    queue.enqueue(events(1, first_id=50))
    clock.advance(12.5)
    assert queue.oldest_pending_age() == pytest.approx(42.5)
    queue.complete(queue.claim(2, "sensor"))
    assert queue.oldest_pending_age() == pytest.approx(12.5)
    assert queue.depth() == {"pending": 1, "claimed": 0, "done": 2, "dead": 0}


def test_unknown_events_are_queued_whole(queue: WebhookQueue) -> None:
    raw = {"eventId": 77, "occurredAt": 5, "subscriptionType": "contact.teleported", "objectId": 3, "to": "mars"}
    queue.enqueue(parse_batch([raw]))
    (queued,) = queue.claim(1, "sensor").events
    assert queued.event.model_dump(by_alias=True, exclude_none=True) == raw


def test_a_lost_postgres_connection_is_reopened_on_the_next_call(postgres_server) -> None:
    import psycopg

    empty_postgres(postgres_server.url)
    queue = WebhookQueue(postgres_server.url)
    (pid,), = queue.backend.execute("SELECT pg_backend_pid()")
    with psycopg.connect(postgres_server.url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    with pytest.raises(psycopg.OperationalError):
        queue.enqueue(events(1))  # the receiver answers 503 to this one; HubSpot retries it
    assert queue.enqueue(events(1, first_id=9)) == 1
    queue.close()
