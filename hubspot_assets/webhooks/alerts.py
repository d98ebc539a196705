"""Alerts on the webhook queue and the receiver, posted to `HUBSPOT_ALERT_WEBHOOK_URL` as a Slack incoming webhook
takes them (`{"text": ..., "blocks": [...]}`): what happened, then what to do.

Three conditions, each posted at most once per `HUBSPOT_ALERT_INTERVAL_S` while it lasts:
- `dead_letters`: events failed every refresh attempt and wait for a person (`Alerter.check_queue`);
- `queue_lag`: the oldest pending event has waited longer than `HUBSPOT_QUEUE_LAG_ALERT_S` (`Alerter.check_queue`);
- `bad_signatures`: the receiver refused `HUBSPOT_BAD_SIGNATURE_ALERT_COUNT` deliveries for their signature within
  `HUBSPOT_BAD_SIGNATURE_ALERT_WINDOW_S` (`BadSignatureCounter`, fed by the receiver).

"Once per interval" holds across processes (the receiver, the Dagster sensor): before posting, a process claims the
alert in the queue's store (`webhook_alerts`: one row per condition and when it was last sent) with one conditional
upsert, so of two processes evaluating at once only one posts. A post that fails (the URL down, an answer other
than 2xx) gives its claim back, so the next evaluation posts it again. Nothing here raises into the receiver or the
sensor: failures are logged, never with the URL, which is a secret.
"""

from __future__ import annotations

import collections
import logging
import re
import socket
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from hubspot_assets.webhooks.queue import Clock, QueuedEvent, WebhookQueue

if TYPE_CHECKING:
    from hubspot_assets.settings import Settings

DEAD_LETTERS = "dead_letters"
QUEUE_LAG = "queue_lag"
BAD_SIGNATURES = "bad_signatures"
SAMPLE_SIZE = 5  # dead letters named in an alert or a check's metadata
POST_TIMEOUT_S = 5.0
_SLACK_TEXT_LIMIT = 3000  # Slack refuses a section block whose text is longer
_SLACK_ERROR = re.compile(r"[a-z_]{1,40}")  # Slack's error answers (invalid_payload, no_service): safe to log
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Alert:
    """One alert: its condition (`dead_letters`, `queue_lag`, `bad_signatures`) and its message."""

    condition: str
    text: str

    def payload(self) -> dict[str, Any]:
        """The body of a Slack incoming webhook: `text` for notifications, the same text in a section block."""
        text = _slack_escape(self.text)[:_SLACK_TEXT_LIMIT]
        return {
            "text": text,
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": text}},
                {"type": "context", "elements": [
                    {"type": "mrkdwn", "text": f"hubspot-elt | {self.condition} | {socket.gethostname()}"}]},
            ],
        }


def _slack_escape(text: str) -> str:
    # Slack reads <...> as links and mentions; an error message quoting HTML must not become one.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- what each alert says ---------------------------------------------------------------------------------------------

def secret_values(settings: Settings) -> list[str]:
    """Every secret of `settings` (and the queue URL's password), to keep out of alerts and check metadata."""
    from hubspot_assets.settings import SECRET_SETTINGS

    values = list(settings.webhook_signing_secrets())
    for name in SECRET_SETTINGS:
        value = getattr(settings, name, None)
        if value is not None:
            values.append(value.get_secret_value())
    password = urlsplit(settings.queue_url).password
    return [value for value in [*values, password] if value]


def redact(text: str, secrets: Sequence[str]) -> str:
    """`text` with every secret replaced: last errors come from other code, which should never quote one."""
    for secret in sorted(secrets, key=len, reverse=True):  # "a,b" (HUBSPOT_WEBHOOK_SECRETS) before "a" and "b"
        text = text.replace(secret, "[redacted]")
    return text


def dead_letter_sample(letters: Sequence[tuple[QueuedEvent, str | None]],
                       secrets: Sequence[str] = ()) -> list[dict[str, Any]]:
    """What a person needs to find each dead letter and why it died: no payload, last errors redacted."""
    return [
        {
            "id": queued.id,
            "subscription_type": queued.event.subscription_type,
            "object_type": queued.event.object_type,
            "object_ids": list(queued.event.object_ids),
            "attempts": queued.attempts,
            "last_error": redact(error or "", secrets)[:300] or None,
        }
        for queued, error in letters
    ]


def dead_letters_alert(count: int, sample: Sequence[Mapping[str, Any]]) -> Alert:
    lines = [
        f"- {letter['subscription_type']} {letter['object_type'] or '?'} "
        f"{','.join(map(str, letter['object_ids'])) or '-'} ({letter['attempts']} attempts): "
        f"{letter['last_error'] or 'no error recorded'}"
        for letter in sample
    ]
    return Alert(DEAD_LETTERS, "\n".join([
        f"HubSpot webhooks: {count} event(s) in the webhook queue are dead letters: each failed every refresh "
        "attempt (HUBSPOT_QUEUE_MAX_ATTEMPTS), so the records they name are not refreshed until the next sync.",
        "First ones:", *lines,
        "What to do: fix what the last errors name, then give them another chance with "
        "`UPDATE webhook_events SET state = 'pending', attempts = 0, finished_at = NULL WHERE state = 'dead';` "
        "(docs/webhooks.md).",
    ]))


