"""New conversation messages through `POST /_sandbox/mutate`: they move the thread's latestMessageTimestamp,
reopen closed threads, show up for incremental readers, and are delivered as `conversation.newMessage` webhooks."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

V3 = "/conversations/v3/conversations"


class Receiver:
    """A webhook target on 127.0.0.1 (ephemeral port) collecting every delivered event."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        received = self.events

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", "0"))
                received.extend(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hubspot"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, predicate, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in list(self.events) if predicate(e)]
            if found:
                return found
            time.sleep(0.05)
        return []


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    target = Receiver()
    yield target
    target.server.shutdown()
    target.server.server_close()


def get(sandbox, path: str, **params) -> dict:
    answer = requests.get(sandbox.url + path, params=params, headers=sandbox.headers, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_new_message_moves_latest_timestamp_reopens_thread_and_fires_webhook(sandbox_factory, receiver):
    sandbox = sandbox_factory(webhook_target=receiver.url, webhook_backoff_scale=0.001)
    threads = get(sandbox, f"{V3}/threads", limit=100)["results"]
    closed = next(t for t in threads if t["status"] == "CLOSED")
    before = get(sandbox, f"{V3}/threads/{closed['id']}/messages", limit=500)["results"]
    start = time.time()

    answer = sandbox.admin("mutate", {"operations": [
        {"op": "new_message", "thread_id": closed["id"], "text": "¿Sigue abierto? 👋 <b>bold</b>"}]})
    assert answer, answer

    thread = get(sandbox, f"{V3}/threads/{closed['id']}")
    assert thread["latestMessageTimestamp"] > closed["latestMessageTimestamp"]
    assert thread["status"] == "OPEN" and "closedAt" not in thread
    after = get(sandbox, f"{V3}/threads/{closed['id']}/messages", limit=500)["results"]
    assert after[:len(before)] == before  # history is untouched; the new message comes last
    new = [m for m in after[len(before):] if m["type"] == "MESSAGE"]
    assert len(new) == 1
    message = new[0]
    assert message["text"] == "¿Sigue abierto? 👋 <b>bold</b>"
    assert message["richText"] == "<div>¿Sigue abierto? 👋 &lt;b&gt;bold&lt;/b&gt;</div>"
    assert message["direction"] == "INCOMING" and message["createdAt"] == thread["latestMessageTimestamp"]
    assert message["senders"][0]["actorId"] == f"V-{closed['associatedContactId']}"
    assert any(m["type"] == "THREAD_STATUS_CHANGE" and m["newStatus"] == "OPEN" for m in after[len(before):])

    # An incremental reader asking for threads changed since just before the mutation finds exactly this one.
    since = str(int(start * 1000) - 1000)
    changed = get(sandbox, f"{V3}/threads", sort="latestMessageTimestamp", latestMessageTimestampAfter=since)
    assert [t["id"] for t in changed["results"]] == [closed["id"]]

    events = receiver.wait_for(lambda e: e.get("subscriptionType") == "conversation.newMessage")
    assert events, receiver.events
    event = events[0]
    assert event["objectId"] == int(closed["id"]) and event["messageId"] == message["id"]
    assert event["messageType"] == "MESSAGE" and event["occurredAt"] >= int(start * 1000) - 1000


def test_random_messages_shortcut_adds_messages_to_threads(sandbox_factory):
    sandbox = sandbox_factory()
    since = str(int(time.time() * 1000) - 1000)
    sandbox.admin("mutate", {"random": {"messages": 3}, "seed": 7})
    changed = get(sandbox, f"{V3}/threads", sort="latestMessageTimestamp", latestMessageTimestampAfter=since)
    assert 1 <= len(changed["results"]) <= 3
    for thread in changed["results"]:
        messages = get(sandbox, f"{V3}/threads/{thread['id']}/messages", limit=500)["results"]
        latest = max(m["createdAt"] for m in messages if m["type"] == "MESSAGE")
        assert latest == thread["latestMessageTimestamp"]


def test_new_message_for_unknown_thread_is_refused(sandbox):
    # A refused mutation applies nothing, so the shared sandbox does: no fresh one is started.
    answer = requests.post(f"{sandbox.url}/_sandbox/mutate", timeout=30,
                           json={"operations": [{"op": "new_message", "thread_id": "42"}]})
    assert answer.status_code in (400, 404)
    assert "42" in answer.text


def test_reads_and_new_messages_run_concurrently_without_errors(sandbox_factory):
    from concurrent.futures import ThreadPoolExecutor

    sandbox = sandbox_factory()
    thread_ids = [t["id"] for t in get(sandbox, f"{V3}/threads", limit=20)["results"]]

    def read(i: int) -> int:
        path = f"{V3}/threads/{thread_ids[i % len(thread_ids)]}/messages" if i % 2 else f"{V3}/threads"
        return requests.get(sandbox.url + path, headers=sandbox.headers, timeout=30).status_code

    def write(i: int) -> int:
        return requests.post(f"{sandbox.url}/_sandbox/mutate", timeout=30, json={"operations": [
            {"op": "new_message", "thread_id": thread_ids[i % len(thread_ids)], "direction": "OUTGOING"}]}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        reads = [pool.submit(read, i) for i in range(60)]
        writes = [pool.submit(write, i) for i in range(20)]
        statuses = [f.result(timeout=60) for f in reads + writes]
    assert statuses == [200] * 80
    ids = [m["id"] for tid in thread_ids for m in get(sandbox, f"{V3}/threads/{tid}/messages", limit=500)["results"]]
    assert len(set(ids)) == len(ids)
    total = len(ids)
    fresh = sandbox_factory()
    before = sum(len(get(fresh, f"{V3}/threads/{tid}/messages", limit=500)["results"]) for tid in thread_ids)
    assert total == before + 20  # every write landed exactly once (outgoing messages never reopen threads)
