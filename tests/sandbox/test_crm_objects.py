"""CRM object reads over real HTTP: paging, both path families, property quirks, batch read, validation."""

from __future__ import annotations

import requests

from tests.sandbox.api_calls import get, list_all, post

TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "tickets": "0-5", "products": "0-7",
            "line_items": "0-8", "calls": "0-48", "emails": "0-49", "notes": "0-46", "meetings": "0-47",
            "tasks": "0-27", "communications": "0-18"}


def test_paging_through_every_contact_matches_truth(sandbox):
    seen = [r["id"] for r in list_all(sandbox, "/crm/v3/objects/contacts", properties="email")]
    truth = sandbox.admin("truth/contacts")
    live = [r["id"] for r in truth["results"] if not r["archived"]]
    assert seen == live
    assert len(seen) == truth["total"] > 900


def test_every_object_type_pages_completely_by_type_id_on_the_dated_path(sandbox):
    schemas = {s["name"]: s["objectTypeId"] for s in get(sandbox, "/crm/v3/schemas").json()["results"]}
    assert set(schemas) >= {"pets", "vehicles"} and all(t.startswith("2-") for t in schemas.values())
    for object_type, type_id in {**TYPE_IDS, **schemas}.items():
        records = list_all(sandbox, f"/crm/objects/2026-03/{type_id}")
        truth = sandbox.admin(f"truth/{object_type}")
        assert [r["id"] for r in records] == [r["id"] for r in truth["results"] if not r["archived"]], object_type
        assert len(records) > 0


def test_archived_true_lists_only_archived_records(sandbox):
    archived = list_all(sandbox, "/crm/v3/objects/contacts", archived="true")
    truth = sandbox.admin("truth/contacts")
    assert [r["id"] for r in archived] == [r["id"] for r in truth["results"] if r["archived"]]
    assert archived and all(r["archived"] is True and r["archivedAt"] for r in archived)


def test_dated_paths_answer_exactly_like_legacy_paths(sandbox):
    pairs = [
        ("/crm/v3/objects/contacts", "/crm/objects/2026-03/contacts", {"limit": 7, "properties": "email,city"}),
        ("/crm/v3/objects/0-3", "/crm/objects/2026-03/deals", {"limit": 5, "associations": "contacts"}),
        ("/crm/v3/properties/contacts", "/crm/properties/2026-03/0-1", {}),
        ("/crm/v3/owners", "/crm/owners/2026-03", {"limit": 5}),
        ("/crm/v3/pipelines/deals", "/crm/pipelines/2026-03/deals", {}),
        ("/crm/v3/pipelines/tickets", "/crm/pipelines/2026-03/0-5", {}),
        ("/crm/v3/schemas", "/crm-object-schemas/2026-03/schemas", {}),
    ]
    for legacy, dated, params in pairs:
        a, b = get(sandbox, legacy, **params), get(sandbox, dated, **params)
        assert a.status_code == b.status_code == 200
        body_a, body_b = a.json(), b.json()
        for body in (body_a, body_b):
            body.get("paging", {}).get("next", {}).pop("link", None)
        assert body_a == body_b, legacy
    first = get(sandbox, "/crm/v3/objects/contacts", limit=1).json()["results"][0]["id"]
    assert (get(sandbox, f"/crm/v3/objects/contacts/{first}").json()
            == get(sandbox, f"/crm/objects/2026-03/0-1/{first}").json())
    page = get(sandbox, "/crm/v3/objects/contacts", limit=20, associations="companies").json()["results"]
    linked = next(r["id"] for r in page if r.get("associations"))
    body = {"inputs": [{"id": linked}]}
    legacy = post(sandbox, "/crm/v4/associations/contacts/companies/batch/read", body).json()["results"]
    assert legacy and legacy == post(sandbox, "/crm/associations/2026-03/0-1/0-2/batch/read", body).json()["results"]
    assert (get(sandbox, f"/crm/v4/objects/contacts/{linked}/associations/companies").json()
            == get(sandbox, f"/crm/objects/2026-03/0-1/{linked}/associations/companies").json())


