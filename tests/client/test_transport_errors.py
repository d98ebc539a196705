"""Typed errors carry HubSpot's status, category, correlation id, method and endpoint template, and say what to do."""

from __future__ import annotations

import pytest

from hubspot_assets.hubspot.auth import PrivateAppTokenProvider
from hubspot_assets.hubspot.errors import AuthenticationError, MissingScopesError, NotFoundError, ValidationError
from hubspot_assets.hubspot.transport import Transport, endpoint_template
from tests.client.clients import client_settings

SCOPE = "crm.extensions_calling_transcripts.read"


def test_missing_scopes_lists_the_scopes(sandbox, tmp_path):
    transport = Transport(client_settings(sandbox, tmp_path))
    with pytest.raises(MissingScopesError) as caught:
        transport.request("GET", "/crm/v3/extensions/calling/transcripts/1",
                          endpoint="/crm/v3/extensions/calling/transcripts/{transcriptId}")
    error = caught.value
    assert error.status == 403 and error.category == "MISSING_SCOPES"
    assert error.missing_scopes == [SCOPE]
    assert SCOPE in str(error) and error.correlation_id in str(error)


def test_an_unknown_route_answers_html_and_becomes_not_found(sandbox, tmp_path):
    transport = Transport(client_settings(sandbox, tmp_path))
    with pytest.raises(NotFoundError) as caught:
        transport.request("GET", "/crm/v3/no-such-thing")
    assert "non-JSON" in str(caught.value) and caught.value.status == 404 and not caught.value.retryable


def test_invalid_token_is_an_authentication_error_that_names_the_fix(sandbox, tmp_path):
    transport = Transport(client_settings(sandbox, tmp_path),
                          token_provider=PrivateAppTokenProvider("pat-na1-00000000-not-valid"))
    with pytest.raises(AuthenticationError) as caught:
        transport.request("GET", "/crm/v3/objects/contacts")
    assert caught.value.category == "INVALID_AUTHENTICATION"
    assert "HUBSPOT_ACCESS_TOKEN" in str(caught.value)


def test_validation_errors_keep_hubspot_context(sandbox, tmp_path):
    transport = Transport(client_settings(sandbox, tmp_path))
    with pytest.raises(ValidationError) as caught:
        transport.request("GET", "/crm/v3/objects/contacts", params={"limit": "lots"},
                          endpoint="/crm/v3/objects/{objectType}")
    error = caught.value
    assert error.status == 400 and error.method == "GET" and error.endpoint == "/crm/v3/objects/{objectType}"
    assert "limit" in error.message


def test_default_endpoint_template_hides_ids_and_tokens():
    assert endpoint_template("/crm/v3/objects/contacts/12345") == "/crm/v3/objects/contacts/{id}"
    assert endpoint_template("/oauth/v1/refresh-tokens/abc-def") == "/oauth/v1/refresh-tokens/{token}"
