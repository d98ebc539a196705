"""The repository's models built for real on a sandbox portal, checked against the sandbox's own truth.

One module fixture loads the sandbox (full sync with an OAuth token, so call transcripts load; property history on),
then merges, archives and GDPR-deletes records in HubSpot, reconciles, and builds every model with `run_models`.
Each test then compares a mart with what the sandbox says: its live records, its labels, its transcripts.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests

from hubspot_assets.models.build import build_models
from hubspot_assets.models.project import load_project
from hubspot_assets.models.runner import run_models
from hubspot_assets.sandbox.config import SandboxConfig
from hubspot_assets.sandbox.server import SandboxServer
from hubspot_assets.sources.pipeline import run_sync
from tests.conftest import DEFAULTS
from tests.sources.sandbox_warehouse import query, settings_for, truth

ENGAGEMENTS = {"emails": "email", "calls": "call", "notes": "note", "meetings": "meeting", "tasks": "task",
               "communications": "communication"}
HISTORY = "contacts:lifecyclestage;companies:name;deals:dealstage"


def _oauth_token(server: SandboxServer) -> str:
    """An OAuth access token with every scope (transcripts need one; the private-app token lacks that scope)."""
    from hubspot_assets.sandbox.oauth import KNOWN_SCOPES

    redirect = "http://127.0.0.1:9/callback"
    answer = requests.get(f"{server.url}/oauth/authorize", allow_redirects=False, timeout=30, params={
        "client_id": server.config.client_id, "redirect_uri": redirect, "scope": " ".join(sorted(KNOWN_SCOPES))})
    code = re.search(r"[?&]code=([^&]+)", answer.headers["location"]).group(1)
    tokens = requests.post(f"{server.url}/oauth/v1/token", timeout=30, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
        "client_id": server.config.client_id, "client_secret": server.config.client_secret}).json()
    return tokens["access_token"]


def _contacts_with_engagements(settings) -> list[int]:
    """Live contacts linked to at least two live engagements, not part of any merge yet, lowest ids first."""
    return [r[0] for r in query(settings, """
        SELECT c.id FROM hubspot_raw.contacts c
        JOIN hubspot_raw.associations a ON a.to_object_type = 'contacts' AND a.to_id = c.id
        JOIN hubspot_raw.calls e ON a.from_object_type = 'calls' AND e.id = a.from_id AND NOT e.archived
        WHERE NOT c.archived AND c.id NOT IN (SELECT merged_id FROM hubspot_raw.merges)
          AND c.id NOT IN (SELECT survivor_id FROM hubspot_raw.merges)
        GROUP BY c.id HAVING count(*) >= 2 ORDER BY c.id""")]


@pytest.fixture(scope="module")
def marts(tmp_path_factory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("marts")
    server = SandboxServer(SandboxConfig(**DEFAULTS)).start()
    try:
        token = _oauth_token(server)
        settings = settings_for(server, folder, access_token=token, property_history=HISTORY)
        run_sync(settings, mode="full", snapshot=False)

        survivor, merged, archived, deleted = _contacts_with_engagements(settings)[:4]
        call = query(settings, "SELECT id FROM hubspot_raw.calls WHERE NOT archived "
                               "AND hs_call_transcription_id IS NULL ORDER BY id LIMIT 1")[0][0]
        company = query(settings, "SELECT to_id FROM hubspot_raw.associations WHERE from_object_type = 'contacts' "
                                  "AND to_object_type = 'companies' AND label = 'Primary' ORDER BY to_id LIMIT 1")[0][0]
        server.admin("mutate", json={"operations": [
            {"op": "merge", "objectType": "contacts", "primaryId": survivor, "mergedId": merged},
            {"op": "archive", "objectType": "contacts", "id": archived},
            {"op": "gdpr_delete", "objectType": "contacts", "id": deleted},
            {"op": "archive", "objectType": "calls", "id": call},
            {"op": "archive", "objectType": "companies", "id": company},
        ]})
        run_sync(settings, mode="reconcile", snapshot=False)  # the pass that sees archives and deletions
        results = run_models(settings)
        yield {"server": server, "settings": settings, "token": token, "results": results, "folder": folder,
               "survivor": survivor, "merged": merged, "archived": archived, "deleted": deleted, "call": call,
               "company": company}
    finally:
        server.stop()


def _ids(settings, sql: str) -> set:
    return {r[0] for r in query(settings, sql)}


def _live(server, object_type: str) -> set[int]:
    return {i for i, r in truth(server, object_type).items() if not r["archived"]}


def test_every_model_builds_and_passes_every_yaml_test_and_its_contract(marts):
    results = marts["results"]
    project = load_project()
    assert {r.model.name for r in results} == set(project.models)
    assert [(r.model.name, r.mode, r.error) for r in results if r.mode in ("failed", "blocked")] == []
    failed = [(r.model.name, c.test.name, c.test.column, c.failing_rows, c.sample) for r in results
              for c in r.checks if not c.passed]
    assert failed == []
    marts_with_contract = {r.model.name for r in results for c in r.checks if c.test.kind == "contract"}
    assert marts_with_contract == {m.name for m in project.models.values() if m.folder == "marts"}
    assert all(r.rows for r in results if r.model.folder == "marts"), "every mart holds rows on this portal"


def test_customers_are_the_live_contacts_with_merged_ones_folded_into_their_survivor(marts):
    settings, server = marts["settings"], marts["server"]
    customers = _ids(settings, "SELECT customer_id FROM hubspot.customers")
    assert customers == _live(server, "contacts")
    assert not {marts["merged"], marts["archived"], marts["deleted"]} & customers
    merged_ids = query(settings, "SELECT merged_contact_ids FROM hubspot.customers WHERE customer_id = ?",
                       marts["survivor"])[0][0]
    assert marts["merged"] in merged_ids
    every_merge = {(r[0], r[1]) for r in query(settings, "SELECT merged_id, survivor_id FROM hubspot_raw.merges "
                                                         "WHERE object_type = 'contacts'")}
    listed = {(m, c) for c, ids in query(settings, "SELECT customer_id, merged_contact_ids FROM hubspot.customers")
              for m in ids}
    assert listed == {(m, s) for m, s in every_merge if s in customers}


def test_customer_interaction_counts_per_channel_equal_the_live_engagements_linked_to_them(marts):
    """For each CRM channel: the live engagements linked (either direction) to the customer or to a contact merged
    into it, counted from raw links and the sandbox's live records."""
    settings, server = marts["settings"], marts["server"]
    fold = {m: s for m, s in query(settings, "SELECT merged_id, survivor_id FROM hubspot_raw.merges "
                                             "WHERE object_type = 'contacts'")}
    live_contacts = _live(server, "contacts")
    for table, channel in ENGAGEMENTS.items():
        live = _live(server, table)
        links = query(settings, "SELECT from_id, to_id FROM hubspot_raw.associations WHERE from_object_type = ? "
                                "AND to_object_type = 'contacts' UNION SELECT to_id, from_id FROM "
                                "hubspot_raw.associations WHERE to_object_type = ? AND from_object_type = 'contacts'",
                      table, table)
        pairs = {(e, fold.get(c, c)) for e, c in links if e in live and fold.get(c, c) in live_contacts}
        expected = Counter(contact for _, contact in pairs)
        stored = dict(query(settings, f"SELECT customer_id, {channel}_count FROM hubspot.customers "
                                      f"WHERE {channel}_count > 0"))
        assert stored == dict(expected), channel
    survivor = query(settings, "SELECT call_count FROM hubspot.customers WHERE customer_id = ?", marts["survivor"])
    assert survivor[0][0] >= 4, "the survivor counts its own calls and the merged contact's (two or more each)"


