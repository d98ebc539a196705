"""CRM search through the sandbox's real HTTP endpoint: filters, totals, paging, the 10,000 cap, archived
records, the indexing lag and HubSpot's 400s."""

from __future__ import annotations

from datetime import datetime, timezone

import requests

SEARCH = "/crm/v3/objects/contacts/search"


def search(sandbox, body: dict, path: str = SEARCH) -> requests.Response:
    return requests.post(sandbox.url + path, json=body, headers=sandbox.headers, timeout=60)


def all_contacts(sandbox, properties: str) -> list[dict]:
    records: list[dict] = []
    after = None
    while True:
        params = {"limit": 100, "properties": properties, **({"after": after} if after else {})}
        body = requests.get(f"{sandbox.url}/crm/v3/objects/contacts", params=params, headers=sandbox.headers,
                            timeout=30).json()
        records += body["results"]
        after = body.get("paging", {}).get("next", {}).get("after")
        if not after:
            return records


def epoch_ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(timezone.utc).timestamp() * 1000)


def test_search_by_modified_date_window_pages_through_exactly_the_matching_contacts(sandbox):
    contacts = all_contacts(sandbox, "lastmodifieddate")
    stamps = sorted(epoch_ms(c["properties"]["lastmodifieddate"]) for c in contacts)
    low, high = stamps[len(stamps) // 4], stamps[len(stamps) // 2]
    expected = sorted(int(c["id"]) for c in contacts
                      if low <= epoch_ms(c["properties"]["lastmodifieddate"]) <= high)
    body = {"filterGroups": [{"filters": [
        {"propertyName": "lastmodifieddate", "operator": "GTE", "value": str(low)},
        # The upper bound as ISO-8601: both forms are accepted.
        {"propertyName": "lastmodifieddate", "operator": "LTE",
         "value": datetime.fromtimestamp(high / 1000, timezone.utc).isoformat(timespec="milliseconds")},
    ]}], "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}], "limit": 100,
        "properties": ["email", "lastmodifieddate"]}
    seen: list[int] = []
    after = None
    while True:
        answer = search(sandbox, {**body, **({"after": after} if after else {})})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert page["total"] == len(expected)
        seen += [int(r["id"]) for r in page["results"]]
        after = page.get("paging", {}).get("next", {}).get("after")
        if after is None:
            break
        assert after == str(len(seen))  # a stringified offset
    assert seen == expected


def test_search_or_groups_and_contains_token_wildcard(sandbox):
    contacts = all_contacts(sandbox, "email,firstname")
    domain = contacts[0]["properties"]["email"].split("@")[1]
    name = next(c["properties"]["firstname"] for c in contacts if c["properties"].get("firstname"))
    expected = {c["id"] for c in contacts
                if (c["properties"].get("email") or "").lower().endswith("@" + domain.lower())
                or (c["properties"].get("firstname") or "").lower() == name.lower()}
    answer = search(sandbox, {"filterGroups": [
        {"filters": [{"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": f"*@{domain}"}]},
        {"filters": [{"propertyName": "firstname", "operator": "EQ", "value": name.upper()}]},
    ], "limit": 200})
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert page["total"] == len(expected)
    ids = {r["id"] for r in page["results"]}
    while "paging" in page:
        page = search(sandbox, {"filterGroups": [
            {"filters": [{"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": f"*@{domain}"}]},
            {"filters": [{"propertyName": "firstname", "operator": "EQ", "value": name.upper()}]},
        ], "limit": 200, "after": page["paging"]["next"]["after"]}).json()
        ids |= {r["id"] for r in page["results"]}
    assert ids == expected


def test_search_answers_400_for_hubspot_limits_with_a_message_naming_the_problem(sandbox):
    flt = {"propertyName": "email", "operator": "HAS_PROPERTY"}
    cases = [
        ({"filterGroups": [{"filters": [flt]}] * 6}, "filter groups"),
        ({"filterGroups": [{"filters": [flt] * 7}]}, "filterGroups[0]"),
        ({"sorts": [{"propertyName": "email"}, {"propertyName": "firstname"}]}, "sorts"),
        ({"query": "a" * 3001}, "3000"),
        ({"limit": 201}, "limit"),
        ({"filterGroups": [{"filters": [{"propertyName": "email", "operator": "SIMILAR", "value": "x"}]}]}, "SIMILAR"),
        ({"filterGroups": [{"filters": [{"propertyName": "email", "operator": "IN", "value": "x"}]}]}, "values"),
        ({"after": "10000"}, "10000"),
    ]
    for body, needle in cases:
        answer = search(sandbox, body)
        assert answer.status_code == 400, (body, answer.text)
        error = answer.json()
        assert error["category"] == "VALIDATION_ERROR" and error["correlationId"], error
        assert needle in error["message"], (needle, error["message"])


def test_search_query_finds_a_contact_by_name_prefix(sandbox):
    contacts = all_contacts(sandbox, "firstname,lastname,email")
    target = next(c for c in contacts if c["properties"].get("lastname") and c["properties"].get("firstname"))
    prefix = target["properties"]["lastname"][:4]
    answer = search(sandbox, {"query": f"{target['properties']['firstname']} {prefix}", "limit": 200})
    assert answer.status_code == 200, answer.text
    assert target["id"] in {r["id"] for r in answer.json()["results"]}


def test_search_excludes_archived_records_and_lags_behind_changes(sandbox_factory):
    lagging = sandbox_factory(search_lag_ms=60_000)
    created = requests.post(f"{lagging.url}/crm/v3/objects/contacts", headers=lagging.headers, timeout=30,
                            json={"properties": {"email": "fresh.s3@example.com", "firstname": "Fresh"}})
    assert created.status_code == 201, created.text
    by_email = {"filterGroups": [{"filters": [
        {"propertyName": "email", "operator": "EQ", "value": "fresh.s3@example.com"}]}]}
    # Readable at once, but not yet in the search index.
    assert requests.get(f"{lagging.url}/crm/v3/objects/contacts/{created.json()['id']}", headers=lagging.headers,
                        timeout=30).status_code == 200
    assert search(lagging, by_email).json()["total"] == 0

    sandbox = sandbox_factory()
    contact = all_contacts(sandbox, "email")[0]
    email = contact["properties"]["email"]
    body = {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}]}
    assert search(sandbox, body).json()["total"] >= 1
    archived = requests.delete(f"{sandbox.url}/crm/v3/objects/contacts/{contact['id']}", headers=sandbox.headers,
                               timeout=30)
    assert archived.status_code == 204
    assert contact["id"] not in {r["id"] for r in search(sandbox, body).json()["results"]}