def test_unknown_properties_are_ignored_and_values_are_strings_or_null(sandbox):
    names = [p["name"] for p in get(sandbox, "/crm/v3/properties/contacts").json()["results"]]
    answer = get(sandbox, "/crm/v3/objects/contacts", limit=100,
                 properties=",".join(names[:150]) + ",no_such_property")
    assert answer.status_code == 200
    nulls = 0
    for record in answer.json()["results"]:
        assert isinstance(record["id"], str)
        assert "no_such_property" not in record["properties"]
        for value in record["properties"].values():
            assert value is None or isinstance(value, str)
            nulls += value is None
    assert nulls > 0


def test_repeated_and_comma_separated_properties_are_equivalent(sandbox):
    url = sandbox.url + "/crm/v3/objects/contacts"
    repeated = requests.get(url + "?limit=3&properties=email&properties=firstname&properties=city",
                            headers=sandbox.headers).json()
    joined = requests.get(url + "?limit=3&properties=email,firstname,city", headers=sandbox.headers).json()
    assert repeated["results"] == joined["results"]
    assert set(repeated["results"][0]["properties"]) == {"email", "firstname", "city"}


def test_default_properties_when_none_are_asked(sandbox):
    contact = get(sandbox, "/crm/v3/objects/contacts", limit=1).json()["results"][0]
    assert set(contact["properties"]) == {"firstname", "lastname", "email", "createdate", "lastmodifieddate",
                                          "hs_object_id"}
    call = get(sandbox, "/crm/v3/objects/calls", limit=1).json()["results"][0]
    assert set(call["properties"]) == {"hs_createdate", "hs_lastmodifieddate", "hs_object_id"}


def test_full_contact_property_list_does_not_fit_in_one_url(sandbox):
    results = get(sandbox, "/crm/v3/properties/contacts").json()["results"]
    custom = [p for p in results if not p.get("hubspotDefined")]
    assert len(custom) >= 300
    assert len(",".join(p["name"] for p in results)) > 8000
    assert {p["type"] for p in results} >= {"bool", "date", "datetime", "enumeration", "number", "phone_number",
                                            "string"}
    multi = [p for p in custom if p["fieldType"] == "checkbox" and p["type"] == "enumeration"]
    assert multi and all(p["options"] for p in multi)


def test_multi_select_values_are_semicolon_joined_options(sandbox):
    prop = get(sandbox, "/crm/v3/properties/contacts/hs_buying_role").json()
    options = {o["value"] for o in prop["options"]}
    records = get(sandbox, "/crm/v3/objects/contacts", limit=100, properties="hs_buying_role").json()["results"]
    values = [r["properties"]["hs_buying_role"] for r in records if r["properties"]["hs_buying_role"]]
    assert any(";" in v for v in values)
    assert all(set(v.split(";")) <= options for v in values)


def test_properties_with_history_caps_limit_at_50_and_returns_versions(sandbox):
    too_many = get(sandbox, "/crm/v3/objects/contacts", limit=100, propertiesWithHistory="firstname")
    assert too_many.status_code == 400 and "limit" in too_many.json()["message"]
    body = get(sandbox, "/crm/v3/objects/contacts", limit=50, propertiesWithHistory="firstname,lastname").json()
    assert len(body["results"]) == 50
    histories = [r["propertiesWithHistory"]["firstname"] for r in body["results"]]
    assert any(len(h) > 1 for h in histories)
    for history in histories:
        for entry in history:
            assert isinstance(entry["value"], str) and entry["timestamp"].endswith("Z") and entry["sourceType"]
        stamps = [e["timestamp"] for e in history]
        assert stamps == sorted(stamps, reverse=True)


def test_read_by_email_id_property(sandbox):
    contact = get(sandbox, "/crm/v3/objects/contacts", limit=1).json()["results"][0]
    email = contact["properties"]["email"]
    answer = get(sandbox, f"/crm/v3/objects/contacts/{email}", idProperty="email")
    assert answer.status_code == 200 and answer.json()["id"] == contact["id"]
    missing = get(sandbox, "/crm/v3/objects/contacts/nobody@example.com", idProperty="email")
    assert missing.status_code == 404 and missing.json()["category"] == "OBJECT_NOT_FOUND"


