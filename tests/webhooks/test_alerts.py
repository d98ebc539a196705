"""Alerts posted to a real HTTP server of the test's (standing in for Slack): once per condition per interval, even
across processes sharing the store; again after the interval (clock moved by hand); a failed post is retried at the
next evaluation and never raises; a burst of bad signatures through the real receiver alerts without delaying its
answer."""

from __future__ import annotations

import http.server
import logging
import threading
from collections.abc import Iterator

import orjson
import pytest
import requests
import uvicorn

from hubspot_assets.sandbox.server import bind_socket
from hubspot_assets.settings import Settings
from hubspot_assets.webhooks.alerts import (
    BAD_SIGNATURES,
    DEAD_LETTERS,
    QUEUE_LAG,
    Alerter,
    BadSignatureCounter,
)
from hubspot_assets.webhooks.app import create_app_from_settings
from hubspot_assets.webhooks.events import parse_batch
from hubspot_assets.webhooks.queue import WebhookQueue
from tests.webhooks.conftest import FakeClock, crm_event, deliver

SLACK_PATH = "/services/T0000/B0000/not-a-real-secret-path"
INTERVAL_S = 900


class AlertServer:
    """A Slack incoming webhook on 127.0.0.1: records each POST's JSON body; `status` is what it answers; while
    `hold` is cleared every answer waits for it."""

    def __init__(self, port: int = 0) -> None:
        self.posts: list[dict] = []
        self.posted = threading.Event()
        self.status = 200
        self.hold = threading.Event()
        self.hold.set()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                server.hold.wait(10)
                server.posts.append({"path": self.path, "json": orjson.loads(body)})
                server.posted.set()
                self.send_response(server.status)
                self.end_headers()
                self.wfile.write(b"ok" if server.status == 200 else b"no_service")

            def log_message(self, *args: object) -> None:
                pass

        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.http.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}{SLACK_PATH}"
        self.thread = threading.Thread(target=self.http.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.hold.set()
        self.http.shutdown()
        self.http.server_close()

    def texts(self) -> list[str]:
        return [post["json"]["text"] for post in self.posts]


@pytest.fixture
def slack() -> Iterator[AlertServer]:
    server = AlertServer()
    yield server
    server.stop()


def open_queue(url: str, clock: FakeClock) -> WebhookQueue:
    return WebhookQueue(url, clock=clock, max_attempts=1)


def make_dead_letter(queue: WebhookQueue, error: str = "HubSpot answered 502 on GET /crm/v3/objects/contacts/101",
                     object_id: int = 101) -> None:
    queue.enqueue(parse_batch([crm_event(object_id=object_id)]))
    queue.fail(queue.claim(10), error)  # max_attempts=1: the first failure makes it dead


@pytest.fixture
def alerters(sqlite_url: str, clock: FakeClock, slack: AlertServer) -> Iterator[tuple[Alerter, Alerter]]:
    """Two alerters, each on its own connection to one store: the receiver's and the sensor's processes."""
    queues = [open_queue(sqlite_url, clock) for _ in range(2)]
    yield tuple(Alerter(queue, slack.url, interval_s=INTERVAL_S, queue_lag_s=300) for queue in queues)
    for queue in queues:
        queue.close()


def test_dead_letters_are_posted_once_per_interval_whichever_process_evaluates(alerters, clock, slack) -> None:
    receiver_side, sensor_side = alerters
    make_dead_letter(receiver_side.queue)

    [alert] = sensor_side.check_queue()
    assert alert.condition == DEAD_LETTERS
    for _ in range(3):
        assert receiver_side.check_queue() == [] and sensor_side.check_queue() == []
    clock.advance(INTERVAL_S - 1)
    assert receiver_side.check_queue() == []
    assert len(slack.posts) == 1

    clock.advance(1)  # the interval has passed: the condition still holds, so it is posted again, once
    assert [a.condition for a in receiver_side.check_queue()] == [DEAD_LETTERS]
    assert sensor_side.check_queue() == []
    assert len(slack.posts) == 2

    body = slack.posts[0]["json"]
    assert body["text"].startswith("HubSpot webhooks: 1 event(s) in the webhook queue are dead letters")
    assert "contact.propertyChange contacts 101 (1 attempts): HubSpot answered 502" in body["text"]
    assert "What to do:" in body["text"] and "UPDATE webhook_events SET state = 'pending'" in body["text"]
    assert body["blocks"][0] == {"type": "section", "text": {"type": "mrkdwn", "text": body["text"]}}
    assert slack.posts[0]["path"] == SLACK_PATH


def test_a_secret_quoted_by_a_last_error_is_not_posted(sqlite_url, clock, slack) -> None:
    queue = open_queue(sqlite_url, clock)
    make_dead_letter(queue, error="refresh failed: 401 for token pat-na1-very-secret")
    alerter = Alerter(queue, slack.url, secrets=["pat-na1-very-secret"])
    assert len(alerter.check_queue()) == 1
    assert "pat-na1-very-secret" not in slack.texts()[0] and "token [redacted]" in slack.texts()[0]
    queue.close()


def test_the_queue_lag_is_posted_once_the_oldest_pending_event_passes_the_threshold(alerters, clock, slack) -> None:
    alerter, _ = alerters
    alerter.queue.enqueue(parse_batch([crm_event(), crm_event(object_id=102)]))
    clock.advance(300)
    assert alerter.check_queue() == []  # at the threshold, not past it
    clock.advance(1)
    [alert] = alerter.check_queue()
    assert alert.condition == QUEUE_LAG
    assert "the oldest pending event in the webhook queue has waited 5 min (more than HUBSPOT_QUEUE_LAG_ALERT_S = " \
        "300 s)" in alert.text
    assert "2 event(s) are pending" in alert.text and "webhook sensor" in alert.text
    alerter.queue.complete(alerter.queue.claim(10))
    clock.advance(INTERVAL_S)
    assert alerter.check_queue() == []  # nothing pending any more: nothing to say
    assert slack.texts() == [alert.text]


@pytest.mark.parametrize("failure", ["down", "error answer"])
def test_a_failed_post_raises_nothing_and_is_posted_at_the_next_evaluation(sqlite_url, clock, caplog,
                                                                          failure: str) -> None:
    slack = AlertServer()
    queue = open_queue(sqlite_url, clock)
    make_dead_letter(queue)
    alerter = Alerter(queue, slack.url, interval_s=INTERVAL_S)
    port = slack.port
    if failure == "down":
        slack.stop()
    else:
        slack.status = 503
    try:
        with caplog.at_level(logging.WARNING, logger="hubspot_assets.webhooks"):
            assert alerter.check_queue() == []
        assert "dead_letters not posted" in caplog.text
        assert SLACK_PATH not in caplog.text and str(port) not in caplog.text  # the URL is a secret
        if failure == "down":
            slack = AlertServer(port)  # back up, where it was
        else:
            assert "answered 503: no_service" in caplog.text
            slack.status = 200
        # Not a second later, not after the interval: at the very next evaluation.
        assert [a.condition for a in alerter.check_queue()] == [DEAD_LETTERS]
        assert len(slack.posts) == (1 if failure == "down" else 2)
        assert alerter.check_queue() == []
    finally:
        slack.stop()
        queue.close()


def test_without_an_alert_url_nothing_is_evaluated_or_posted_and_it_is_said_once(sqlite_url, clock, caplog) -> None:
    queue = open_queue(sqlite_url, clock)
    make_dead_letter(queue)
    alerter = Alerter(queue, None)
    with caplog.at_level(logging.DEBUG, logger="hubspot_assets.webhooks.alerts"):
        assert alerter.check_queue() == [] and alerter.check_queue() == []
        assert alerter.alert_bad_signatures({"bad_signature": 50}, 60) is None
    assert caplog.text.count("HUBSPOT_ALERT_WEBHOOK_URL is not set") == 1
    assert queue.backend.execute("SELECT COUNT(*) FROM webhook_alerts") == [(0,)]
    queue.close()


def test_a_burst_of_bad_signatures_at_the_receiver_is_posted_once_without_delaying_its_answers(
        receiver_factory, sqlite_url, clock, slack) -> None:
    alerter = Alerter(WebhookQueue(sqlite_url, clock=clock), slack.url, interval_s=INTERVAL_S)
    counter = BadSignatureCounter(alerter, threshold=3, window_s=60)
    receiver = receiver_factory(bad_signatures=counter)
    slack.hold.clear()  # the alert's post hangs until the end: the receiver must answer all the same

    assert deliver(receiver.url, [crm_event()], secret="wrong", version="v1").status_code == 401
    assert requests.post(receiver.url, data=b"[]", timeout=10).status_code == 401  # no signature at all
    clock.advance(61)  # the first two fall out of the window
    answers = [deliver(receiver.url, [crm_event()], secret="wrong", version="v2").status_code for _ in range(2)]
    assert answers == [401, 401]
    answers = [deliver(receiver.url, [crm_event()], secret="wrong", version="v2").status_code for _ in range(5)]
    assert answers == [401] * 5  # answered while the post of the third is still held
    assert deliver(receiver.url, [crm_event()]).status_code == 204  # and good deliveries are still stored
    slack.hold.set()
    counter.wait()
    [text] = slack.texts()
    assert text.startswith("HubSpot webhooks: the receiver refused 3 deliveries for their signature in the last 60 s"
                           " (bad_signature: 3)")
    assert "HUBSPOT_CLIENT_SECRET" in text and "HUBSPOT_WEBHOOK_PUBLIC_URL" in text

    clock.advance(INTERVAL_S)  # still refusing a burst an interval later: posted again
    for _ in range(3):
        deliver(receiver.url, [crm_event()], secret="wrong", version="v1")
    counter.wait()
    assert len(slack.posts) == 2 and "bad_signature: 3" in slack.texts()[1]
    assert alerter.queue.backend.execute("SELECT alert FROM webhook_alerts") == [(BAD_SIGNATURES,)]
    alerter.queue.close()


def test_the_receiver_built_from_settings_alerts_on_a_burst_as_its_settings_say(sqlite_url, clock, slack) -> None:
    settings = Settings(client_secret="current", queue_url=sqlite_url, alert_webhook_url=slack.url,
                        bad_signature_alert_count=2, bad_signature_alert_window_s=30)
    queue = WebhookQueue.from_settings(settings, clock=clock)
    app = create_app_from_settings(settings, queue, clock=clock)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    sock = bind_socket("127.0.0.1", 0)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}{settings.webhook_path}"
    try:
        assert [deliver(url, [crm_event()], secret="wrong", version="v1").status_code for _ in range(2)] == [401] * 2
        assert slack.posted.wait(10)
    finally:
        server.should_exit = True
        thread.join(10)
    assert "refused 2 deliveries for their signature in the last 30 s" in slack.texts()[0]
    # Another process (the sensor's), on its own connection: the receiver's claim holds for the interval.
    sensor_side = Alerter.from_settings(settings, open_queue(sqlite_url, clock))
    assert sensor_side.alert_bad_signatures({"bad_signature": 2}, 30) is None
    clock.advance(settings.alert_interval_s)
    assert sensor_side.alert_bad_signatures({"bad_signature": 2}, 30) is not None
    assert len(slack.posts) == 2
    sensor_side.queue.close()
    queue.close()


