"""Call transcripts over real HTTP: the scope rule (403 for private apps), OAuth access, body shape, 404s."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

SCOPE = "crm.extensions_calling_transcripts.read"
V3 = "/crm/v3/extensions/calling/transcripts"
V2026 = "/crm/extensions/calling/2026-03/transcripts"


def oauth_token(sandbox, scopes: str) -> str:
    """Run the sandbox's OAuth authorization-code flow and return an access token with `scopes`."""
    redirect = "http://127.0.0.1:9/callback"
    answer = requests.get(f"{sandbox.url}/oauth/authorize", allow_redirects=False, timeout=30, params={
        "client_id": sandbox.config.client_id, "redirect_uri": redirect, "scope": scopes, "state": "s3"})
    assert answer.status_code == 302, answer.text
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    token = requests.post(f"{sandbox.url}/oauth/v1/token", timeout=30, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
        "client_id": sandbox.config.client_id, "client_secret": sandbox.config.client_secret})
    assert token.status_code == 200, token.text
    return token.json()["access_token"]


@pytest.fixture(scope="module")
def calls_with_transcripts(sandbox) -> list[dict]:
    properties = "hs_call_transcription_id,hs_call_duration,hubspot_owner_id,hs_call_has_transcript"
    answer = requests.get(f"{sandbox.url}/crm/v3/objects/calls", headers=sandbox.headers, timeout=30,
                          params={"limit": 100, "properties": properties})
    assert answer.status_code == 200, answer.text
    calls = [c for c in answer.json()["results"] if c["properties"].get("hs_call_transcription_id")]
    assert len(calls) >= 5
    assert all(c["properties"]["hs_call_has_transcript"] == "true" for c in calls)
    return calls


@pytest.fixture(scope="module")
def transcript_headers(sandbox) -> dict[str, str]:
    return {"Authorization": f"Bearer {oauth_token(sandbox, f'oauth crm.objects.contacts.read {SCOPE}')}"}


def test_private_app_token_gets_403_missing_scopes_naming_the_scope(sandbox, calls_with_transcripts):
    transcript_id = calls_with_transcripts[0]["properties"]["hs_call_transcription_id"]
    for prefix in (V3, V2026):
        answer = requests.get(f"{sandbox.url}{prefix}/{transcript_id}", headers=sandbox.headers, timeout=30)
        assert answer.status_code == 403
        body = answer.json()
        assert body["category"] == "MISSING_SCOPES" and body["correlationId"]
        assert body["errors"][0]["context"]["requiredGranularScopes"] == [SCOPE]
        assert SCOPE in body["message"]


def test_oauth_token_without_the_scope_is_also_refused(sandbox, calls_with_transcripts):
    token = oauth_token(sandbox, "oauth crm.objects.contacts.read")
    transcript_id = calls_with_transcripts[0]["properties"]["hs_call_transcription_id"]
    answer = requests.get(f"{sandbox.url}{V3}/{transcript_id}", timeout=30,
                          headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403 and answer.json()["category"] == "MISSING_SCOPES"


def test_transcript_belongs_to_its_call_with_owner_and_contact_speakers(sandbox, calls_with_transcripts,
                                                                        transcript_headers):
    owners_answer = requests.get(f"{sandbox.url}/crm/v3/owners", headers=sandbox.headers, timeout=30,
                                 params={"limit": 100})
    owner_ids = {o["id"] for o in owners_answer.json()["results"]} if owners_answer.status_code == 200 else None
    for call in calls_with_transcripts[:5]:
        props = call["properties"]
        answer = requests.get(f"{sandbox.url}{V3}/{props['hs_call_transcription_id']}", headers=transcript_headers,
                              timeout=30)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["id"] == props["hs_call_transcription_id"]
        assert body["engagementId"] == int(call["id"]) and isinstance(body["engagementId"], int)
        assert body["transcriptSource"] in ("HUBSPOT_GENERATED", "INTEGRATOR_GENERATED")
        assert body["createdAt"] <= body["updatedAt"]
        utterances = body["transcriptUtterances"]
        assert len(utterances) >= 2
        duration = int(props["hs_call_duration"] or 180_000)
        previous_end = 0
        for u in utterances:
            assert previous_end <= u["startTimeMillis"] < u["endTimeMillis"] <= duration
            previous_end = u["endTimeMillis"]
            assert u["text"] and u["speaker"]["id"] and u["speaker"]["name"]
        speakers = {u["speaker"]["id"] for u in utterances}
        assert len(speakers) == 2
        if props.get("hubspot_owner_id"):
            assert props["hubspot_owner_id"] in speakers
            if owner_ids is not None:
                assert props["hubspot_owner_id"] in owner_ids
        customer = (speakers - {props.get("hubspot_owner_id")}).pop()
        contact = requests.get(f"{sandbox.url}/crm/v3/objects/contacts/{customer}", headers=sandbox.headers,
                               timeout=30)
        assert contact.status_code == 200


def test_both_path_families_answer_the_same_transcript(sandbox, calls_with_transcripts, transcript_headers):
    transcript_id = calls_with_transcripts[1]["properties"]["hs_call_transcription_id"]
    v3 = requests.get(f"{sandbox.url}{V3}/{transcript_id}", headers=transcript_headers, timeout=30)
    dated = requests.get(f"{sandbox.url}{V2026}/{transcript_id}", headers=transcript_headers, timeout=30)
    assert v3.status_code == dated.status_code == 200
    assert v3.json() == dated.json()


def test_unknown_transcript_answers_404(sandbox, transcript_headers):
    for transcript_id in ("1", "not-a-number", "999999999997"):
        answer = requests.get(f"{sandbox.url}{V3}/{transcript_id}", headers=transcript_headers, timeout=30)
        assert answer.status_code == 404
        assert answer.json()["category"] == "OBJECT_NOT_FOUND"