def queue_lag_alert(age_s: float, threshold_s: float, pending: int) -> Alert:
    return Alert(QUEUE_LAG, (
        f"HubSpot webhooks: the oldest pending event in the webhook queue has waited {_duration(age_s)} "
        f"(more than HUBSPOT_QUEUE_LAG_ALERT_S = {threshold_s:g} s); {pending} event(s) are pending, so the "
        "warehouse is that far behind HubSpot.\n"
        "What to do: in the Dagster UI, check that the webhook sensor is running and that its partial refresh runs "
        "succeed; runs waiting behind another warehouse writer catch up on their own."
    ))


def bad_signatures_alert(refused: Mapping[str, int], window_s: float) -> Alert:
    reasons = ", ".join(f"{reason}: {count}" for reason, count in sorted(refused.items()))
    return Alert(BAD_SIGNATURES, (
        f"HubSpot webhooks: the receiver refused {sum(refused.values())} deliveries for their signature in the last "
        f"{window_s:g} s ({reasons}); their events were not queued.\n"
        "What to do: if they come from HubSpot (a rotated client secret, a proxy that changes the URL), check "
        "HUBSPOT_CLIENT_SECRET and HUBSPOT_WEBHOOK_SECRETS, and behind a reverse proxy HUBSPOT_WEBHOOK_PUBLIC_URL; "
        "HubSpot retries refused deliveries for 24 hours, so nothing is lost if it is fixed by then. Otherwise "
        "something else posts to the receiver: block it at the proxy."
    ))


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


# -- evaluating and posting -------------------------------------------------------------------------------------------

class Alerter:
    """Evaluates the alert conditions and posts what is due (see the module docstring). Thread-safe; one per process.

    With no `url` it posts nothing (and says so once, at debug level)."""

    def __init__(self, queue: WebhookQueue, url: str | None, *, interval_s: float = 900, queue_lag_s: float = 300,
                 clock: Clock | None = None, secrets: Sequence[str] = (), timeout_s: float = POST_TIMEOUT_S) -> None:
        self.queue = queue
        self.url = url
        self.interval_s = interval_s
        self.queue_lag_s = queue_lag_s
        self.clock = clock or queue.clock
        self.secrets = list(secrets)
        self.timeout_s = timeout_s
        self._said_off = False

    @classmethod
    def from_settings(cls, settings: Settings, queue: WebhookQueue, clock: Clock | None = None) -> Alerter:
        """The alerter of `HUBSPOT_ALERT_WEBHOOK_URL`, `HUBSPOT_ALERT_INTERVAL_S` and `HUBSPOT_QUEUE_LAG_ALERT_S`."""
        url = settings.alert_webhook_url.get_secret_value() if settings.alert_webhook_url else None
        return cls(queue, url or None, interval_s=settings.alert_interval_s, queue_lag_s=settings.queue_lag_alert_s,
                   clock=clock, secrets=secret_values(settings))

    @property
    def enabled(self) -> bool:
        """Whether alerts are posted: an alert URL is set (the first time it is not, the debug log says so)."""
        if not self.url and not self._said_off:
            self._said_off = True
            logger.debug("HUBSPOT_ALERT_WEBHOOK_URL is not set: no alerts are posted")
        return bool(self.url)

    def check_queue(self) -> list[Alert]:
        """Evaluate dead letters and queue lag, post each alert that is due; returns those this call posted.
        Never raises: an unreadable queue or a failed post is logged, and a failed post is retried next time."""
        if not self.enabled:
            return []
        try:
            due = self.queue_alerts()
        except Exception as error:
            logger.warning("webhook alerts not evaluated: the queue could not be read (%s)", type(error).__name__)
            return []
        return [alert for alert in due if self.send(alert)]

    def queue_alerts(self) -> list[Alert]:
        """The queue's alert conditions that hold now, posted or not (reads the queue; may raise its errors)."""
        alerts = []
        depth = self.queue.depth()
        if depth["dead"]:
            sample = dead_letter_sample(self.queue.dead_letters(SAMPLE_SIZE), self.secrets)
            alerts.append(dead_letters_alert(depth["dead"], sample))
        age = self.queue.oldest_pending_age()
        if age is not None and age > self.queue_lag_s:
            alerts.append(queue_lag_alert(age, self.queue_lag_s, depth["pending"]))
        return alerts

    def alert_bad_signatures(self, refused: Mapping[str, int], window_s: float) -> Alert | None:
        """Post the bad-signature alert if it is due (`refused`: count by reason); the alert when posted. Never
        raises."""
        if not self.enabled:
            return None
        alert = bad_signatures_alert(refused, window_s)
        return alert if self.send(alert) else None

    def send(self, alert: Alert) -> bool:
        """Post `alert` unless it was posted (by any process) within the interval; True when this call posted it."""
        if not self.enabled:
            return False
        try:
            claimed_at = self._claim(alert.condition)
        except Exception as error:
            logger.warning("webhook alert %s not posted: the queue's store could not be written (%s)",
                           alert.condition, type(error).__name__)
            return False
        if claimed_at is None:
            return False  # posted within the interval, here or by another process
        if self._post(alert):
            logger.info("webhook alert %s posted", alert.condition)
            return True
        self._give_back(alert.condition, claimed_at)
        return False

    def _claim(self, condition: str) -> int | None:
        # One statement, so two processes cannot both see the alert as due: the row is written only if absent or
        # older than the interval, and RETURNING says whether this process wrote it.
        now = int(self.clock() * 1000)
        rows = self.queue.backend.execute(
            "INSERT INTO webhook_alerts (alert, sent_at) VALUES (?, ?) ON CONFLICT (alert) DO UPDATE"
            " SET sent_at = excluded.sent_at WHERE webhook_alerts.sent_at <= ? RETURNING alert",
            [condition, now, now - int(self.interval_s * 1000)],
        )
        return now if rows else None

    def _give_back(self, condition: str, claimed_at: int) -> None:
        # As if never sent, so the next evaluation (here or in another process) posts it.
        try:
            self.queue.backend.execute("DELETE FROM webhook_alerts WHERE alert = ? AND sent_at = ?",
                                       [condition, claimed_at])
        except Exception as error:
            logger.warning("webhook alert %s: its claim could not be given back (%s); it is posted after the "
                           "interval instead", condition, type(error).__name__)

    def _post(self, alert: Alert) -> bool:
        try:
            answer = requests.post(self.url, json=alert.payload(), timeout=self.timeout_s, allow_redirects=False)
        except Exception as error:  # the message of a connection error quotes the URL: log the type only
            logger.warning("webhook alert %s not posted to HUBSPOT_ALERT_WEBHOOK_URL (%s); posted again at the next "
                           "evaluation", alert.condition, type(error).__name__)
            return False
        if 200 <= answer.status_code < 300:
            return True
        # Slack answers errors with a short code; any other body may quote the URL's path, which is the secret.
        said = answer.text.strip()
        reason = f": {said}" if _SLACK_ERROR.fullmatch(said) else ""
        logger.warning("webhook alert %s not posted: HUBSPOT_ALERT_WEBHOOK_URL answered %d%s; posted again at the "
                       "next evaluation", alert.condition, answer.status_code, reason)
        return False


