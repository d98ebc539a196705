"""The sandbox's Conversations API over real HTTP: catalog, threads, messages, both path families."""

from __future__ import annotations

import requests

V3 = "/conversations/v3/conversations"
V2026 = "/conversations/conversations/2026-09"
MESSAGE_TYPES = {"MESSAGE", "COMMENT", "WELCOME_MESSAGE", "ASSIGNMENT", "THREAD_STATUS_CHANGE", "THREAD_INBOX_CHANGE"}


def get(sandbox, path: str, **params) -> requests.Response:
    return requests.get(sandbox.url + path, params=params, headers=sandbox.headers, timeout=30)


def all_threads(sandbox, prefix: str = V3, **params) -> list[dict]:
    threads: list[dict] = []
    after = None
    while True:
        query = {"limit": 100, **params, **({"after": after} if after else {})}
        answer = get(sandbox, f"{prefix}/threads", **query)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        threads += body["results"]
        after = body.get("paging", {}).get("next", {}).get("after")
        if not after:
            return threads


def all_messages(sandbox, thread_id: str, limit: int = 100) -> list[dict]:
    messages: list[dict] = []
    after = None
    while True:
        query = {"limit": limit, **({"after": after} if after else {})}
        answer = get(sandbox, f"{V3}/threads/{thread_id}/messages", **query)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        messages += body["results"]
        after = body.get("paging", {}).get("next", {}).get("after")
        if not after:
            return messages


# ------------------------------------------------------------------------------------------------ catalog

def test_inboxes_channels_and_channel_accounts_are_listed_and_consistent(sandbox):
    inboxes = get(sandbox, f"{V3}/inboxes").json()["results"]
    channels = get(sandbox, f"{V3}/channels").json()["results"]
    accounts = get(sandbox, f"{V3}/channel-accounts").json()["results"]
    channel_names = {c["id"]: c["name"] for c in channels}
    assert {"1000", "1001", "1002"} <= set(channel_names)
    assert channel_names["1000"] == "Live chat" and channel_names["1002"] == "Email"
    inbox_ids = {i["id"] for i in inboxes}
    assert all(i["archived"] is False for i in inboxes)
    assert all(a["inboxId"] in inbox_ids and a["channelId"] in channel_names for a in accounts)
    email_accounts = get(sandbox, f"{V3}/channel-accounts", channelId="1002").json()["results"]
    assert email_accounts and all(a["deliveryIdentifier"]["type"] == "HS_EMAIL_ADDRESS" for a in email_accounts)
    archived = get(sandbox, f"{V3}/inboxes", archived="true").json()["results"]
    assert archived and all(i["archived"] is True for i in archived)
    one = get(sandbox, f"{V2026}/inboxes/{inboxes[0]['id']}").json()
    assert one == inboxes[0]
    assert get(sandbox, f"{V3}/channels/999").status_code == 404


# ------------------------------------------------------------------------------------------------ threads

def test_paging_threads_returns_every_live_thread_once_in_id_order(sandbox):
    threads = all_threads(sandbox, limit=37)
    ids = [int(t["id"]) for t in threads]
    assert ids == sorted(set(ids))
    truth = sandbox.admin("truth/threads")
    assert [r["id"] for r in truth["results"] if not r["archived"]] == [t["id"] for t in threads]
    assert truth["total"] == len(threads)
    assert all(t["archived"] is False for t in threads)
    # About a third of the ~1,000 contacts have a thread.
    assert 250 <= len(threads) <= 400


def test_message_truth_matches_every_message_the_api_serves(sandbox):
    server = sandbox
    served = [m["id"] for t in all_threads(server) for m in all_messages(server, t["id"], limit=500)]
    truth = server.admin("truth/messages")
    assert sorted(served) == sorted(m["id"] for m in truth["results"] if not m["archived"])
    assert server.admin("stats")["conversations"]["messages"]["total"] == len(truth["results"])


def test_both_path_families_serve_the_same_threads(sandbox):
    v3 = get(sandbox, f"{V3}/threads", limit=50).json()
    dated = get(sandbox, f"{V2026}/threads", limit=50).json()
    assert v3 == dated and len(v3["results"]) == 50


