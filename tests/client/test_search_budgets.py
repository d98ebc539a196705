"""Each call spends the right rate budget: searches the 5/s search budget, v4 association batch reads the
associations budget (outside the 10-second limit), everything else the general budget; developer-key calls
none.

The transport's limiter is wrapped by a recorder (the HTTP still goes to the sandbox): which budget a call
asks for is the client's decision, and this is where it shows.
"""

from __future__ import annotations

from hubspot_assets.hubspot.client import HubSpotClient
from hubspot_assets.hubspot.ratelimit import RateLimiter
from hubspot_assets.hubspot.transport import Budget, Transport
from tests.client.clients import flatten, make_client
from tests.client.sandbox_admin import live_ids


class _BudgetRecorder(RateLimiter):
    """The real limiter, noting which budget each call asks for."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[str, str]] = []

    def acquire(self, budget, *, method=None, endpoint=None) -> float:
        self.calls.append((f"{method} {endpoint}", Budget(budget).value))
        return super().acquire(budget, method=method, endpoint=endpoint)


def test_each_call_spends_its_own_budget(sandbox, tmp_path):
    settings = make_client(sandbox, tmp_path).settings
    recorder = _BudgetRecorder(settings, key="c2-budget-test", tier=settings.tier)
    client = HubSpotClient(settings, transport=Transport(settings, rate_limiter=recorder))
    ids = live_ids(sandbox, "contacts")[:10]

    flatten(client.search_records("contacts", properties=["email"], page_size=100))
    flatten(client.modified_since("deals", 0))
    list(client.associations("contacts", "companies", ids))
    flatten(client.list_records("contacts", page_size=100))
    client.read_records("contacts", ids)
    client.webhook_subscriptions(sandbox.config.app_id, sandbox.config.developer_api_key)

    spent = {endpoint: budget for endpoint, budget in recorder.calls}
    assert spent["POST /crm/v3/objects/{objectType}/search"] == "search"
    assert spent["POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read"] == "associations"
    assert spent["GET /crm/v3/objects/{objectType}"] == "general"
    assert spent["POST /crm/v3/objects/{objectType}/batch/read"] == "general"
    assert not any(
        "webhooks" in endpoint for endpoint in spent
    )  # developer-key calls spend no account budget
    searches = sum(1 for e, _ in recorder.calls if e.endswith("/search"))
    assert searches >= 2 and all(b == "search" for e, b in recorder.calls if e.endswith("/search"))
