"""Any number of properties, never a 414: the wide portal's contacts carry ~330 properties, far past the
sandbox's URL limit when asked for in one GET."""

from __future__ import annotations

import requests

from hubspot_assets.hubspot.url_plan import UrlPlanner
from tests.client.clients import flatten, make_client
from tests.client.sandbox_admin import endpoint_count, live_ids, request_stats, reset_stats

LIST = "GET /crm/v3/objects/{objectType}"
BATCH_READ = "POST /crm/v3/objects/{objectType}/batch/read"


def _all_contact_properties(client) -> list[str]:
    names = [p.name for p in client.properties("contacts")]
    assert len(names) > 300, "the sandbox portal should be wide"
    return names


def test_one_get_with_every_property_would_be_refused_414(sandbox, tmp_path):
    # The control: without the client's planning, HubSpot (and the sandbox) refuse such a URL.
    names = _all_contact_properties(make_client(sandbox, tmp_path))
    answer = requests.get(
        f"{sandbox.url}/crm/v3/objects/contacts",
        params={"properties": ",".join(names)},
        headers=sandbox.headers,
        timeout=30,
    )
    assert answer.status_code == 414


def test_list_every_property_of_every_contact_without_414(sandbox_factory, tmp_path):
    sandbox = sandbox_factory()
    client = make_client(sandbox, tmp_path)
    names = _all_contact_properties(client)
    reset_stats(sandbox)
    records = flatten(client.list_records("contacts", names))
    stats = request_stats(sandbox)
    assert "414" not in {str(k) for k in stats["by_status"]}
    assert sorted((r["id"] for r in records), key=int) == live_ids(sandbox, "contacts")
    # Every value agrees with a batch read of the same records (properties in the POST body, no URL at all).
    sample = records[:: max(1, len(records) // 40)]
    truth = {r["id"]: r for r in client.read_records("contacts", [r["id"] for r in sample], names).results}
    for record in sample:
        expected = {k: v for k, v in truth[record["id"]]["properties"].items() if v not in (None, "")}
        got = {k: v for k, v in record["properties"].items() if v not in (None, "")}
        assert got == expected
        assert set(record["properties"]) <= set(names) | {"hs_object_id"}
    # With the default 7,000-character cap, 330 names need 2 URLs: the split is chosen (2 requests per page,
    # no batch reads), which is the cheapest way here.
    pages = -(-len(records) // 100)
    assert endpoint_count(stats, LIST) == 2 * pages
    assert endpoint_count(stats, BATCH_READ) == 0


def test_ids_then_batch_read_is_chosen_when_split_would_cost_more(sandbox_factory, tmp_path):
    sandbox = sandbox_factory()
    wide = make_client(sandbox, tmp_path, max_url_length=2_500)  # ~4+ URLs per page: split would cost more
    names = _all_contact_properties(wide)
    reset_stats(sandbox)
    by_batch = flatten(wide.list_records("contacts", names))
    stats = request_stats(sandbox)
    pages = -(-len(by_batch) // 100)
    assert endpoint_count(stats, LIST) == pages and endpoint_count(stats, BATCH_READ) == pages
    assert "414" not in {str(k) for k in stats["by_status"]}
    split = flatten(make_client(sandbox, tmp_path).list_records("contacts", names))
    assert [r["id"] for r in by_batch] == [r["id"] for r in split]
    for a, b in zip(by_batch, split, strict=True):
        assert {k: v for k, v in a["properties"].items() if v is not None} == {
            k: v for k, v in b["properties"].items() if v is not None
        }


def test_read_one_record_with_every_property_without_414(sandbox, tmp_path):
    client = make_client(sandbox, tmp_path)
    names = _all_contact_properties(client)
    contact_id = live_ids(sandbox, "contacts")[3]
    record = client.get_record("contacts", contact_id, names, associations=["companies"])
    assert record["id"] == contact_id
    narrow = client.get_record("contacts", contact_id, names[:20], associations=["companies"])
    for key in names[:20]:
        assert record["properties"].get(key) == narrow["properties"].get(key)
    assert record.get("associations") == narrow.get("associations")


def test_url_plan_keeps_each_request_under_the_cap():
    api = UrlPlanner("http://127.0.0.1:8765", max_length=1_000)
    names = [f"custom_property_with_a_long_name_{i:03d}" for i in range(120)]
    path = "/crm/v3/objects/contacts"
    base = [("limit", "100"), ("archived", "false"), ("after", "9" * 24)]
    plan = api.plan_property_requests(
        path, base, names, ["lifecyclestage"], first_extra=[("associations", "companies")]
    )
    assert len(plan) > 1
    sent = []
    for query in plan:
        prepared = requests.Request("GET", api.base_url + path, params=query).prepare()
        assert len(prepared.url) <= 1_000
        assert api.url_length(path, query) == len(prepared.url)
        for key, value in query:
            if key == "properties":
                sent.extend(value.split(","))
    assert sent == names  # every name once, in order
    assert sum(1 for q in plan for k, _ in q if k == "associations") == 1
