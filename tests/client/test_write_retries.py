"""Retries never duplicate a write: idempotent calls are retried on every transient failure, creates and other
non-idempotent writes only when HubSpot certainly did not process them (proven on the sandbox's record counts)."""

from __future__ import annotations

import socket

import pytest
import requests

from hubspot_assets.hubspot.auth import exchange_code
from hubspot_assets.hubspot.breaker import CircuitBreaker
from hubspot_assets.hubspot.client import HubSpotClient
from hubspot_assets.hubspot.errors import ConnectionFailedError, MalformedResponseError, ServerError
from hubspot_assets.hubspot.transport import Transport
from tests.client.clients import client_settings
from tests.client.sandbox_admin import clear_faults, force_fault, own_total, request_stats, reset_stats

NOTES = "/crm/v3/objects/notes"
NOTE = {"hs_note_body": "retry test", "hs_timestamp": "2025-01-01T00:00:00Z"}


@pytest.fixture
def sandbox(sandbox):
    clear_faults(sandbox)
    yield sandbox
    clear_faults(sandbox)


def make_client(sandbox, tmp_path, **overrides) -> HubSpotClient:
    settings = client_settings(sandbox, tmp_path, **overrides)
    return HubSpotClient(settings, transport=Transport(settings, breaker=CircuitBreaker("w", failure_threshold=100)))


def notes_total(sandbox) -> int:
    return requests.get(f"{sandbox.url}/_sandbox/stats", timeout=10).json()["objects"]["notes"]["total"]


def test_truncated_create_answer_is_not_sent_again_and_says_the_write_may_have_happened(sandbox, tmp_path):
    client = make_client(sandbox, tmp_path)
    before = notes_total(sandbox)
    force_fault(sandbox, "truncate", count=1, path=NOTES)  # the note is created, its answer cut in half
    with pytest.raises(MalformedResponseError) as caught:
        client.create_record("notes", NOTE)
    assert notes_total(sandbox) == before + 1  # one call, one note: no duplicate
    error = caught.value
    assert error.write_may_have_happened
    assert "check whether POST /crm/v3/objects/{objectType} took effect before trying again" in str(error)


def test_batch_create_after_a_500_is_not_repeated(sandbox, tmp_path):
    client = make_client(sandbox, tmp_path)
    force_fault(sandbox, "500", count=1, path=NOTES)
    reset_stats(sandbox)
    with pytest.raises(ServerError) as caught:
        client.batch_create("notes", [NOTE, NOTE])
    assert caught.value.write_may_have_happened and "not sent again" in str(caught.value)
    assert own_total(request_stats(sandbox)) == 1


def test_create_answered_503_was_not_processed_so_it_is_retried_once(sandbox, tmp_path):
    client = make_client(sandbox, tmp_path)
    before = notes_total(sandbox)
    force_fault(sandbox, "503", count=1, path=NOTES)
    created = client.create_record("notes", NOTE)
    assert created["id"]
    assert notes_total(sandbox) == before + 1
    assert client.transport.metrics.snapshot()["retries"] == 1


def test_create_is_retried_when_the_connection_could_not_be_opened(tmp_path, sandbox):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    client = make_client(sandbox, tmp_path, base_url=dead, retry_max_attempts=3)
    with pytest.raises(ConnectionFailedError) as caught:
        client.create_record("notes", NOTE)
    assert not caught.value.request_sent and not caught.value.write_may_have_happened
    assert client.transport.metrics.snapshot()["requests"] == 3  # retried: nothing had been sent


def test_reads_sent_as_post_are_retried_after_truncated_answers(sandbox, tmp_path):
    client = make_client(sandbox, tmp_path)
    force_fault(sandbox, "truncate", count=1, path="/crm/v3/objects/contacts/search")
    pages = list(client.search_records("contacts", properties=["email"], page_size=5))
    assert pages and pages[0]
    ids = [r["id"] for r in pages[0]]
    force_fault(sandbox, "truncate", count=1, path="/crm/v3/objects/contacts/batch/read")
    assert sorted(r["id"] for r in client.read_records("contacts", ids).results) == sorted(ids)
    force_fault(sandbox, "500", count=1, path="/crm/v4/associations/contacts/companies/batch/read")
    list(client.associations("contacts", "companies", ids))
    assert client.transport.metrics.snapshot()["retries"] == 3


def test_authorization_code_exchange_is_not_retried_after_a_500(sandbox, tmp_path):
    settings = client_settings(sandbox, tmp_path, oauth=True)
    transport = Transport(settings, breaker=CircuitBreaker("w", failure_threshold=100))
    force_fault(sandbox, "500", count=1, path="/oauth/")
    reset_stats(sandbox)
    with pytest.raises(ServerError) as caught:
        exchange_code(settings, transport, "some-code-value", "http://127.0.0.1:1/callback")
    assert caught.value.write_may_have_happened
    assert own_total(request_stats(sandbox)) == 1  # a second exchange would burn the single-use code