def test_read_missing_record_answers_404_object_not_found(sandbox):
    answer = get(sandbox, "/crm/v3/objects/contacts/1")
    assert answer.status_code == 404
    body = answer.json()
    assert body["status"] == "error" and body["category"] == "OBJECT_NOT_FOUND"
    assert body["context"] == {"id": ["1"]} and body["correlationId"]


def test_inline_associations_repeat_an_id_once_per_label(sandbox):
    contacts = list_all(sandbox, "/crm/v3/objects/contacts", associations="companies", properties="email")
    repeated = 0
    for contact in contacts:
        results = contact.get("associations", {}).get("companies", {}).get("results", [])
        ids = [r["id"] for r in results]
        if len(ids) != len(set(ids)):
            repeated += 1
            assert {r["type"] for r in results} >= {"contact_to_company", "contact_to_company_unlabeled"}
    assert repeated > 100


def test_batch_read_answers_207_naming_missing_ids(sandbox):
    ids = [r["id"] for r in get(sandbox, "/crm/v3/objects/deals", limit=3).json()["results"]]
    answer = post(sandbox, "/crm/v3/objects/deals/batch/read",
                  {"properties": ["dealname", "amount"], "inputs": [{"id": i} for i in ids] + [{"id": "42"}]})
    assert answer.status_code == 207
    body = answer.json()
    assert sorted(r["id"] for r in body["results"]) == sorted(ids)
    assert body["numErrors"] == 1 and body["errors"][0]["category"] == "OBJECT_NOT_FOUND"
    assert body["errors"][0]["context"] == {"ids": ["42"]}
    assert set(body["results"][0]["properties"]) >= {"dealname", "amount"}
    full = post(sandbox, "/crm/v3/objects/deals/batch/read", {"inputs": [{"id": i} for i in ids]})
    assert full.status_code == 200 and full.json()["status"] == "COMPLETE"


def test_malformed_requests_are_validation_errors_never_500(sandbox):
    cases = [
        get(sandbox, "/crm/v3/objects/contacts", limit="abc"),
        get(sandbox, "/crm/v3/objects/contacts", limit=101),
        get(sandbox, "/crm/v3/objects/contacts", after="not-a-cursor"),
        get(sandbox, "/crm/v3/objects/contacts", archived="maybe"),
        get(sandbox, "/crm/v3/objects/unicorns"),
        post(sandbox, "/crm/v3/objects/contacts/batch/read", {"inputs": [{"id": str(i)} for i in range(101)]}),
        post(sandbox, "/crm/v3/objects/contacts/batch/read", {"inputs": "nope"}),
        post(sandbox, "/crm/v3/objects/contacts/batch/read", [1, 2]),
        post(sandbox, "/crm/v3/objects/contacts/batch/read", {"inputs": [{"idx": 1}]}),
        requests.post(sandbox.url + "/crm/v3/objects/contacts/batch/read", data=b"{not json",
                      headers={**sandbox.headers, "Content-Type": "application/json"}),
    ]
    for answer in cases:
        assert answer.status_code == 400, (answer.request.url, answer.text)
        body = answer.json()
        assert body["category"] == "VALIDATION_ERROR" and body["message"] and body["correlationId"]
    assert "unicorns" in cases[4].json()["message"]
    assert "101" in cases[5].json()["message"]


def test_unknown_routes_answer_html_404(sandbox):
    answer = get(sandbox, "/crm/v3/nothing/here")
    assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")


def test_empty_values_are_null_on_standard_objects_and_absent_on_custom_objects(sandbox):
    contacts = get(sandbox, "/crm/v3/objects/contacts", limit=100, properties="mobilephone").json()["results"]
    assert all("mobilephone" in r["properties"] for r in contacts)
    assert any(r["properties"]["mobilephone"] is None for r in contacts)
    pets = get(sandbox, "/crm/v3/objects/pets", limit=100, properties="allergies,pet_name").json()["results"]
    assert all(r["properties"]["pet_name"] for r in pets)
    assert any("allergies" not in r["properties"] for r in pets)
    assert all(r["properties"].get("allergies", "x") is not None for r in pets)
