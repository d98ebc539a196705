"""OAuth scopes enforced per API family over real HTTP: 403 MISSING_SCOPES naming what would do; token lifetime."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from hubspot_assets.sandbox.config import SandboxConfig
from hubspot_assets.sandbox.server import SandboxServer

REDIRECT = "http://127.0.0.1:9/callback"
# One path per family and the scope it needs.
FAMILIES = [
    ("GET", "/crm/v3/objects/contacts", "crm.objects.contacts.read"),
    ("GET", "/crm/objects/2026-03/companies", "crm.objects.companies.read"),
    ("GET", "/crm/v3/objects/deals", "crm.objects.deals.read"),
    ("GET", "/crm/v3/objects/tickets", "tickets"),
    ("GET", "/crm/v3/objects/emails", "sales-email-read"),
    ("GET", "/crm/v3/objects/calls", "crm.objects.contacts.read"),
    ("GET", "/crm/v3/objects/2-3508482", "crm.objects.custom.read"),
    ("GET", "/crm/v3/owners", "crm.objects.owners.read"),
    ("GET", "/crm/v3/schemas", "crm.schemas.custom.read"),
    ("GET", "/conversations/v3/conversations/threads", "conversations.read"),
    ("GET", "/crm/v3/pipelines/tickets", "tickets"),
]


@pytest.fixture(scope="module")
def server():
    with SandboxServer(SandboxConfig(seed=42, scale="small", tier="unlimited")) as sandbox:
        yield sandbox


def _token(sandbox, scopes: str) -> dict:
    config = sandbox.config
    answer = requests.get(f"{sandbox.url}/oauth/authorize", params={
        "client_id": config.client_id, "redirect_uri": REDIRECT, "scope": scopes}, allow_redirects=False, timeout=30)
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    return requests.post(f"{sandbox.url}/oauth/v1/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "client_id": config.client_id, "client_secret": config.client_secret}, timeout=30).json()


def _call(sandbox, token: str, method: str, path: str, json=None) -> requests.Response:
    return requests.request(method, sandbox.url + path, json=json, headers={"Authorization": f"Bearer {token}"},
                            timeout=30)


def _required(answer: requests.Response) -> list[list[str]]:
    return [e["context"]["requiredGranularScopes"] for e in answer.json()["errors"]]


def test_an_oauth_token_without_a_family_scope_gets_403_missing_scopes_naming_it(server):
    token = _token(server, "oauth")["access_token"]
    for method, path, scope in FAMILIES:
        answer = _call(server, token, method, path)
        assert answer.status_code == 403, (path, answer.status_code)
        body = answer.json()
        assert body["category"] == "MISSING_SCOPES" and body["status"] == "error", path
        assert body["correlationId"] == answer.headers["X-HubSpot-Correlation-Id"]
        assert [scope] in _required(answer) or any(scope in req for req in _required(answer)), path


def test_read_scopes_allow_reads_but_not_writes_and_associations_need_both_sides(server):
    token = _token(server, "oauth crm.objects.contacts.read")["access_token"]
    assert _call(server, token, "GET", "/crm/v3/objects/contacts").status_code == 200
    assert _call(server, token, "POST", "/crm/v3/objects/contacts/search", {"limit": 1}).status_code == 200
    assert _call(server, token, "POST", "/crm/v3/objects/contacts/batch/read",
                 {"inputs": [{"id": "51"}]}).status_code in (200, 207)
    write = _call(server, token, "POST", "/crm/v3/objects/contacts", {"properties": {"firstname": "No"}})
    assert write.status_code == 403 and _required(write) == [["crm.objects.contacts.write"]]
    pair = _call(server, token, "POST", "/crm/v4/associations/contacts/companies/batch/read", {"inputs": []})
    assert pair.status_code == 403 and _required(pair) == [["crm.objects.companies.read"]]
    properties = _call(server, _token(server, "oauth crm.schemas.contacts.read")["access_token"], "GET",
                       "/crm/v3/properties/contacts")
    assert properties.status_code == 200  # a schema scope is enough to read property definitions


def test_the_extractor_scopes_and_the_private_app_token_reach_every_family(server):
    from hubspot_assets.settings import Settings

    granted = _token(server, Settings().oauth_scopes)["access_token"]  # a plain model: the default scopes
    for token in (granted, server.token):
        for method, path, _ in FAMILIES:
            answer = _call(server, token, method, path)
            assert answer.status_code == 200, (path, answer.text[:200])
    transcript = _call(server, server.token, "GET", "/crm/v3/extensions/calling/transcripts/x")
    assert transcript.status_code == 403 and transcript.json()["category"] == "MISSING_SCOPES"


def test_token_answer_expires_in_is_exactly_the_lifetime(server):
    tokens = _token(server, "oauth")
    assert tokens["expires_in"] == 1800


def test_an_unsupported_grant_type_is_named_before_client_checks(server):
    answer = requests.post(f"{server.url}/oauth/v1/token", data={"grant_type": "password", "username": "u"},
                           timeout=30)
    assert answer.status_code == 400 and answer.json()["error"] == "unsupported_grant_type"
