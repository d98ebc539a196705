"""Bulk reads as Arrow pages (`read_record_page`, `search_record_page`): the same records and values as the dict
forms, over real HTTP; a body of another shape still loads (parsed the usual way); a cut-off body is retried."""

from __future__ import annotations

import pyarrow as pa

from hubspot_assets.hubspot.record_pages import RecordPage, decoder, parse_answer
from tests.client.clients import make_client
from tests.client.sandbox_admin import clear_faults, force_fault, live_ids

PROPS = ["email", "firstname", "lastname", "createdate", "hs_merged_object_ids", "not_a_property"]


def _as_dicts(records) -> dict[str, dict]:
    return {str(r["id"]): r for r in records}


def test_a_batch_read_page_holds_what_the_dict_read_holds(sandbox, tmp_path):
    client = make_client(sandbox, tmp_path)
    ids = live_ids(sandbox, "contacts")[:100]
    page = client.read_record_page("contacts", ids, PROPS)
    assert isinstance(page, RecordPage) and sorted(page.ids.tolist()) == sorted(int(i) for i in ids)
    expected = _as_dicts(client.read_records("contacts", ids, PROPS).results)
    got = _as_dicts(page)
    assert got.keys() == expected.keys()
    for record_id, record in expected.items():
        for key in ("createdAt", "updatedAt", "archived"):
            assert got[record_id][key] == record[key], (record_id, key)
        for name in PROPS:  # a property HubSpot did not send is null, like an absent key
            assert got[record_id]["properties"][name] == record["properties"].get(name), (record_id, name)


def test_a_search_page_holds_what_the_dict_search_holds_with_its_total_and_cursor(sandbox, tmp_path):
    client = make_client(sandbox, tmp_path)
    body = {"filterGroups": [], "sorts": [{"propertyName": "hs_object_id", "direction": "DESCENDING"}],
            "properties": PROPS, "limit": 50}
    page, total, after = client.search_record_page("contacts", body)
    records, total_dicts, after_dicts = client.search_page("contacts", body)
    assert (total, after) == (total_dicts, after_dicts) and total > 50 and after
    assert page.ids.tolist() == [int(r["id"]) for r in records]  # the order HubSpot gave (descending ids)
    assert [r["properties"]["email"] for r in page] == [r["properties"].get("email") for r in records]
    kept = page.take(page.ids % 2 == 0)
    assert kept.ids.tolist() == [i for i in page.ids.tolist() if i % 2 == 0]
    assert [r["id"] for r in kept] == [str(i) for i in kept.ids.tolist()]


def test_a_cut_off_page_is_retried_like_any_malformed_answer(sandbox, tmp_path):
    client = make_client(sandbox, tmp_path)
    ids = live_ids(sandbox, "contacts")[:20]
    clear_faults(sandbox)
    force_fault(sandbox, "truncate", count=1, path="/crm/v3/objects/contacts/batch/read")
    try:
        page = client.read_record_page("contacts", ids, PROPS)
    finally:
        clear_faults(sandbox)
    assert sorted(page.ids.tolist()) == sorted(int(i) for i in ids)
    assert client.transport.metrics.snapshot()["retries"] >= 1


def test_an_answer_of_another_shape_is_parsed_the_usual_way_and_loses_nothing():
    # HubSpot sends property values and ids as strings; a number, a boolean or a pretty-printed body must not
    # break a load: the Arrow reader declines, orjson parses, and the values become text.
    names = ["a", "b"]
    odd = b'{"results": [{"id": 7, "properties": {"a": 3, "b": true}, "archived": false}], "total": 1}'
    assert parse_answer(odd, names, searched=True) is None
    decoded = decoder(names, searched=True)(odd)
    assert isinstance(decoded, dict)  # the transport's caller checks and converts it
    page = RecordPage.from_dicts(decoded["results"], names)
    assert list(page) == [{"id": "7", "createdAt": None, "updatedAt": None, "archived": False, "archivedAt": None,
                           "properties": {"a": "3", "b": "true"}}]
    pretty = b'{\n  "results": [\n    {"id": "7", "properties": {"a": "x"}}\n  ]\n}\n'
    parsed = parse_answer(pretty, names)
    assert parsed is not None and parsed[0].ids.tolist() == [7]
    assert parse_answer(b'{"results": [{"id": "x7", "properties": {}}]}', names) is None  # not a record id
    assert parse_answer(b'{"status": "error"}', names) is None
    try:
        decoder(names)(b'{"results": [{"id": "7"')
    except ValueError:
        pass
    else:
        raise AssertionError("a cut-off body must raise ValueError (the transport retries it as malformed)")
    assert pa.types.is_struct(page.records.type)
