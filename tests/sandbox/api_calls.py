"""Calls of a running sandbox's API with its private-app token: the HTTP verbs, every page of a list, a CRM record
created, and a record's updatedAt from the admin ground truth."""

from __future__ import annotations

from typing import Any

import requests


def get(sandbox: Any, path: str, **params: Any) -> requests.Response:
    return requests.get(sandbox.url + path, params=params, headers=sandbox.headers, timeout=60)


def post(sandbox: Any, path: str, body: Any) -> requests.Response:
    return requests.post(sandbox.url + path, json=body, headers=sandbox.headers, timeout=60)


def patch(sandbox: Any, path: str, body: Any) -> requests.Response:
    return requests.patch(sandbox.url + path, json=body, headers=sandbox.headers, timeout=60)


def put(sandbox: Any, path: str, body: Any) -> requests.Response:
    return requests.put(sandbox.url + path, json=body, headers=sandbox.headers, timeout=60)


def delete(sandbox: Any, path: str) -> requests.Response:
    return requests.delete(sandbox.url + path, headers=sandbox.headers, timeout=60)


def list_all(sandbox: Any, path: str, **params: Any) -> list[dict]:
    """Every record of a list endpoint, following `paging.next.after`."""
    out: list[dict] = []
    after = None
    while True:
        query = dict(params, limit=params.get("limit", 100))
        if after:
            query["after"] = after
        answer = get(sandbox, path, **query)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        out += body["results"]
        after = body.get("paging", {}).get("next", {}).get("after")
        if not after:
            return out


def truth_updated(sandbox: Any, object_type: str, record_id: str) -> str:
    """updatedAt of one record according to the admin ground truth."""
    for row in sandbox.admin(f"truth/{object_type}")["results"]:
        if row["id"] == str(record_id):
            return row["updatedAt"]
    raise AssertionError(f"{object_type} {record_id} not in truth")


def create(sandbox: Any, object_type: str, properties: dict) -> dict:
    answer = post(sandbox, f"/crm/v3/objects/{object_type}", {"properties": properties})
    assert answer.status_code == 201, answer.text
    return answer.json()
