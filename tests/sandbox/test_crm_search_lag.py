"""Search indexing lag over HTTP: within the lag, search serves the indexed copy of a changed record.

The lag is ten minutes, so every check inside it runs long before it ends however slow the machine; the sandbox's
clock (`POST /_sandbox/clock`) then moves past it, so the index catches up without a wait.
"""

from __future__ import annotations

from tests.sandbox.api_calls import create, delete, patch, post

LAG_MS = 600_000


def _search(sandbox, *filters, **extra) -> dict:
    body = {"filterGroups": [{"filters": [{"propertyName": p, "operator": op, "value": v} for p, op, v in filters]}],
            "properties": ["firstname", "lastname"], "limit": 100, **extra}
    answer = post(sandbox, "/crm/v3/objects/contacts/search", body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _ids(body: dict) -> set[str]:
    return {r["id"] for r in body["results"]}


def _past_the_lag(sandbox) -> None:
    sandbox.admin("clock", {"advance_ms": LAG_MS + 1})


def test_within_the_lag_updated_records_keep_their_indexed_copy_and_only_new_ones_are_missing(sandbox_factory):
    sandbox = sandbox_factory(search_lag_ms=LAG_MS)
    tag = "Lagtest"
    a = create(sandbox, "contacts", {"email": "lag.a@example.com", "firstname": "Before", "lastname": tag})
    b = create(sandbox, "contacts", {"email": "lag.b@example.com", "firstname": "Gone", "lastname": tag})
    assert _ids(_search(sandbox, ("lastname", "EQ", tag))) == set()  # brand-new records are not indexed yet
    _past_the_lag(sandbox)
    assert _ids(_search(sandbox, ("lastname", "EQ", tag))) == {a["id"], b["id"]}

    changed = patch(sandbox, f"/crm/v3/objects/contacts/{a['id']}", {"properties": {"firstname": "After"}}).json()
    assert delete(sandbox, f"/crm/v3/objects/contacts/{b['id']}").status_code == 204
    c = create(sandbox, "contacts", {"email": "lag.c@example.com", "firstname": "New", "lastname": tag})
    # Inside the lag: the old copy of A (old value, old date), B still there, C not yet.
    by_tag = _search(sandbox, ("lastname", "EQ", tag))
    assert _ids(by_tag) == {a["id"], b["id"]}
    old_a = next(r for r in by_tag["results"] if r["id"] == a["id"])
    assert old_a["properties"]["firstname"] == "Before" and old_a["updatedAt"] == a["updatedAt"]
    assert _ids(_search(sandbox, ("firstname", "EQ", "Before"), ("lastname", "EQ", tag))) == {a["id"]}
    assert _ids(_search(sandbox, ("firstname", "EQ", "After"), ("lastname", "EQ", tag))) == set()
    # The incremental-sync shape (date range sorted by id) sees A's indexed date, not its new one.
    since = _search(sandbox, ("lastmodifieddate", "GTE", changed["updatedAt"]), ("lastname", "EQ", tag))
    assert _ids(since) == set()
    since_ids = _search(sandbox, ("hs_object_id", "GTE", a["id"]), sorts=["hs_object_id"])
    assert {a["id"], b["id"]} <= _ids(since_ids) and c["id"] not in _ids(since_ids)
    assert _ids(_search(sandbox, ("lastname", "EQ", tag), query="Before")) == {a["id"]}  # record-by-record path

    # After the lag: the new values, the archived record gone, the new one found.
    _past_the_lag(sandbox)
    assert _ids(_search(sandbox, ("lastname", "EQ", tag))) == {a["id"], c["id"]}
    assert _ids(_search(sandbox, ("firstname", "EQ", "After"), ("lastname", "EQ", tag))) == {a["id"]}
    assert _ids(_search(sandbox, ("lastmodifieddate", "GTE", changed["updatedAt"]),
                        ("lastname", "EQ", tag))) == {a["id"], c["id"]}
