"""CRM object list and read endpoints over real HTTP."""

from __future__ import annotations

import requests


def get(sandbox, path: str, **params):
    return requests.get(sandbox.url + path, params=params, headers=sandbox.headers, timeout=30)


def test_paging_through_every_contact_matches_truth(sandbox):
    seen = []
    after = None
    while True:
        params = {"limit": 100, "properties": "email"}
        if after:
            params["after"] = after
        body = get(sandbox, "/crm/v3/objects/contacts", **params).json()
        seen += [r["id"] for r in body["results"]]
        assert all(r["archived"] is False for r in body["results"])
        after = body.get("paging", {}).get("next", {}).get("after")
        if not after:
            break
    truth = sandbox.admin("truth/contacts")
    live = [r["id"] for r in truth["results"] if not r["archived"]]
    assert seen == live
    assert len(seen) == truth["total"] > 900


def test_read_missing_record_answers_404_object_not_found(sandbox):
    answer = get(sandbox, "/crm/v3/objects/contacts/1")
    assert answer.status_code == 404
    body = answer.json()
    assert body["category"] == "OBJECT_NOT_FOUND" and body["context"] == {"id": ["1"]}
    assert body["correlationId"]


def test_bad_limit_is_a_validation_error_naming_the_parameter(sandbox):
    answer = get(sandbox, "/crm/v3/objects/contacts", limit="abc")
    assert answer.status_code == 400
    assert answer.json()["category"] == "VALIDATION_ERROR" and "limit" in answer.json()["message"]