def test_interactions_per_channel_are_the_live_raw_records_of_that_channel(marts):
    settings, server = marts["settings"], marts["server"]
    stored = dict(query(settings, "SELECT channel, count(*) FROM hubspot.interactions GROUP BY channel"))
    for table, channel in ENGAGEMENTS.items():
        assert stored.get(channel, 0) == len(_live(server, table)), channel
    assert marts["call"] not in _ids(settings, "SELECT CAST(record_id AS BIGINT) FROM hubspot.interactions "
                                               "WHERE channel = 'call'")
    # conversations: messages and internal comments of live, non-spam threads, not archived themselves
    spam = _ids(settings, "SELECT CAST(id AS BIGINT) FROM hubspot_raw.threads WHERE spam")
    live_threads = {int(t["id"]) for t in server.admin("truth/threads")["results"] if not t["archived"]} - spam
    messages = {m["id"] for m in server.admin("truth/messages")["results"]
                if not m["archived"] and int(m["threadId"]) in live_threads and m["type"] in ("MESSAGE", "COMMENT")}
    assert _ids(settings, "SELECT record_id FROM hubspot.interactions WHERE channel = 'conversation'") == messages


def test_archived_and_deleted_records_appear_in_no_mart_but_stay_in_raw(marts):
    settings = marts["settings"]
    gone = {marts["merged"], marts["archived"], marts["deleted"]}
    contact_columns = {"customers": "customer_id", "interactions": "contact_id", "conversations": "contact_id",
                       "tickets": "contact_id", "messages": "sender_contact_id", "contact_history": "contact_id"}
    for mart, column in contact_columns.items():
        assert not gone & _ids(settings, f"SELECT {column} FROM hubspot.{mart}"), mart
    company_columns = {"companies": "company_id", "customers": "primary_company_id", "deals": "company_id",
                       "interactions": "company_id", "tickets": "company_id"}
    for mart, column in company_columns.items():
        assert marts["company"] not in _ids(settings, f"SELECT {column} FROM hubspot.{mart}"), mart
    raw = dict(query(settings, "SELECT id, archived FROM hubspot_raw.contacts WHERE id IN (?, ?, ?)",
                     marts["merged"], marts["archived"], marts["deleted"]))
    assert raw == {marts["merged"]: True, marts["archived"]: True}, "archived stay in raw, GDPR-deleted do not"


