"""Admin API for conversations (truth and stats) and the mutate body's strictness (keys, random cap), over HTTP."""

from __future__ import annotations

import requests

from tests.sandbox.api_calls import get

THREADS = "/conversations/v3/conversations/threads"


def _mutate(sandbox, body) -> requests.Response:
    return requests.post(sandbox.url + "/_sandbox/mutate", json=body, timeout=60)


def test_thread_truth_lists_every_live_thread_the_api_lists_and_stats_count_them(sandbox):
    truth = sandbox.admin("truth/threads")
    live = [t["id"] for t in truth["results"] if not t["archived"]]
    assert truth["total"] == len(live) and truth["archived"] == len(truth["results"]) - len(live) > 0
    listed = get(sandbox, THREADS, limit=500).json()
    assert "paging" not in listed and [t["id"] for t in listed["results"]] == live
    first = listed["results"][0]
    row = next(t for t in truth["results"] if t["id"] == first["id"])
    assert row["latestMessageTimestamp"] == first["latestMessageTimestamp"]
    stats = sandbox.admin("stats")["conversations"]
    assert stats["threads"] == {"total": truth["total"], "archived": truth["archived"]}


def test_message_truth_matches_the_messages_api_and_flags_archived_threads(sandbox):
    truth = sandbox.admin("truth/messages")
    assert truth["total"] == len(truth["results"]) == sandbox.admin("stats")["conversations"]["messages"]["total"]
    thread = get(sandbox, THREADS, limit=1).json()["results"][0]["id"]
    listed = get(sandbox, f"{THREADS}/{thread}/messages", limit=500).json()["results"]
    mine = [m for m in truth["results"] if m["threadId"] == thread]
    assert [m["id"] for m in mine] == [m["id"] for m in listed] and not any(m["archived"] for m in mine)
    archived_threads = {t["id"] for t in sandbox.admin("truth/threads")["results"] if t["archived"]}
    flagged = {m["threadId"] for m in truth["results"] if m["archived"]}
    assert flagged and flagged <= archived_threads and truth["archived"] == sum(m["archived"] for m in truth["results"])


def test_new_message_takes_camel_case_keys_and_lands_in_the_named_thread(sandbox_factory):
    sandbox = sandbox_factory()
    threads = get(sandbox, THREADS, limit=5).json()["results"]
    target = threads[3]["id"]
    answer = _mutate(sandbox, {"operations": [{"op": "new_message", "threadId": target, "messageType": "MESSAGE",
                                                "direction": "OUTGOING", "text": "camel case works"}]})
    assert answer.status_code == 200, answer.text
    messages = get(sandbox, f"{THREADS}/{target}/messages", limit=500).json()["results"]
    assert messages[-1]["text"] == "camel case works" and messages[-1]["direction"] == "OUTGOING"
    row = next(t for t in sandbox.admin("truth/threads")["results"] if t["id"] == target)
    assert row["latestMessageTimestamp"] > threads[3]["latestMessageTimestamp"]
    assert any(m["threadId"] == target and m["id"] == messages[-1]["id"]
               for m in sandbox.admin("truth/messages")["results"])


def test_unknown_keys_in_any_op_are_a_400_naming_the_key_and_nothing_is_applied(sandbox):
    contact = get(sandbox, "/crm/v3/objects/contacts", limit=1, properties="city").json()["results"][0]
    answer = _mutate(sandbox, {"operations": [
        {"op": "update", "objectType": "contacts", "id": contact["id"], "properties": {"city": "Typo Town"}},
        {"op": "new_message", "threadID": "8100000001", "text": "hi"}]})
    assert answer.status_code == 400 and "threadID" in answer.json()["message"]
    assert "operations[1]" in answer.json()["message"]
    after = get(sandbox, f"/crm/v3/objects/contacts/{contact['id']}", properties="city").json()
    assert after["properties"]["city"] == contact["properties"]["city"]
    bogus = _mutate(sandbox, {"operations": [{"op": "archive", "objectType": "contacts", "id": contact["id"],
                                              "bogus": 1}]})
    assert bogus.status_code == 400 and "bogus" in bogus.json()["message"]
    assert get(sandbox, f"/crm/v3/objects/contacts/{contact['id']}").status_code == 200
    nested = _mutate(sandbox, {"operations": [{"op": "associate", "fromType": "contacts", "fromId": contact["id"],
                                               "toType": "companies", "toId": "1",
                                               "types": [{"associationTypeID": 279}]}]})
    assert nested.status_code == 400 and "associationTypeID" in nested.json()["message"]
    random_typo = _mutate(sandbox, {"random": {"update": 3}, "seed": 1})
    assert random_typo.status_code == 400 and "'update'" in random_typo.json()["message"]


def test_random_mutations_are_capped_per_call_and_refuse_negative_counts(sandbox):
    too_many = _mutate(sandbox, {"random": {"updates": 1_000_000_000}, "seed": 7})
    assert too_many.status_code == 400 and "100,000" in too_many.json()["message"]
    negative = _mutate(sandbox, {"random": {"creates": -1}, "seed": 7})
    assert negative.status_code == 400 and "creates" in negative.json()["message"]
