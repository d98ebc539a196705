"""Optional property history (no duplicates across runs) and call transcripts with an OAuth token."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
import requests

from hubspot_assets.sandbox.config import SandboxConfig
from hubspot_assets.sandbox.server import SandboxServer
from hubspot_assets.settings import Settings
from hubspot_assets.sources.pipeline import run_sync
from tests.conftest import DEFAULTS
from tests.sources.sandbox_warehouse import query, settings_for

CRM_ONLY = ["contacts", "calls", "property_history", "call_transcript_utterances"]


@pytest.fixture(scope="module")
def portal() -> Iterator[SandboxServer]:
    """A small portal for the tests that change nothing in HubSpot (each loads a warehouse of its own)."""
    server = SandboxServer(SandboxConfig(**DEFAULTS)).start()
    try:
        yield server
    finally:
        server.stop()


class FirstRun(NamedTuple):
    server: SandboxServer
    settings: Settings
    report: Any


@pytest.fixture(scope="module")
def first_run(portal: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> FirstRun:
    # One first load, with an OAuth token (transcripts) and contact history, serves the history and transcript tests.
    settings = settings_for(portal, tmp_path_factory.mktemp("history"), objects="contacts,calls",
                            property_history="contacts:email,lifecyclestage", access_token=_oauth_token(portal))
    return FirstRun(portal, settings, run_sync(settings, mode="incremental", resources=CRM_ONLY))


def test_property_history_is_loaded_once_per_entry_across_runs(first_run):
    server, settings = first_run.server, first_run.settings
    first = query(settings, "SELECT count(*), count(DISTINCT history_id) FROM hubspot_raw.property_history")[0]
    assert first[0] == first[1] > 0
    run_sync(settings, mode="full", resources=CRM_ONLY)
    again = query(settings, "SELECT count(*) FROM hubspot_raw.property_history")[0][0]
    assert again == first[0], "a second load of the same history adds no rows"

    contact_id = query(settings, "SELECT object_id FROM hubspot_raw.property_history WHERE property = 'email' "
                                 "ORDER BY object_id LIMIT 1")[0][0]
    answer = requests.get(f"{server.url}/crm/v3/objects/contacts/{contact_id}",
                          params={"propertiesWithHistory": "email"}, headers=server.headers, timeout=30).json()
    expected = {(e.get("value"), e.get("sourceType")) for e in answer["propertiesWithHistory"]["email"]}
    stored = set(query(settings, "SELECT value, source_type FROM hubspot_raw.property_history "
                                 "WHERE object_type = 'contacts' AND object_id = ? AND property = 'email'", contact_id))
    assert stored == expected
    assert query(settings, "SELECT count(*) FROM hubspot_raw.property_history WHERE property NOT IN "
                           "('email', 'lifecyclestage')")[0][0] == 0


def _oauth_token(server) -> str:
    from hubspot_assets.sandbox.oauth import KNOWN_SCOPES

    redirect = "http://127.0.0.1:9/callback"
    answer = requests.get(
        f"{server.url}/oauth/authorize",
        params={"client_id": server.config.client_id, "redirect_uri": redirect, "scope": " ".join(sorted(KNOWN_SCOPES))},
        allow_redirects=False,
        timeout=30,
    )
    code = requests.utils.urlparse(answer.headers["location"]).query.split("code=")[1].split("&")[0]
    tokens = requests.post(
        f"{server.url}/oauth/v1/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
              "client_id": server.config.client_id, "client_secret": server.config.client_secret},
        timeout=30,
    ).json()
    return tokens["access_token"]


def test_transcripts_load_one_row_per_utterance_linked_to_the_call_with_the_scope(first_run):
    server, settings, report = first_run
    assert not [w for w in report.warnings if "transcript" in w.lower()]
    rows = query(settings, "SELECT t.call_id, count(*), count(DISTINCT t.position), any_value(c.id) "
                           "FROM hubspot_raw.call_transcript_utterances t "
                           "LEFT JOIN hubspot_raw.calls c ON c.id = t.call_id GROUP BY t.call_id")
    assert rows, "calls with a transcription id get their utterances"
    for call_id, count, positions, joined in rows:
        assert count == positions and joined == call_id
    transcript_id, call_id = query(settings, "SELECT hs_call_transcription_id, id FROM hubspot_raw.calls "
                                             "WHERE hs_call_transcription_id IS NOT NULL ORDER BY id LIMIT 1")[0]
    answer = requests.get(f"{server.url}/crm/v3/extensions/calling/transcripts/{transcript_id}",
                          headers={"Authorization": f"Bearer {settings.access_token.get_secret_value()}"},
                          timeout=30).json()
    stored = query(settings, "SELECT speaker_name, text, start_time_ms FROM hubspot_raw.call_transcript_utterances "
                             "WHERE transcript_id = ? ORDER BY position", str(transcript_id))
    expected = [(u["speaker"].get("name"), u["text"], u["startTimeMillis"]) for u in answer["transcriptUtterances"]]
    assert stored == expected


def _transcript_requests(server) -> int:
    by_endpoint = server.admin("stats")["requests"]["by_endpoint"]
    return sum(count for endpoint, count in by_endpoint.items() if "transcripts" in endpoint)


def test_transcripts_skipped_for_a_missing_scope_are_noted_once_then_backfilled_when_the_scope_is_granted(
    portal, tmp_path, caplog
):
    server = portal
    tables = ["calls", "call_transcript_utterances"]
    private = settings_for(server, tmp_path, objects="calls")
    with caplog.at_level(logging.DEBUG):
        report = run_sync(private, mode="incremental", resources=tables)
    # Said once: the note in the report (which the CLI prints and the asset logs), no warning line besides.
    assert len([w for w in report.warnings if "transcript" in w.lower()]) == 1
    logged = [r for r in caplog.records if r.levelno >= logging.WARNING and "transcript" in r.getMessage().lower()]
    assert logged == []
    # Nothing changes in HubSpot; only the credentials gain the scope.
    oauth = settings_for(server, tmp_path, objects="calls", access_token=_oauth_token(server))
    report = run_sync(oauth, mode="incremental", resources=tables)
    assert not [w for w in report.warnings if "transcript" in w.lower()]
    expected = {str(t) for (t,) in query(oauth, "SELECT hs_call_transcription_id FROM hubspot_raw.calls "
                                                "WHERE hs_call_transcription_id IS NOT NULL")}
    stored = {t for (t,) in query(oauth, "SELECT DISTINCT transcript_id FROM hubspot_raw.call_transcript_utterances")}
    assert len(expected) > 10 and stored <= expected
    for transcript_id in expected - stored:  # only transcripts HubSpot does not serve, or serves empty, are absent
        answer = requests.get(f"{server.url}/crm/v3/extensions/calling/transcripts/{transcript_id}",
                              headers={"Authorization": f"Bearer {oauth.access_token.get_secret_value()}"}, timeout=30)
        assert answer.status_code == 404 or not answer.json().get("transcriptUtterances"), transcript_id

    # A reconciliation reads no transcript again: every one is loaded already.
    server.admin("stats/reset", json={})
    run_sync(oauth, mode="reconcile", resources=tables)
    assert _transcript_requests(server) == 0


def test_a_property_added_to_the_history_setting_later_gets_its_history_backfilled(portal, tmp_path):
    server = portal
    tables = ["companies", "property_history"]
    run_sync(settings_for(server, tmp_path, objects="companies", property_history="companies:name"), resources=tables)
    assert query(settings_for(server, tmp_path), "SELECT count(*) FROM hubspot_raw.property_history "
                                                "WHERE property = 'domain'")[0][0] == 0
    # Nothing changed in HubSpot; only the setting gained `domain`.
    settings = settings_for(server, tmp_path, objects="companies", property_history="companies:name,domain")
    run_sync(settings, resources=tables)
    company_id = query(settings, "SELECT id FROM hubspot_raw.companies WHERE NOT archived AND domain IS NOT NULL "
                                 "ORDER BY id LIMIT 1")[0][0]
    answer = requests.get(f"{server.url}/crm/v3/objects/companies/{company_id}",
                          params={"propertiesWithHistory": "domain"}, headers=server.headers, timeout=30).json()
    expected = {e.get("value") for e in answer["propertiesWithHistory"]["domain"]}
    stored = {v for (v,) in query(settings, "SELECT value FROM hubspot_raw.property_history WHERE object_type = "
                                            "'companies' AND object_id = ? AND property = 'domain'", company_id)}
    assert expected and stored == expected
    assert query(settings, "SELECT count(*) - count(DISTINCT history_id) FROM hubspot_raw.property_history")[0][0] == 0


def test_unknown_property_in_the_history_setting_fails_naming_it_and_the_object_type(sandbox, tmp_path):
    import pytest

    from hubspot_assets.sources.pipeline import SetupError

    settings = settings_for(sandbox, tmp_path, objects="contacts", property_history="contacts:email,emailz")
    with pytest.raises(SetupError, match=r"'emailz'.*contacts"):
        run_sync(settings, resources=["contacts"])
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_a_transcript_hubspot_does_not_have_is_asked_for_once_not_on_every_reconciliation(sandbox_factory, tmp_path):
    server = sandbox_factory()
    tables = ["calls", "call_transcript_utterances"]
    oauth = settings_for(server, tmp_path, objects="calls", access_token=_oauth_token(server))
    run_sync(oauth, mode="incremental", resources=tables)
    # A call whose transcription id names no transcript (HubSpot answers 404 for it).
    created = requests.post(f"{server.url}/crm/v3/objects/calls", headers=server.headers, timeout=30,
                            json={"properties": {"hs_call_title": "no transcript", "hs_call_transcription_id": "987654321"}})
    assert created.status_code == 201, created.text
    server.admin("stats/reset", json={})
    run_sync(oauth, mode="reconcile", resources=tables)
    assert _transcript_requests(server) == 1  # asked once, answered 404
    server.admin("stats/reset", json={})
    run_sync(oauth, mode="reconcile", resources=tables)
    assert _transcript_requests(server) == 0