def test_of_processes_evaluating_at_once_exactly_one_posts(queue_url: str, clock, slack) -> None:
    """The claim is one statement: on SQLite and on a real Postgres, eight racing alerters post one alert."""
    queues = [WebhookQueue(queue_url, clock=clock, max_attempts=1) for _ in range(8)]
    make_dead_letter(queues[0])
    alerters = [Alerter(queue, slack.url, interval_s=INTERVAL_S) for queue in queues]
    start = threading.Barrier(len(alerters))
    posted: list[int] = []

    def evaluate(alerter: Alerter) -> None:
        start.wait(10)
        posted.append(len(alerter.check_queue()))

    threads = [threading.Thread(target=evaluate, args=(alerter,)) for alerter in alerters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(posted) == [0] * 7 + [1]
    assert len(slack.posts) == 1
    for queue in queues:
        queue.close()


def test_the_alert_url_is_a_secret_an_empty_one_means_no_alerts_and_a_bad_one_is_named_not_shown() -> None:
    from hubspot_assets.settings import SettingsError, load_settings

    assert load_settings(alert_webhook_url="").alert_webhook_url is None
    settings = load_settings(alert_webhook_url="https://hooks.slack.com/services/T0/B0/sekrit")
    assert "sekrit" not in repr(settings)
    with pytest.raises(SettingsError, match="HUBSPOT_ALERT_WEBHOOK_URL must start with https://") as refused:
        load_settings(alert_webhook_url="hooks.slack.com/services/T0/B0/sekrit")
    assert "sekrit" not in str(refused.value)
