"""Robust reading of HubSpot's answers: lenient where HubSpot is loose (unknown fields, missing optional
fields, empty values, numeric or string ids), strict where the shape is wrong (a clear
`MalformedResponseError` naming the endpoint and what was expected).

The sandbox always answers well-formed bodies, so these shapes come from a tiny canned-answer HTTP server on a
real 127.0.0.1 socket.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from hubspot_assets.hubspot.client import HubSpotClient
from hubspot_assets.hubspot.errors import MalformedResponseError
from hubspot_assets.hubspot.settings import ClientSettings


class _Canned:
    """Answers by (method, path): a JSON value, or a function of (query dict, JSON body) giving one."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], object] = {}

    def __call__(self, method: str, path: str, query: dict, body: object) -> object:
        answer = self.answers.get((method, path), {"status": "error", "message": "no canned answer"})
        return answer(query, body) if callable(answer) else answer


@pytest.fixture
def canned(tmp_path):
    answers = _Canned()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            sent = json.loads(self.rfile.read(length)) if length else None
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            body = json.dumps(answers(self.command, url.path, query, sent)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    settings = ClientSettings(
        base_url=f"http://127.0.0.1:{server.server_address[1]}",
        access_token="pat-na1-test",
        tier="unlimited",
        state_dir=tmp_path / "state",
        retry_max_attempts=1,
    )
    client = HubSpotClient(settings)
    try:
        yield answers, client
    finally:
        client.close()
        server.shutdown()
        server.server_close()


def test_loose_but_valid_answers_are_accepted(canned):
    answers, client = canned
    answers.answers[("GET", "/crm/v3/objects/contacts")] = {
        "results": [
            {"id": 1, "properties": {"email": "", "firstname": None}, "unknownField": {"x": 1}},
            {"id": "2", "properties": {}, "createdAt": "2025-01-01T00:00:00Z"},
            {"id": "3"},
        ],
        "paging": {"next": {"link": "no cursor here"}},
        "somethingNew": True,
    }
    records = [r for page in client.list_records("contacts", ["email", "firstname"]) for r in page]
    assert [r["id"] for r in records] == ["1", "2", "3"]  # a numeric id is read as a string
    assert records[0]["unknownField"] == {"x": 1}
    answers.answers[("GET", "/crm/v3/properties/contacts")] = {
        "results": [
            {"name": "bare"},
            {
                "name": "pick",
                "type": "enumeration",
                "options": None,
                "groupName": "",
                "hubspotDefined": None,
                "newFlag": 1,
            },
        ]
    }
    props = client.properties("contacts")
    assert props[0].type == "string" and props[0].options == []
    assert props[1].group_name is None and props[1].hubspot_defined is False


def test_association_ids_as_numbers_or_strings_are_strings(canned):
    answers, client = canned
    answers.answers[("POST", "/crm/v4/associations/contacts/companies/batch/read")] = {
        "status": "COMPLETE",
        "results": [
            {
                "from": {"id": "7"},
                "to": [
                    {
                        "toObjectId": 5790939450,
                        "associationTypes": [
                            {"category": "HUBSPOT_DEFINED", "typeId": 1, "label": "Primary"},
                            {"category": "HUBSPOT_DEFINED", "typeId": 279, "label": None},
                        ],
                    },
                    {"toObjectId": "12", "associationTypes": [{"typeId": "279"}]},
                ],
            },
        ],
        "errors": [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                "context": {"fromObjectId": ["8"]},
            }
        ],
    }
    links = list(client.associations("contacts", "companies", ["7", "8"]))
    assert [(a.from_id, a.to_id, a.type_id, a.label) for a in links] == [
        ("7", "5790939450", 1, "Primary"),
        ("7", "5790939450", 279, None),
        ("7", "12", 279, None),
    ]
    assert client.association_errors == []


@pytest.mark.parametrize(
    ("method", "path", "body", "call", "expected"),
    [
        (
            "GET",
            "/crm/v3/objects/contacts",
            {"results": {"id": "1"}},
            lambda c: list(c.list_records("contacts")),
            '"results" to be a list',
        ),
        (
            "GET",
            "/crm/v3/objects/contacts",
            {"results": [{"properties": {}}]},
            lambda c: list(c.list_records("contacts")),
            'an "id"',
        ),
        (
            "GET",
            "/crm/v3/objects/contacts",
            [1, 2],
            lambda c: list(c.list_records("contacts")),
            "a JSON object",
        ),
        (
            "GET",
            "/crm/v3/objects/contacts",
            {"results": [{"id": "1", "properties": ["a"]}]},
            lambda c: list(c.list_records("contacts")),
            '"properties" to be an object',
        ),
        (
            "GET",
            "/crm/v3/objects/contacts",
            {"results": [], "paging": {"next": "abc"}},
            lambda c: list(c.list_records("contacts")),
            '"paging.next" to be an object',
        ),
        (
            "POST",
            "/crm/v4/associations/contacts/companies/batch/read",
            {"results": [{"from": {"id": "1"}, "to": {"x": 1}}]},
            lambda c: list(c.associations("contacts", "companies", ["1"])),
            '"to" to be a list',
        ),
        (
            "GET",
            "/crm/v3/properties/contacts",
            {"results": [{"label": "no name"}]},
            lambda c: c.properties("contacts"),
            "a Property (name",
        ),
        ("GET", "/crm/v3/owners", {"results": [{"email": "a@b.c"}]}, lambda c: list(c.owners()), 'an "id"'),
        (
            "POST",
            "/crm/v3/objects/contacts/search",
            {"total": 1, "results": "nope"},
            lambda c: list(c.search_records("contacts")),
            '"results" to be a list',
        ),
    ],
)
def test_wrong_shapes_raise_malformed_naming_the_endpoint(canned, method, path, body, call, expected):
    answers, client = canned
    answers.answers[(method, path)] = body
    with pytest.raises(MalformedResponseError) as caught:
        call(client)
    text = str(caught.value)
    assert expected in text
    template = path.replace("/contacts/companies/", "/{fromObjectType}/{toObjectType}/").replace(
        "/contacts", "/{objectType}"
    )
    assert text.startswith(f"{method} {template} ")  # names the endpoint (template) the answer came from


def test_split_pages_that_disagree_on_ids_are_read_by_batch_read(canned):
    answers, client = canned
    names = [f"wide_property_{i:03d}" for i in range(60)]

    def listing(query, _body):
        asked = query.get("properties", "").split(",")
        # A record (2) was archived and another (4) created between the two halves of the same page.
        ids = ["1", "2", "3"] if names[0] in asked else ["1", "3", "4"]
        return {"results": [{"id": i, "properties": {n: f"{n}-{i}" for n in asked}} for i in ids]}

    def batch_read(_query, body):
        wanted = [item["id"] for item in body["inputs"]]
        found = [i for i in wanted if i != "2"]  # 2 is gone by now
        results = [{"id": i, "properties": {n: f"full-{n}-{i}" for n in body["properties"]}} for i in found]
        return {"status": "COMPLETE", "results": results}

    answers.answers[("GET", "/crm/v3/objects/contacts")] = listing
    answers.answers[("POST", "/crm/v3/objects/contacts/batch/read")] = batch_read
    narrow = HubSpotClient(client.settings, max_url_length=len(client.settings.base_url) + 900)
    records = [r for page in narrow.list_records("contacts", names) for r in page]
    assert [r["id"] for r in records] == ["1", "3"]  # the ids of the first half; 2 vanished; 4 is next run's
    assert all(r["properties"] == {n: f"full-{n}-{r['id']}" for n in names} for r in records)
