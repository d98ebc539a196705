"""`HubSpotClient` is its area classes put together: each method is defined once, in its area, and reached on the
client unchanged."""

from __future__ import annotations

import inspect

from hubspot_assets.hubspot.area import ApiArea
from hubspot_assets.hubspot.client import HubSpotClient
from hubspot_assets.hubspot.settings import ClientSettings
from hubspot_assets.settings import Settings


def _areas() -> list[type]:
    return [cls for cls in HubSpotClient.__mro__ if issubclass(cls, ApiArea) and cls not in (HubSpotClient, ApiArea)]


def test_every_area_method_reaches_the_client_without_being_shadowed_by_another_area():
    areas = _areas()
    assert len(areas) == 10
    owners: dict[str, str] = {}
    for area in areas:
        for name, value in vars(area).items():
            if name.startswith("__") or not (callable(value) or isinstance(value, property)):
                continue
            assert name not in owners, f"{area.__name__}.{name} is also defined by {owners[name]}"
            owners[name] = area.__name__
            assert inspect.getattr_static(HubSpotClient, name) is value, f"{name} does not reach the client"


def test_an_app_settings_passed_to_the_client_is_narrowed_to_the_client_fields(tmp_path):
    app = Settings(base_url="http://127.0.0.1:9", access_token="pat-na1-narrow", state_dir=tmp_path,
                   warehouse_path=tmp_path / "warehouse.duckdb", incremental_cron="*/5 * * * *")
    client = HubSpotClient.from_settings(app)
    try:
        for settings in (client.settings, client.transport.settings):
            assert type(settings) is ClientSettings
            assert not hasattr(settings, "warehouse_path") and not hasattr(settings, "incremental_cron")
            assert settings.base_url == "http://127.0.0.1:9" and settings.state_dir == tmp_path
            assert settings.access_token is not None and settings.access_token.get_secret_value() == "pat-na1-narrow"
    finally:
        client.close()
