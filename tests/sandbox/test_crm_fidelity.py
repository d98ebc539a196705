"""Small fidelity points over HTTP: quotes (0-14), line-item amounts, 405 answers."""

from __future__ import annotations

from decimal import Decimal

import requests

from tests.sandbox.api_calls import get, list_all, post


def test_quotes_are_served_by_name_and_type_id_and_linked_to_deals(sandbox):
    by_name = list_all(sandbox, "/crm/v3/objects/quotes")
    by_id = list_all(sandbox, "/crm/objects/2026-03/0-14")
    assert by_name and [q["id"] for q in by_name] == [q["id"] for q in by_id]
    assert {"hs_title", "hs_status", "hs_createdate", "hs_lastmodifieddate"} <= set(by_name[0]["properties"])
    assert len(by_name) == sandbox.admin("truth/quotes")["total"]
    links = post(sandbox, "/crm/v4/associations/quotes/deals/batch/read",
                 {"inputs": [{"id": q["id"]} for q in by_name]}).json()["results"]
    assert links and all(t["associationTypes"][0]["typeId"] == 64 for r in links for t in r["to"])
    names = {p["name"] for p in get(sandbox, "/crm/v3/properties/quotes").json()["results"]}
    assert {"hs_title", "hs_expiration_date", "hs_quote_amount"} <= names


def test_line_item_amount_is_quantity_times_unit_price_less_discount(sandbox):
    items = get(sandbox, "/crm/v3/objects/line_items", limit=100,
                properties="quantity,price,discount,amount").json()["results"]
    assert any(i["properties"]["discount"] is None for i in items)
    for item in items:
        p = item["properties"]
        unit = max(Decimal(p["price"]) - Decimal(p["discount"] or 0), Decimal(0))
        assert Decimal(p["amount"]) == Decimal(p["quantity"]) * unit, p


def test_a_wrong_method_answers_405_with_a_json_error_body_and_allow_header(sandbox):
    for method, path, allowed in (("PUT", "/crm/v3/objects/contacts", {"GET", "POST"}),
                                  ("POST", "/crm/v3/objects/contacts/53", {"GET", "PATCH", "DELETE"})):
        answer = requests.request(method, sandbox.url + path, headers=sandbox.headers, timeout=30)
        assert answer.status_code == 405 and answer.headers["content-type"].startswith("application/json")
        body = answer.json()
        assert body["status"] == "error" and body["correlationId"] == answer.headers["X-HubSpot-Correlation-Id"]
        assert method in body["message"] and body["category"]
        assert set(answer.headers["Allow"].split(", ")) == allowed


def test_search_with_limit_zero_counts_without_a_paging_cursor(sandbox):
    body = post(sandbox, "/crm/v3/objects/contacts/search", {"limit": 0}).json()
    assert body["total"] > 0 and body["results"] == [] and "paging" not in body


def test_reading_by_a_property_that_is_not_unique_is_a_400(sandbox):
    answer = get(sandbox, "/crm/v3/objects/contacts/Ada", idProperty="firstname")
    assert answer.status_code == 400 and "idProperty" in answer.json()["message"]


def test_an_association_type_given_with_the_wrong_category_is_a_400(sandbox):
    contact = get(sandbox, "/crm/v3/objects/contacts", limit=1).json()["results"][0]["id"]
    company = get(sandbox, "/crm/v3/objects/companies", limit=1).json()["results"][0]["id"]
    answer = requests.put(f"{sandbox.url}/crm/v4/objects/contacts/{contact}/associations/companies/{company}",
                          json=[{"associationCategory": "USER_DEFINED", "associationTypeId": 1}],
                          headers=sandbox.headers, timeout=30)
    assert answer.status_code == 400 and "HUBSPOT_DEFINED" in answer.json()["message"]
