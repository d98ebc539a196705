"""Search past HubSpot's 10,000-result cap: restarts on hs_object_id keep every filter, never repeat a record,
never ask for a page past the cap, and respect the 18-filter limit."""

from __future__ import annotations

from datetime import datetime

import pytest

from hubspot_assets.hubspot.errors import HubSpotError
from hubspot_assets.hubspot.search import SearchLimitError
from hubspot_assets.sandbox.config import SandboxConfig
from hubspot_assets.sandbox.server import SandboxServer
from tests.client.clients import flatten, make_client
from tests.client.sandbox_admin import request_stats, reset_stats, truth

CONTACTS = 12_000


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


@pytest.fixture(scope="module")
def big():
    """A portal with 12,000 contacts (search must restart to read them all)."""
    with SandboxServer(SandboxConfig(seed=42, scale=str(CONTACTS), tier="unlimited")) as server:
        yield server


@pytest.fixture(scope="module")
def live(big):
    """Live contacts: id -> updatedAt (epoch ms)."""
    return {r["id"]: _ms(r["updatedAt"]) for r in truth(big, "contacts") if not r["archived"]}


def _ids(pages) -> list[str]:
    return [r["id"] for r in flatten(pages)]


def test_search_restarts_past_10000_results(big, live, tmp_path):
    assert len(live) > 10_000
    client = make_client(big, tmp_path)
    reset_stats(big)
    ids = _ids(client.search_records("contacts", properties=["email"]))
    assert len(ids) == len(set(ids)), "a record came twice across a restart"
    assert set(ids) == set(live)
    assert [int(i) for i in ids] == sorted(int(i) for i in ids)  # hs_object_id ascending throughout
    stats = request_stats(big)
    assert "400" not in {str(k) for k in stats["by_status"]}, "a page past the cap was asked for"


@pytest.fixture(scope="module")
def small_live(sandbox):
    """Live contacts of the session sandbox: id -> updatedAt (epoch ms)."""
    return {r["id"]: _ms(r["updatedAt"]) for r in truth(sandbox, "contacts") if not r["archived"]}


# Multi-group searches are slow to evaluate in the sandbox, so the next two run on the small portal with the
# client's cap lowered to 300: the restart code is the same, it only starts sooner (HubSpot's own cap is
# proven above and in `test_modified_since_reads_the_window_past_10000`).
SMALL_CAP = 300


def test_restart_keeps_the_callers_filters_in_every_group(sandbox, small_live, tmp_path):
    times = sorted(small_live.values())
    early, late = times[len(times) // 3], times[len(times) // 2]
    # Two OR-ed groups: modified before `early`, or at/after `late`; the first group's second filter must
    # survive every restart too.
    groups = [
        {
            "filters": [
                {"propertyName": "lastmodifieddate", "operator": "LT", "value": str(early)},
                {"propertyName": "hs_object_id", "operator": "GT", "value": "0"},
            ]
        },
        {"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": str(late)}]},
    ]
    expected = {i for i, t in small_live.items() if t < early or t >= late}
    assert len(expected) > 2 * SMALL_CAP
    client = make_client(sandbox, tmp_path, search_cap=SMALL_CAP)
    ids = _ids(client.search_records("contacts", filter_groups=groups, page_size=100))
    assert len(ids) == len(set(ids))
    assert set(ids) == expected


def test_groups_are_split_when_bounds_would_pass_18_filters(sandbox, small_live, tmp_path):
    times = sorted(small_live.values())
    cuts = [times[0]] + [times[len(times) * k // 5] for k in range(1, 5)] + [times[-1] + 1]
    # Five groups of three filters: adding the restart bound to each would need 20 > 18 filters. Windows
    # overlap, so a record can match two groups that land in different queries: it must still come once.
    groups, windows = [], []
    for k in range(5):
        lo, hi = cuts[k], cuts[k + 1] + (86_400_000 if k < 4 else 0)
        windows.append((lo, hi))
        groups.append(
            {
                "filters": [
                    {"propertyName": "lastmodifieddate", "operator": "GTE", "value": str(lo)},
                    {"propertyName": "lastmodifieddate", "operator": "LT", "value": str(hi)},
                    {"propertyName": "hs_object_id", "operator": "HAS_PROPERTY"},
                ]
            }
        )
    expected = {i for i, t in small_live.items() if any(lo <= t < hi for lo, hi in windows)}
    overlap = [i for i, t in small_live.items() if sum(lo <= t < hi for lo, hi in windows) > 1]
    assert overlap, "the windows should overlap so that de-duplication matters"
    client = make_client(sandbox, tmp_path, search_cap=SMALL_CAP)
    reset_stats(sandbox)
    ids = _ids(client.search_records("contacts", filter_groups=groups, page_size=100))
    assert len(ids) == len(set(ids))
    assert set(ids) == expected
    assert "400" not in {str(k) for k in request_stats(sandbox)["by_status"]}  # the 18-filter limit was kept


def test_modified_since_reads_the_window_past_10000(big, live, tmp_path):
    client = make_client(big, tmp_path)
    since = min(live.values())
    records = flatten(client.modified_since("contacts", since, ["email"]))
    assert len(records) > 10_000
    assert {r["id"] for r in records} == set(live)
    assert all("lastmodifieddate" in r["properties"] for r in records)

    times = sorted(live.values())
    lo, hi = times[len(times) // 4], times[len(times) // 2]
    window = _ids(client.modified_since("contacts", lo, until_ms=hi))
    assert set(window) == {i for i, t in live.items() if lo <= t < hi}


def test_other_sort_past_the_cap_raises_a_clear_error(big, tmp_path):
    client = make_client(big, tmp_path)
    pages = client.search_records("contacts", sorts=["-createdate"])
    with pytest.raises(SearchLimitError, match="drop the sort or narrow the filters") as caught:
        next(pages)
    # Caught with every other client error, and it is not worth retrying.
    assert isinstance(caught.value, HubSpotError) and not caught.value.retryable


def test_six_filter_group_past_the_cap_raises_before_a_bad_request(big, live, tmp_path):
    client = make_client(big, tmp_path)
    six = [{"propertyName": "hs_object_id", "operator": "GT", "value": str(-k)} for k in range(6)]
    with pytest.raises(SearchLimitError, match="at most 5 filters per group"):
        for _ in client.search_records("contacts", filter_groups=[{"filters": six}]):
            pass


def test_search_within_the_cap_keeps_the_callers_sort(sandbox, tmp_path):
    client = make_client(sandbox, tmp_path)
    records = flatten(client.search_records("contacts", sorts=["-createdate"], properties=["createdate"]))
    stamps = [r["properties"]["createdate"] for r in records]
    assert stamps == sorted(stamps, reverse=True)
    assert {r["id"] for r in records} == {r["id"] for r in truth(sandbox, "contacts") if not r["archived"]}
