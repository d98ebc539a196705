"""Conversations (inboxes, channels, channel accounts, threads, messages) and call transcripts."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from hubspot_assets.hubspot.errors import MissingScopesError, NotFoundError
from hubspot_assets.hubspot.models import Message, Thread, Transcript
from hubspot_assets.sandbox.config import SandboxConfig
from hubspot_assets.sandbox.conversations import ConversationsService
from hubspot_assets.sandbox.server import SandboxServer
from hubspot_assets.sandbox.store import Store
from tests.client.clients import flatten, make_client

TRANSCRIPTS_SCOPE = "crm.extensions_calling_transcripts.read"


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


@pytest.fixture(scope="module")
def inbox():
    """A fresh sandbox of this module's own plus its ground truth, computed in-process from the same seed
    (the admin API has no conversations truth route): threads and messages are deterministic from the seed."""
    config = SandboxConfig(seed=42, scale="small", tier="unlimited")
    service = ConversationsService(config, Store(config))
    with SandboxServer(config) as server:
        server.thread_truth = service.truth("threads")["results"]
        server.message_truth = service.truth("messages")["results"]
        yield server


def _threads_truth(sandbox) -> list[dict]:
    return sandbox.thread_truth


def test_inboxes_channels_and_channel_accounts(sandbox, tmp_path):
    client = make_client(sandbox, tmp_path)
    inboxes = list(client.inboxes())
    channels = list(client.channels())
    accounts = list(client.channel_accounts())
    assert inboxes and channels and accounts
    assert {"1000", "1002"} <= {str(c["id"]) for c in channels}
    inbox_ids = {str(i["id"]) for i in inboxes}
    assert all(str(a["inboxId"]) in inbox_ids for a in accounts if a.get("inboxId") is not None)


def test_paging_every_thread_equals_truth(inbox, tmp_path):
    sandbox = inbox
    client = make_client(sandbox, tmp_path)
    pages = list(client.threads(page_size=50))
    assert len(pages) > 1
    ids = [t["id"] for t in flatten(pages)]
    assert len(ids) == len(set(ids))
    truth = _threads_truth(sandbox)
    assert set(ids) == {t["id"] for t in truth if not t["archived"]}
    archived = [t["id"] for t in flatten(client.threads(archived=True))]
    assert set(archived) == {t["id"] for t in truth if t["archived"]}
    Thread.model_validate(flatten(pages)[0])


def test_incremental_threads_by_latest_message_timestamp(inbox, tmp_path):
    sandbox = inbox
    client = make_client(sandbox, tmp_path)
    truth = [t for t in _threads_truth(sandbox) if not t["archived"]]
    stamps = sorted(_ms(t["latestMessageTimestamp"]) for t in truth)
    since = stamps[len(stamps) // 2]
    threads = flatten(client.threads(latest_message_after_ms=since, page_size=40))
    assert {t["id"] for t in threads} == {t["id"] for t in truth if _ms(t["latestMessageTimestamp"]) > since}
    seen = [_ms(t["latestMessageTimestamp"]) for t in threads]
    assert seen == sorted(seen)  # ascending: the last one is the next cursor


def test_messages_page_through_a_whole_thread(inbox, tmp_path):
    sandbox = inbox
    client = make_client(sandbox, tmp_path)
    messages_truth = sandbox.message_truth
    per_thread: dict[str, list[str]] = {}
    for m in messages_truth:
        per_thread.setdefault(str(m["threadId"]), []).append(str(m["id"]))
    thread_id, expected = max(per_thread.items(), key=lambda kv: len(kv[1]))
    pages = list(client.messages(thread_id, page_size=3))
    assert len(pages) > 1
    got = flatten(pages)
    assert [m["id"] for m in got] == expected
    kinds = {Message.model_validate(m).type for m in flatten(client.messages(thread_id))}
    assert "MESSAGE" in kinds


def _transcript_id(client) -> str:
    for page in client.search_records(
        "calls",
        filter_groups=[
            {"filters": [{"propertyName": "hs_call_transcription_id", "operator": "HAS_PROPERTY"}]}
        ],
        properties=["hs_call_transcription_id"],
        page_size=5,
    ):
        for call in page:
            if call["properties"].get("hs_call_transcription_id"):
                return call["properties"]["hs_call_transcription_id"]
    raise AssertionError("the sandbox has calls with transcripts")


def test_transcripts_need_the_oauth_scope(sandbox, tmp_path):
    client = make_client(sandbox, tmp_path)
    with pytest.raises(MissingScopesError) as caught:
        client.transcript(_transcript_id(client))
    assert TRANSCRIPTS_SCOPE in str(caught.value)
    assert TRANSCRIPTS_SCOPE in caught.value.missing_scopes
    assert sandbox.token not in str(caught.value)


def _oauth_token(sandbox) -> str:
    config = sandbox.config
    redirect = "http://127.0.0.1:9/callback"
    answer = requests.get(
        f"{sandbox.url}/oauth/authorize",
        params={
            "client_id": config.client_id,
            "redirect_uri": redirect,
            "state": "s1",
            "scope": f"oauth crm.objects.contacts.read {TRANSCRIPTS_SCOPE}",
        },
        allow_redirects=False,
        timeout=30,
    )
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    token = requests.post(
        f"{sandbox.url}/oauth/v1/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect,
            "client_id": config.client_id,
            "client_secret": config.client_secret,
        },
        timeout=30,
    ).json()
    return token["access_token"]


def test_transcript_is_read_with_an_oauth_token(sandbox, tmp_path):
    reader = make_client(sandbox, tmp_path)
    transcript_id = _transcript_id(reader)
    client = make_client(sandbox, tmp_path, access_token=_oauth_token(sandbox))
    raw = client.transcript(transcript_id)
    transcript = Transcript.model_validate(raw)
    assert transcript.id == str(transcript_id)
    assert transcript.transcript_utterances and transcript.text
    starts = [u.start_time_millis for u in transcript.transcript_utterances]
    assert starts == sorted(starts)
    with pytest.raises(NotFoundError):
        client.transcript("no-such-transcript-0")
