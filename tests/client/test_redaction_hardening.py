"""Redaction beyond the happy path: secrets handled only by another process, details copied from HubSpot's
bodies, short secrets, and every logger of the client package."""

from __future__ import annotations

import importlib
import json
import logging
import pkgutil
import subprocess
import sys
import time
from pathlib import Path

import requests

import hubspot_assets.hubspot as package
from hubspot_assets.hubspot import oauth_flow
from hubspot_assets.hubspot.errors import error_from_response
from hubspot_assets.hubspot.logging import RedactionFilter, redact, register_secret
from hubspot_assets.hubspot.token_store import StoredTokens, TokenStore
from tests.client.clients import TOKEN_KEY, client_settings

ROOT = Path(__file__).resolve().parents[2]


def test_secrets_handled_only_by_another_process_never_reach_its_logs_or_errors(sandbox_factory, tmp_path):
    sandbox = sandbox_factory()
    settings = client_settings(sandbox, tmp_path, oauth=True, retry_max_attempts=1)
    # Log in here, then expire the stored token: the worker refreshes it, and only the worker sees the new one.
    oauth_flow.login(settings, port=0, opener=lambda url: requests.get(url, timeout=10), show=lambda _: None,
                     timeout=20)
    store = TokenStore(tmp_path / "tokens.enc", TOKEN_KEY)
    before = store.load()
    store.save(StoredTokens(**{**before.to_json(), "scopes": tuple(before.scopes), "expires_at": time.time() - 1}))
    developer_key = "dev-key-never-seen-here-" + "7" * 12
    job = {
        "settings": {
            "base_url": sandbox.url, "client_id": sandbox.config.client_id,
            "client_secret": sandbox.config.client_secret, "token_key": TOKEN_KEY,
            "token_store_path": str(tmp_path / "tokens.enc"), "state_dir": str(tmp_path / "state"),
            "tier": "unlimited", "retry_max_attempts": 1,
        },
        "app_id": sandbox.config.app_id,
        "developer_key": developer_key,
    }
    done = subprocess.run([sys.executable, "-m", "tests.client.redaction_worker"], input=json.dumps(job),
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["refreshes"] == 1 and len(report["errors"]) == 2  # the introspection succeeds
    refreshed = store.load()  # read only now: the worker's tokens were never known to this process before
    assert refreshed.access_token != before.access_token
    output = done.stdout + done.stderr
    # The output proves something: request lines, urllib3's paths and the caller's tracebacks are there.
    assert "hubspot_elt.http" in output and "urllib3" in output and "Traceback" in output
    secrets = {
        "refreshed access token": refreshed.access_token,
        "refresh token": refreshed.refresh_token,
        "client secret": sandbox.config.client_secret,
        "developer key": developer_key,
    }
    for name, secret in secrets.items():
        assert secret not in output, f"{name} leaked"
    assert "check the developer API key" in report["errors"][0][0]  # not the access-token hint


def test_error_details_copied_from_hubspot_bodies_are_redacted():
    body = {
        "status": "error", "message": "bad input", "category": "VALIDATION_ERROR",
        "context": {"token": ["pat-na1-11111111-aaaa-bbbb"], "url": ["/x?access_token=leaky-value-9"]},
        "errors": [{"message": "Authorization: Bearer eyJleaky.header.sig", "context": {"code": ["code=abc123"]}}],
    }
    error = error_from_response(400, body, method="POST", endpoint="/x")
    text = repr(vars(error))
    for secret in ("pat-na1-11111111-aaaa-bbbb", "leaky-value-9", "eyJleaky.header.sig", "abc123"):
        assert secret not in text, secret
    assert error.context["token"] == ["***"]


def test_short_registered_secret_is_redacted_where_it_stands_alone():
    register_secret("k9q2")
    assert redact("the key is k9q2, sent twice: k9q2") == "the key is ***, sent twice: ***"
    assert redact("ok9q2x") == "ok9q2x"  # not inside a longer word


def test_every_logger_of_the_client_package_redacts(caplog):
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    loggers = {
        name: logger for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger) and name.startswith(("hubspot_assets.hubspot", "hubspot_elt"))
    }
    assert "hubspot_assets.hubspot.crm" in loggers and "hubspot_elt.http" in loggers
    unfiltered = [n for n, lg in loggers.items() if not any(isinstance(f, RedactionFilter) for f in lg.filters)]
    assert unfiltered == []
    with caplog.at_level(logging.INFO):
        logging.getLogger("hubspot_assets.hubspot.associations").warning("sent %s", "Bearer abcdef0123456789")
    assert "abcdef0123456789" not in caplog.text and "Bearer ***" in caplog.text
