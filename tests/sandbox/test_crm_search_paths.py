"""The CRM search endpoint's fast paths (vectorized) answer exactly what a record-by-record scan would."""

from __future__ import annotations

from tests.sandbox.api_calls import create, list_all, patch, post


def search_all(sandbox, body: dict) -> tuple[int, list[str]]:
    ids: list[str] = []
    after = None
    while True:
        page = post(sandbox, "/crm/v3/objects/contacts/search", {**body, "limit": 200,
                                                                 **({"after": after} if after else {})})
        assert page.status_code == 200, page.text
        data = page.json()
        ids += [r["id"] for r in data["results"]]
        after = data.get("paging", {}).get("next", {}).get("after")
        if not after:
            return data["total"], ids


def test_property_filter_search_matches_a_full_scan_including_api_changes(sandbox):
    changed = create(sandbox, "contacts", {"email": "search.paths@example.com", "lifecyclestage": "lead"})
    patch(sandbox, f"/crm/v3/objects/contacts/{changed['id']}", {"properties": {"lifecyclestage": "customer"}})
    contacts = list_all(sandbox, "/crm/v3/objects/contacts", properties="lifecyclestage,hs_buying_role")
    expected = [c["id"] for c in contacts if c["properties"]["lifecyclestage"] == "customer"]
    total, ids = search_all(sandbox, {"filterGroups": [{"filters": [
        {"propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"}]}]})
    assert total == len(ids) and ids == expected and changed["id"] in ids
    either = [c["id"] for c in contacts if c["properties"]["lifecyclestage"] == "customer"
              or "CHAMPION" in (c["properties"]["hs_buying_role"] or "").split(";")]
    total, ids = search_all(sandbox, {"filterGroups": [
        {"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"}]},
        {"filters": [{"propertyName": "hs_buying_role", "operator": "IN", "values": ["CHAMPION"]}]}]})
    assert ids == either


def test_modified_date_search_sorted_descending_matches_a_full_scan(sandbox):
    contacts = list_all(sandbox, "/crm/v3/objects/contacts", properties="lastmodifieddate")
    cutoff = sorted(c["properties"]["lastmodifieddate"] for c in contacts)[len(contacts) // 2]
    newer = [c for c in contacts if c["properties"]["lastmodifieddate"] >= cutoff]
    newer.sort(key=lambda c: int(c["id"]))
    newer.sort(key=lambda c: c["properties"]["lastmodifieddate"], reverse=True)
    total, ids = search_all(sandbox, {
        "filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": cutoff}]}],
        "sorts": [{"propertyName": "lastmodifieddate", "direction": "DESCENDING"}]})
    assert total == len(newer) and ids == [c["id"] for c in newer]