def test_search_restarts_past_10000_results(sandbox_factory):
    big = sandbox_factory(scale="10500")
    body = {"sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}], "limit": 200,
            "properties": ["hs_object_id"]}
    seen: list[int] = []
    after = None
    while True:
        answer = search(big, {**body, **({"after": after} if after else {})})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        seen += [int(r["id"]) for r in page["results"]]
        after = page.get("paging", {}).get("next", {}).get("after")
        if after is None or int(after) >= 10_000:
            break
    assert len(seen) == 10_000 and page["total"] > 10_000
    refused = search(big, {**body, "after": after})
    assert refused.status_code == 400 and refused.json()["category"] == "VALIDATION_ERROR"
    # The proven way on: restart with hs_object_id above the last id seen.
    rest_body = {**body, "filterGroups": [{"filters": [
        {"propertyName": "hs_object_id", "operator": "GT", "value": str(seen[-1])}]}]}
    after = None
    while True:
        page = search(big, {**rest_body, **({"after": after} if after else {})}).json()
        seen += [int(r["id"]) for r in page["results"]]
        after = page.get("paging", {}).get("next", {}).get("after")
        if after is None:
            break
    truth = big.admin("truth/contacts")
    assert seen == [int(r["id"]) for r in truth["results"] if not r["archived"]]