def test_thread_shape_links_real_contacts_owners_and_tickets(sandbox):
    threads = all_threads(sandbox)
    thread = next(t for t in threads if "assignedTo" in t and "threadAssociations" in t)
    assert set(thread) >= {"id", "createdAt", "status", "originalChannelId", "originalChannelAccountId",
                           "latestMessageTimestamp", "spam", "inboxId", "associatedContactId", "archived"}
    assert thread["status"] in ("OPEN", "CLOSED") and ("closedAt" in thread) == (thread["status"] == "CLOSED")
    assert thread["latestMessageTimestamp"] >= thread["createdAt"]
    contact = get(sandbox, f"/crm/v3/objects/contacts/{thread['associatedContactId']}")
    assert contact.status_code == 200
    ticket_id = thread["threadAssociations"]["associatedTicketId"]
    assert get(sandbox, f"/crm/v3/objects/tickets/{ticket_id}").status_code == 200
    assert thread["assignedTo"].startswith("A-")
    assert any(t["spam"] for t in threads)
    assert {t["status"] for t in threads} == {"OPEN", "CLOSED"}


def test_sorting_threads_by_latest_message_needs_latest_message_timestamp_after(sandbox):
    answer = get(sandbox, f"{V3}/threads", sort="latestMessageTimestamp")
    assert answer.status_code == 400
    body = answer.json()
    assert body["category"] == "VALIDATION_ERROR" and "latestMessageTimestampAfter" in body["message"]

    since = "2025-06-01T00:00:00Z"
    threads = all_threads(sandbox, sort="latestMessageTimestamp", latestMessageTimestampAfter=since, limit=25)
    stamps = [t["latestMessageTimestamp"] for t in threads]
    assert stamps == sorted(stamps) and stamps[0] > "2025-06-01T00:00:00.000Z"
    expected = [t for t in all_threads(sandbox) if t["latestMessageTimestamp"] > "2025-06-01T00:00:00.000Z"]
    assert sorted(t["id"] for t in threads) == sorted(t["id"] for t in expected)
    # Epoch milliseconds work too.
    by_ms = get(sandbox, f"{V3}/threads", sort="latestMessageTimestamp", latestMessageTimestampAfter="1748736000000",
                limit=25).json()
    assert [t["id"] for t in by_ms["results"]] == [t["id"] for t in threads[:25]]


def test_thread_list_rejects_limit_over_500_and_unknown_sort(sandbox):
    over = get(sandbox, f"{V3}/threads", limit=501)
    assert over.status_code == 400 and "500" in over.json()["message"]
    assert get(sandbox, f"{V3}/threads", limit=500).status_code == 200
    bad_sort = get(sandbox, f"{V3}/threads", sort="createdAt")
    assert bad_sort.status_code == 400 and "sort" in bad_sort.json()["message"]
    bad_after = get(sandbox, f"{V3}/threads", after="not-a-cursor")
    assert bad_after.status_code == 400


def test_archived_threads_are_listed_only_when_asked(sandbox):
    archived = all_threads(sandbox, archived="true")
    live_ids = {t["id"] for t in all_threads(sandbox)}
    assert archived and all(t["archived"] is True for t in archived)
    assert not live_ids & {t["id"] for t in archived}
    one = get(sandbox, f"{V3}/threads/{archived[0]['id']}").json()
    assert one["archived"] is True


def test_threads_filter_by_inbox_and_associated_contact(sandbox):
    threads = all_threads(sandbox)
    inbox = threads[0]["inboxId"]
    in_inbox = all_threads(sandbox, inboxId=inbox)
    assert in_inbox and {t["inboxId"] for t in in_inbox} == {inbox}
    assert len(in_inbox) == sum(t["inboxId"] == inbox for t in threads)
    contact = threads[3]["associatedContactId"]
    for_contact = all_threads(sandbox, associatedContactId=contact)
    assert [t["id"] for t in for_contact] == [t["id"] for t in threads if t["associatedContactId"] == contact]


