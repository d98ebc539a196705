"""The conversation data the sandbox derives from its store: proportions, cheap counts that agree with the full
ground truth, and new threads. These call the service directly (pure data, no protocol to exercise); the HTTP
behaviour is proven in test_conversations_http.py."""

from __future__ import annotations

from collections import Counter

import pytest

from hubspot_assets.sandbox.config import SandboxConfig
from hubspot_assets.sandbox.conversations import ConversationsService
from hubspot_assets.sandbox.store import Store


@pytest.fixture(scope="module")
def service() -> ConversationsService:
    store = Store(SandboxConfig(seed=42, scale="small"))
    return ConversationsService(store.config, store)


def test_about_a_third_of_contacts_have_a_thread_with_a_realistic_mix(service):
    truth = service.truth("threads")
    contacts = len(service.store.ids("contacts"))
    assert abs(truth["total"] + truth["archived"] - contacts // 3) <= 1
    assert 0 < truth["archived"] < truth["total"] // 10
    page = service.list_threads(limit=500)["results"]
    channels = Counter(t["originalChannelId"] for t in page)
    assert channels["1000"] > 0 and channels["1001"] > 0 and channels["1002"] > 0
    assert all(int(t["associatedContactId"]) in set(service.store.ids("contacts").tolist()) for t in page)


def test_cheap_stats_agree_with_the_full_truth(service):
    stats = service.stats()
    threads, messages = service.truth("threads"), service.truth("messages")
    assert stats["threads"] == {"total": threads["total"] + threads["archived"], "archived": threads["archived"]}
    assert stats["messages"]["total"] == messages["total"] == len(messages["results"])
    types = Counter(m["type"] for m in messages["results"])
    assert set(types) == {"MESSAGE", "COMMENT", "WELCOME_MESSAGE", "ASSIGNMENT", "THREAD_STATUS_CHANGE",
                          "THREAD_INBOX_CHANGE"}
    assert types["MESSAGE"] > sum(v for k, v in types.items() if k != "MESSAGE")


def test_new_thread_opens_with_one_incoming_message_and_lists_last():
    store = Store(SandboxConfig(seed=3, scale="300"))
    service = ConversationsService(store.config, store)
    before = service.stats()
    contact = int(store.ids("contacts")[0])
    events = service.apply_new_thread({"op": "new_thread", "contact_id": contact, "text": "Hallo 👋",
                                       "channel_id": "1002"})
    assert [e["subscriptionType"] for e in events] == ["conversation.creation", "conversation.newMessage"]
    thread_id = str(events[0]["objectId"])
    thread = service.thread(thread_id)
    assert thread["associatedContactId"] == str(contact) and thread["originalChannelId"] == "1002"
    assert thread["status"] == "OPEN"
    messages = service.list_messages(thread_id)["results"]
    assert [(m["type"], m["direction"], m["text"]) for m in messages] == [("MESSAGE", "INCOMING", "Hallo 👋")]
    assert messages[0]["id"] == events[1]["messageId"]
    assert messages[0]["createdAt"] == thread["latestMessageTimestamp"]
    everything = []
    after = None
    while True:
        page = service.list_threads(limit=50, after=after)
        everything += page["results"]
        after = page.get("paging", {}).get("next", {}).get("after")
        if not after:
            break
    assert everything[-1]["id"] == thread_id
    assert service.stats()["threads"]["total"] == before["threads"]["total"] + 1
    assert service.stats()["messages"]["total"] == before["messages"]["total"] + 1


def test_another_seed_gives_other_conversations(service):
    store = Store(SandboxConfig(seed=7, scale="small"))
    other = ConversationsService(store.config, store)
    mine, theirs = service.list_threads(limit=20)["results"], other.list_threads(limit=20)["results"]
    assert [t["associatedContactId"] for t in mine] != [t["associatedContactId"] for t in theirs]
    again = ConversationsService(service.store.config, service.store)
    assert again.list_messages(mine[0]["id"]) == service.list_messages(mine[0]["id"])
