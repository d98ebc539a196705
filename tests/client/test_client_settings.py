"""Settings the client reads from the environment name the variable a user sets when a value is wrong."""

from __future__ import annotations

import pytest

from hubspot_assets.hubspot.settings import TIERS
from hubspot_assets.settings import SettingsError, load_settings


def test_an_unknown_tier_in_the_environment_names_hubspot_tier_and_the_valid_tiers(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("HUBSPOT_TIER", "platinum")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "HUBSPOT_TIER" in message and "'platinum'" in message
    assert all(tier in message for tier in TIERS)