def test_unknown_thread_answers_404_json(sandbox):
    answer = get(sandbox, f"{V3}/threads/123")
    assert answer.status_code == 404
    assert answer.json()["category"] == "OBJECT_NOT_FOUND"
    assert get(sandbox, f"{V3}/threads/123/messages").status_code == 404


# ------------------------------------------------------------------------------------------------ messages

def test_messages_cover_every_type_with_hubspot_shapes(sandbox):
    seen: dict[str, dict] = {}
    actor_kinds: set[str] = set()
    for thread in all_threads(sandbox)[:150]:
        messages = all_messages(sandbox, thread["id"])
        assert messages, thread
        times = [m["createdAt"] for m in messages]
        assert times == sorted(times)
        assert max(m["createdAt"] for m in messages if m["type"] == "MESSAGE") == thread["latestMessageTimestamp"]
        for m in messages:
            assert m["conversationsThreadId"] == thread["id"]
            seen.setdefault(m["type"], m)
            actors = [m["createdBy"]] + [p["actorId"] for p in m.get("senders", []) + m.get("recipients", [])]
            actor_kinds |= {a[:2] for a in actors}
        if {m["type"] for m in messages} >= {"MESSAGE"} and thread["originalChannelId"] == "1002":
            seen.setdefault("email", next(m for m in messages if m["type"] == "MESSAGE"))
        if len(seen) == len(MESSAGE_TYPES) + 1 and len(actor_kinds) == 5:
            break
    assert set(seen) == MESSAGE_TYPES | {"email"}
    # Agents, visitors, email addresses, integrations and the system all act somewhere.
    assert actor_kinds == {"A-", "V-", "E-", "I-", "S-"}
    message = seen["MESSAGE"]
    assert message["direction"] in ("INCOMING", "OUTGOING")
    assert message["truncationStatus"] in ("NOT_TRUNCATED", "TRUNCATED_TO_MOST_RECENT_REPLY", "TRUNCATED")
    assert isinstance(message["attachments"], list) and message["senders"][0]["actorId"][:2] in ("V-", "A-", "S-")
    email = seen["email"]
    assert email["subject"] and email["richText"].startswith("<div>")
    assert email["senders"][0]["deliveryIdentifier"]["type"] == "HS_EMAIL_ADDRESS"
    assert seen["ASSIGNMENT"]["assignedTo"].startswith("A-")
    assert seen["THREAD_STATUS_CHANGE"]["newStatus"] in ("OPEN", "CLOSED")
    assert seen["THREAD_INBOX_CHANGE"]["newInboxId"] != seen["THREAD_INBOX_CHANGE"]["previousInboxId"]
    assert seen["WELCOME_MESSAGE"]["createdBy"].startswith("S-")
    assert seen["COMMENT"]["text"]


def test_visitor_actors_are_the_threads_contact(sandbox):
    thread = all_threads(sandbox)[5]
    messages = all_messages(sandbox, thread["id"])
    visitors = {s["actorId"] for m in messages for s in m.get("senders", []) if s["actorId"].startswith("V-")}
    assert visitors == {f"V-{thread['associatedContactId']}"}


def test_messages_page_with_after_and_read_one_by_id(sandbox):
    thread = next(t for t in all_threads(sandbox) if len(all_messages(sandbox, t["id"])) >= 7)
    whole = all_messages(sandbox, thread["id"])
    paged = all_messages(sandbox, thread["id"], limit=2)
    assert [m["id"] for m in paged] == [m["id"] for m in whole]
    assert len({m["id"] for m in whole}) == len(whole)
    one = get(sandbox, f"{V2026}/threads/{thread['id']}/messages/{whole[3]['id']}")
    assert one.status_code == 200 and one.json() == whole[3]
    assert get(sandbox, f"{V3}/threads/{thread['id']}/messages", limit=501).status_code == 400


def test_conversations_are_identical_for_the_same_seed(sandbox_factory):
    first, again = sandbox_factory(), sandbox_factory()

    def snapshot(server) -> tuple[list[dict], list[dict]]:
        threads = get(server, f"{V3}/threads", limit=50).json()["results"]
        return threads, all_messages(server, threads[0]["id"])

    assert snapshot(first) == snapshot(again)