class BadSignatureCounter:
    """Counts the receiver's refusals for a signature over a sliding window; at `threshold` within `window_s`, asks
    the alerter for the `bad_signatures` alert on a thread of its own, so the answer to HubSpot never waits for it.
    At most one evaluation runs at a time, and at most one starts per window (a flood of bad requests is not a
    flood of writes to the store)."""

    def __init__(self, alerter: Alerter, threshold: int, window_s: float) -> None:
        self.alerter = alerter
        self.threshold = threshold
        self.window_s = window_s
        self._refused: collections.deque[tuple[float, str]] = collections.deque()
        self._lock = threading.Lock()
        self._next_evaluation = float("-inf")
        self._running: threading.Thread | None = None

    @classmethod
    def from_settings(cls, settings: Settings, alerter: Alerter) -> BadSignatureCounter:
        """The counter of `HUBSPOT_BAD_SIGNATURE_ALERT_COUNT` within `HUBSPOT_BAD_SIGNATURE_ALERT_WINDOW_S`."""
        return cls(alerter, settings.bad_signature_alert_count, settings.bad_signature_alert_window_s)

    def record(self, reason: str) -> threading.Thread | None:
        """Count one refusal (`reason`: the rejection's label); returns the thread evaluating the alert, if this
        refusal started one. Cheap and never raises: the receiver calls it while answering."""
        if not self.alerter.enabled:
            return None
        now = self.alerter.clock()
        with self._lock:
            self._refused.append((now, reason))
            while self._refused and self._refused[0][0] <= now - self.window_s:
                self._refused.popleft()
            if len(self._refused) < self.threshold or now < self._next_evaluation:
                return None
            if self._running is not None and self._running.is_alive():
                return None
            self._next_evaluation = now + self.window_s
            refused = dict(collections.Counter(reason for _, reason in self._refused))
            self._running = threading.Thread(target=self._evaluate, args=(refused,), name="webhook-alert",
                                             daemon=True)
        self._running.start()
        return self._running

    def _evaluate(self, refused: dict[str, int]) -> None:
        try:
            self.alerter.alert_bad_signatures(refused, self.window_s)
        except Exception:  # alert_bad_signatures logs its own failures; this is the last guard of the thread
            logger.exception("webhook alert bad_signatures failed")

    def wait(self, timeout_s: float = 10) -> None:
        """Wait for a running evaluation (tests, shutdown)."""
        running = self._running
        if running is not None:
            running.join(timeout_s)

