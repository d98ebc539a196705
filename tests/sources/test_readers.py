"""A full read of an object type from both ends: list pages from the lowest id, search from the highest."""

from __future__ import annotations

from collections import Counter
from typing import Any

import requests

from hubspot_assets.hubspot.client import HubSpotClient
from hubspot_assets.sources.readers import read_all_records
from tests.sources.sandbox_warehouse import settings_for, truth


def _live(server: Any, object_type: str) -> set[int]:
    return {i for i, r in truth(server, object_type).items() if not r["archived"]}


def _stats(server: Any) -> dict:
    return requests.get(f"{server.url}/_sandbox/stats", timeout=10).json()["requests"]


def _reset(server: Any) -> None:
    requests.post(f"{server.url}/_sandbox/stats/reset", json={}, timeout=10).raise_for_status()


def _read(server: Any, tmp_path, object_type: str, properties: list[str], **overrides: Any) -> Counter:
    client = HubSpotClient.from_settings(settings_for(server, tmp_path, **overrides))
    try:
        seen: Counter = Counter()
        for page in read_all_records(client, object_type, properties, workers=3):
            for record in page:
                seen[int(record["id"])] += 1
                assert set(properties) <= set(record["properties"]), "a record came without the asked properties"
        return seen
    finally:
        client.close()


def _requests(server: Any, endpoint: str) -> int:
    """Requests since the last reset to an endpoint template, e.g. "POST /crm/v3/objects/{objectType}/search"."""
    return int(_stats(server).get("by_endpoint", {}).get(endpoint, 0))


SEARCH = "POST /crm/v3/objects/{objectType}/search"
LIST = "GET /crm/v3/objects/{objectType}"
BATCH_READ = "POST /crm/v3/objects/{objectType}/batch/read"


def test_a_full_read_of_a_narrow_type_gets_every_live_record_from_both_ends(sandbox, tmp_path):
    _reset(sandbox)
    seen = _read(sandbox, tmp_path, "deals", ["dealname", "amount", "hs_lastmodifieddate"])
    assert set(seen) == _live(sandbox, "deals")
    # Both sides worked: searches came down from the top, list pages climbed from the bottom, and they met
    # instead of each reading everything: every record came exactly once.
    searches, lists = _requests(sandbox, SEARCH), _requests(sandbox, LIST)
    assert searches >= 1 and lists >= 1, (searches, lists)
    assert max(seen.values()) == 1


def test_a_full_read_of_a_wide_type_reads_ids_then_batches_and_searches(sandbox, tmp_path):
    names = [p["name"] for p in requests.get(f"{sandbox.url}/crm/v3/properties/contacts", headers=sandbox.headers,
                                             timeout=30).json()["results"]]
    assert len(names) > 300  # too many for a URL: the list side lists ids and reads them in batches
    _reset(sandbox)
    seen = _read(sandbox, tmp_path, "contacts", names)
    assert set(seen) == _live(sandbox, "contacts")
    assert max(seen.values()) == 1
    assert _requests(sandbox, BATCH_READ) >= 1 and _requests(sandbox, SEARCH) >= 1


def test_when_search_fails_the_list_side_reads_everything(sandbox_factory, tmp_path):
    server = sandbox_factory()
    # Every search of deals answers 503 (after the client's retries the search side gives up).
    requests.post(f"{server.url}/_sandbox/faults", json={"force": {"kind": "503", "count": 10_000,
                                                                     "path": "/crm/v3/objects/deals/search"}},
                  timeout=10).raise_for_status()
    seen = _read(server, tmp_path, "deals", ["dealname"], retry_max_attempts=2, retry_backoff_max_s=0.05)
    assert set(seen) == _live(server, "deals")
    assert max(seen.values()) == 1


class _Shuffled:
    """The real client, but list pages come in descending id order (HubSpot promises no order; `after` is opaque)."""

    def __init__(self, client: HubSpotClient) -> None:
        self._client = client

    def list_records(self, *args: Any, **kwargs: Any):
        pages = list(self._client.list_records(*args, **kwargs))
        return iter([list(reversed(page)) for page in reversed(pages)])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_list_pages_out_of_id_order_still_give_every_record(sandbox, tmp_path):
    client = HubSpotClient.from_settings(settings_for(sandbox, tmp_path))
    try:
        seen = Counter(int(r["id"]) for page in read_all_records(_Shuffled(client), "tickets", ["subject"], workers=2)
                       for r in page)
    finally:
        client.close()
    assert set(seen) == _live(sandbox, "tickets")


def test_search_lanes_go_to_the_read_with_the_most_work_left_and_a_stopped_read_gives_up_its_place():
    import threading
    import time

    from hubspot_assets.sources.readers import SearchLanes

    lanes = SearchLanes(lanes=1)
    holder = lanes.acquire(5.0, threading.Event())
    order: list[str] = []
    stops = {name: threading.Event() for name in ("small", "big", "gone")}

    def wait(name: str, work_left: float) -> None:
        ticket = lanes.acquire(work_left, stops[name])
        if ticket is not None:
            order.append(name)
            lanes.release(ticket)

    threads = [threading.Thread(target=wait, args=args) for args in (("small", 10.0), ("gone", 1e9), ("big", 1e6))]
    for thread in threads:
        thread.start()
        time.sleep(0.05)  # queued in this order: small first
    stops["gone"].set()  # its list side finished the read: it must not wait for (nor take) a lane
    time.sleep(0.3)
    lanes.release(holder)
    for thread in threads:
        thread.join(10)
    assert order == ["big", "small"]


def test_a_wave_of_searches_shifted_by_records_archived_meanwhile_skips_no_record(sandbox_factory, tmp_path):
    import threading

    server = sandbox_factory()
    client = HubSpotClient.from_settings(settings_for(server, tmp_path))
    live_before = sorted(_live(server, "contacts"))
    assert len(live_before) > 450
    archived = live_before[-15:]  # the 15 highest ids: all on the first search page of the first wave
    first_answered = threading.Event()

    class ArchivingMeanwhile:
        """The real client; the second page of the first wave is asked only after the first page was answered and
        15 of its records were archived, so it comes 15 records later than planned (more than the overlap)."""

        shifted = False

        def search_record_page(self, object_type: str, body: dict) -> Any:
            if body.get("after") and not self.shifted:
                self.shifted = True
                assert first_answered.wait(30)
                ops = [{"op": "archive", "objectType": "contacts", "id": str(i)} for i in archived]
                server.admin("mutate", json={"operations": ops})
            answer = client.search_record_page(object_type, body)
            first_answered.set()
            return answer

        def __getattr__(self, name: str) -> Any:
            return getattr(client, name)

    wrapper = ArchivingMeanwhile()
    try:
        seen: Counter = Counter()
        for page in read_all_records(wrapper, "contacts", ["firstname", "email"], search_wave=2):
            for record in page:
                seen[int(record["id"])] += 1
    finally:
        client.close()
    assert wrapper.shifted, "the second page of a wave was never asked"
    missing = set(live_before) - set(archived) - set(seen)
    assert not missing, f"live records never read: {sorted(missing)[:10]}"
    assert set(seen) <= set(live_before) and max(seen.values()) == 1
