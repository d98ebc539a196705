"""The receiver's Prometheus metrics, served at `GET /metrics` in Prometheus' text format.

Counters and the answer histogram live in the receiver's process; queue depth, the age of the oldest pending
event and dead letters are read from the queue at each scrape, so they are right whichever process changed it.
Each app has its own registry: two receivers in one process (tests) do not add up each other's counts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hubspot_assets.webhooks.queue import WebhookQueue

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# HubSpot gives up on an answer after 5 s; the buckets resolve the range that matters below that.
ANSWER_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
logger = logging.getLogger(__name__)


class QueueCollector(Collector):
    """Queue gauges, read when Prometheus scrapes."""

    def __init__(self, queue: WebhookQueue) -> None:
        self.queue = queue

    def collect(self) -> Iterator[Metric]:
        try:
            depth = self.queue.depth()
            oldest = self.queue.oldest_pending_age()
        except Exception as error:  # a scrape must not fail the receiver; the gap in the graph shows it
            logger.warning("webhook queue unreadable for /metrics: %s", type(error).__name__)
            return
        by_state = GaugeMetricFamily("hubspot_webhook_queue_depth", "Events in the webhook queue, by state.",
                                     labels=["state"])
        for state, count in depth.items():
            by_state.add_metric([state], count)
        yield by_state
        yield GaugeMetricFamily("hubspot_webhook_oldest_pending_age_seconds",
                                "Seconds since the oldest pending event was received (0 when none is).",
                                value=oldest or 0.0)
        yield GaugeMetricFamily("hubspot_webhook_dead_letters",
                                "Events that failed every refresh attempt and wait for a person.",
                                value=depth["dead"])


class ReceiverMetrics:
    """What the receiver counts (see the module docstring)."""

    def __init__(self, queue: WebhookQueue) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.received = Counter("hubspot_webhook_events_received", "Events in accepted batches, by subscription type.",
                                ["subscription_type"], registry=self.registry)
        self.duplicates = Counter("hubspot_webhook_events_duplicate",
                                  "Events already in the queue (HubSpot delivers at least once).",
                                  registry=self.registry)
        self.unknown = Counter("hubspot_webhook_events_unknown",
                               "Events of a type this receiver does not know (stored and acknowledged).",
                               ["subscription_type"], registry=self.registry)
        self.rejected = Counter("hubspot_webhook_requests_rejected", "Requests refused, by reason.", ["reason"],
                                registry=self.registry)
        self.answer_seconds = Histogram("hubspot_webhook_answer_seconds",
                                        "Time from a delivery's arrival to its answer.", ["status"],
                                        buckets=ANSWER_BUCKETS, registry=self.registry)
        self.registry.register(QueueCollector(queue))

    def render(self) -> bytes:
        return generate_latest(self.registry)
