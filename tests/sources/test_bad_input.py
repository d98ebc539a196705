"""Settings that cannot work fail fast, before anything is written, with a message that says what to set."""

from __future__ import annotations

import re
import socket

import pytest
from click.testing import CliRunner

from hubspot_assets.hubspot.errors import AuthenticationError, ConfigurationError, HubSpotError
from hubspot_assets.settings import Settings
from hubspot_assets.sources.pipeline import SetupError, prepare, run_sync
from tests.sources.sandbox_warehouse import settings_for


@pytest.fixture(autouse=True)
def _no_ambient_credentials(monkeypatch):
    for name in ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_CLIENT_ID", "HUBSPOT_CLIENT_SECRET", "HUBSPOT_OBJECTS"):
        monkeypatch.delenv(name, raising=False)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_missing_token_names_the_variable_to_set(tmp_path):
    # No credential at all fails before any request, so nothing needs to listen at the base URL.
    settings = Settings(base_url=f"http://127.0.0.1:{_closed_port()}", tier="unlimited", state_dir=tmp_path / "state",
                        warehouse_path=tmp_path / "warehouse.duckdb")
    with pytest.raises(ConfigurationError, match="HUBSPOT_ACCESS_TOKEN"):
        run_sync(settings)
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_wrong_base_url_fails_within_seconds_and_names_hubspot_base_url(tmp_path):
    # Nothing listens there, so no sandbox is needed: each attempt is refused at once, and the error tells how many
    # attempts the first call made and how long it waited between them.
    settings = Settings(base_url=f"http://127.0.0.1:{_closed_port()}", access_token="pat-na1-unused",
                        tier="unlimited", state_dir=tmp_path / "state", warehouse_path=tmp_path / "warehouse.duckdb")
    with pytest.raises(HubSpotError, match="HUBSPOT_BASE_URL") as caught:
        prepare(settings)
    gave_up = re.search(r"gave up after (\d+) attempts? and ([\d.]+) s of waiting", str(caught.value))
    assert gave_up, str(caught.value)
    assert int(gave_up[1]) <= 2 and float(gave_up[2]) <= 1.0


def test_base_url_of_something_that_is_not_hubspot_names_hubspot_base_url(sandbox, tmp_path):
    settings = settings_for(sandbox, tmp_path, base_url=f"{sandbox.url}/not-hubspot")
    with pytest.raises(HubSpotError, match="HUBSPOT_BASE_URL"):
        prepare(settings)


def test_revoked_token_fails_with_authentication_error_naming_the_token_setting(sandbox, tmp_path):
    settings = settings_for(sandbox, tmp_path, access_token="pat-na1-revoked-0000")
    with pytest.raises(AuthenticationError, match="HUBSPOT_ACCESS_TOKEN") as caught:
        run_sync(settings)
    assert "pat-na1-revoked-0000" not in str(caught.value)
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_unknown_object_type_lists_the_valid_ones(sandbox, tmp_path):
    settings = settings_for(sandbox, tmp_path, objects="contacts,unicorns")
    with pytest.raises(SetupError) as caught:
        prepare(settings)
    message = str(caught.value)
    assert "unicorns" in message and "HUBSPOT_OBJECTS" in message and "contacts" in message and "pets" in message


def test_bad_property_history_setting_shows_the_expected_format(sandbox, tmp_path):
    settings = settings_for(sandbox, tmp_path, property_history="contacts")
    with pytest.raises(SetupError, match="HUBSPOT_PROPERTY_HISTORY"):
        prepare(settings)


def test_sync_command_prints_one_actionable_line_and_exits_nonzero(sandbox, tmp_path, monkeypatch):
    from hubspot_assets.cli import main

    monkeypatch.setenv("HUBSPOT_BASE_URL", sandbox.url)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", sandbox.token)
    monkeypatch.setenv("HUBSPOT_STATE_DIR", str(tmp_path / "state"))
    result = CliRunner().invoke(
        main, ["sync", "--objects", "contacts,unicorns", "--warehouse", str(tmp_path / "w.duckdb")]
    )
    assert result.exit_code != 0
    assert "unicorns" in result.output and "Traceback" not in result.output


def test_a_partial_refresh_of_a_misspelt_object_type_says_what_it_may_name_and_writes_nothing(sandbox, tmp_path):
    settings = settings_for(sandbox, tmp_path)
    with pytest.raises(SetupError, match="contcts") as caught:
        run_sync(settings, record_ids={"contcts": [1]})
    assert "contacts" in str(caught.value) and "threads" in str(caught.value)
    assert not (tmp_path / "warehouse.duckdb").exists()


@pytest.mark.parametrize("name, value", [("HUBSPOT_API_VERSION", "v9"), ("HUBSPOT_LOOKBACK_S", "five minutes"),
                                         ("HUBSPOT_MODELS_MEMORY_LIMIT", "lots")])
def test_a_mistyped_setting_on_the_command_line_names_its_variable_not_a_field(tmp_path, monkeypatch, name, value):
    from hubspot_assets.cli import main

    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-secret-0000")
    monkeypatch.setenv(name, value)
    for command in (["sync", "--warehouse", str(tmp_path / "w.duckdb")], ["auth", "status"]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code != 0
        assert name in result.output and "Traceback" not in result.output, result.output
        assert "_EnvironmentSettings" not in result.output and "pat-na1-secret-0000" not in result.output