def _sandbox(marts, path: str) -> dict:
    answer = requests.get(f"{marts['server'].url}{path}", timeout=30,
                          headers={"Authorization": f"Bearer {marts['token']}"})
    answer.raise_for_status()
    return answer.json()


def test_marts_show_hubspots_labels_next_to_its_codes(marts):
    settings = marts["settings"]
    options = {p["name"]: {o["value"]: o["label"] for o in p.get("options") or []}
               for p in _sandbox(marts, "/crm/v3/properties/contacts")["results"]}
    rows = query(settings, "SELECT lifecycle_stage, lifecycle_stage_label FROM hubspot.customers "
                           "WHERE lifecycle_stage IS NOT NULL")
    assert rows and all(label == options["lifecyclestage"][code] for code, label in rows)
    assert query(settings, "SELECT count(*) FROM hubspot.customers WHERE lifecycle_stage IS NOT NULL "
                           "AND lifecycle_stage_label IS NULL")[0][0] == 0

    for object_type, mart, stage_label in (("deals", "deals", "stage_label"), ("tickets", "tickets", "status_label")):
        pipelines = _sandbox(marts, f"/crm/v3/pipelines/{object_type}")["results"]
        labels = {(p["id"], s["id"]): (p["label"], s["label"]) for p in pipelines for s in p["stages"]}
        rows = query(settings, f"SELECT pipeline_id, stage_id, pipeline_label, {stage_label} FROM hubspot.{mart}")
        assert rows and all(labels[(p, s)] == (pl, sl) for p, s, pl, sl in rows), mart
    won = query(settings, "SELECT DISTINCT stage_label FROM hubspot.deals WHERE is_won")
    assert won and {r[0] for r in won} <= {"Closed Won", "Renewed"}


def test_call_interactions_carry_the_transcript_in_spoken_order_with_speakers(marts):
    settings = marts["settings"]
    calls = query(settings, "SELECT id, hs_call_transcription_id FROM hubspot_raw.calls WHERE NOT archived "
                            "AND hs_call_transcription_id IS NOT NULL ORDER BY id LIMIT 3")
    assert calls
    for call_id, transcript_id in calls:
        answer = _sandbox(marts, f"/crm/v3/extensions/calling/transcripts/{transcript_id}")
        expected = "\n".join(f"{u['speaker']['name']}: {u['text']}" for u in answer["transcriptUtterances"])
        stored = query(settings, "SELECT transcript FROM hubspot.interactions WHERE interaction_id = ?",
                       f"call:{call_id}")
        assert stored == [(expected,)]


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "".join("".join(parser.parts).split())


def test_bodies_are_the_html_bodies_text_with_entities_decoded(marts):
    settings = marts["settings"]
    rows = query(settings, "SELECT i.body, n.hs_note_body FROM hubspot.interactions i JOIN hubspot_raw.notes n "
                           "ON i.interaction_id = 'note:' || n.id WHERE n.hs_note_body LIKE '%&amp;%' LIMIT 50")
    assert rows
    for body, html in rows:
        assert "<" not in body and "&amp;" not in body
        assert "".join(body.split()) == _visible_text(html)  # same text, only the spacing may differ


def test_contact_history_is_the_sandboxs_property_history_as_validity_ranges(marts):
    settings = marts["settings"]
    contact_id = query(settings, "SELECT contact_id FROM hubspot.contact_history GROUP BY 1 "
                                 "HAVING count(*) >= 2 ORDER BY 1 LIMIT 1")[0][0]
    answer = _sandbox(marts, f"/crm/v3/objects/contacts/{contact_id}?propertiesWithHistory=lifecyclestage")
    entries = sorted(answer["propertiesWithHistory"]["lifecyclestage"], key=lambda e: e["timestamp"])
    rows = query(settings, "SELECT value, epoch_ms(valid_from), epoch_ms(valid_to), is_current FROM "
                           "hubspot.contact_history WHERE contact_id = ? AND property_name = 'lifecyclestage' "
                           "ORDER BY valid_from", contact_id)
    assert [r[0] for r in rows] == [e["value"] for e in entries]
    assert [r[2] for r in rows[:-1]] == [r[1] for r in rows[1:]], "each value holds until the next one"
    assert [r[3] for r in rows] == [False] * (len(rows) - 1) + [True]


def test_without_property_history_the_history_marts_build_empty(marts, tmp_path):
    """A warehouse of a portal with history off (the same data without `hubspot_raw.property_history`)."""
    copy = Path(tmp_path) / "no_history.duckdb"
    shutil.copy(marts["settings"].absolute(marts["settings"].warehouse_path), copy)
    with duckdb.connect(str(copy)) as connection:
        connection.execute("DROP TABLE hubspot_raw.property_history")
        results = build_models(connection, load_project(connection=connection), full_refresh=True)
        by_name = {r.model.name: r for r in results}
        assert [(r.model.name, r.error) for r in results if not r.ok] == []
        assert {n: by_name[n].rows for n in ("contact_history", "company_history", "deal_history")} == {
            "contact_history": 0, "company_history": 0, "deal_history": 0}
        assert by_name["customers"].rows > 0
