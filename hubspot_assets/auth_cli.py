"""`hubspot-elt auth login|status|logout`: connect hubspot-elt to HubSpot through an OAuth app.

The commands read the app's settings (`HUBSPOT_*`, `.env`) and drive the client's OAuth flow
(`hubspot/oauth_flow.py`), which knows nothing of the app.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import Any

import click

from hubspot_assets.hubspot import oauth_flow
from hubspot_assets.hubspot.errors import HubSpotError
from hubspot_assets.settings import Settings, SettingsError, load_settings

LOGIN_AGAIN = "Run `hubspot-elt auth login` to connect again."


def _fail(exc: HubSpotError) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(1)


@click.group()
def auth() -> None:
    """Connect to HubSpot with an OAuth app (private apps need only HUBSPOT_ACCESS_TOKEN)."""


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:  # one line naming the variable to fix, no traceback
        raise click.ClickException(str(error)) from None


@auth.command()
@click.option("--no-browser", is_flag=True, help="Print the authorize URL instead of opening a browser.")
@click.option("--port", type=int, default=None, help="Redirect catcher port (default HUBSPOT_OAUTH_REDIRECT_PORT).")
@click.option("--scopes", default=None, help="Space- or comma-separated scopes (default HUBSPOT_OAUTH_SCOPES).")
@click.option("--timeout", type=float, default=300.0, show_default=True, help="Seconds to wait for the redirect.")
def login(no_browser: bool, port: int | None, scopes: str | None, timeout: float) -> None:
    """Authorize the app in a browser and store its tokens, encrypted, in HUBSPOT_TOKEN_STORE_PATH."""
    settings = _settings()
    scope_list = scopes.replace(",", " ").split() if scopes else None
    try:
        tokens = oauth_flow.login(
            settings, port=port, scopes=scope_list, open_browser=not no_browser, timeout=timeout,
            show=lambda text: click.echo(text),
        )
    except HubSpotError as exc:
        _fail(exc)
        return
    click.echo(f"Connected to HubSpot account {tokens.hub_id} with {len(tokens.scopes)} scopes.")


@auth.command()
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option("--offline", is_flag=True, help="Do not ask HubSpot whether the token is still valid.")
def status(as_json: bool, offline: bool) -> None:
    """Show the connected account, scopes and token expiry (never the token).

    Exits 1 when nothing is stored or HubSpot refuses the stored tokens (or cannot be asked), so scripts can
    check that hubspot-elt is connected.
    """
    settings = _settings()
    try:
        info = oauth_flow.status(settings, check=not offline)
    except HubSpotError as exc:
        _fail(exc)
        return
    if as_json:
        click.echo(json.dumps(info, indent=2))
    elif not info["logged_in"]:
        click.echo(f"Not logged in (no token store at {info['store']}). Run `hubspot-elt auth login`.")
    else:
        _print_status(info)
    if not info["logged_in"] or info.get("accepted", True) is not True:
        sys.exit(1)


def _print_status(info: dict[str, Any]) -> None:
    expires = datetime.fromtimestamp(info["expires_at"], timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    click.echo(f"Account (hub id): {info['hub_id']}")
    click.echo(f"App client id:    {info.get('client_id')}")
    click.echo(f"Access token:     expires {expires} ({info['expires_in_s']} s; refreshed automatically)")
    if "accepted" in info:
        click.echo(f"HubSpot accepts:  {_acceptance(info)}")
    click.echo("Scopes:           " + (" ".join(info["scopes"]) or "(unknown)"))
    click.echo(f"Store:            {info['store']}")
    if info.get("accepted") is False:
        click.echo(f"HubSpot refuses these tokens (the app was uninstalled or its access revoked). {LOGIN_AGAIN}")


def _acceptance(info: dict[str, Any]) -> str:
    if info["accepted"] is None:
        return f"unknown: HubSpot could not be asked ({info.get('check_error')}); try again later"
    if not info["accepted"]:
        return f"no ({info.get('check_error')})"
    if info.get("access_token_valid") is False:
        return "yes (the access token has expired; the refresh token renews it on the next call)"
    return "yes"


@auth.command()
def logout() -> None:
    """Revoke the refresh token at HubSpot and delete the local token store."""
    settings = _settings()
    result = oauth_flow.logout(settings)
    if result["revoked"]:
        click.echo("Refresh token revoked at HubSpot.")
    elif result["revoke_error"]:
        click.echo(f"Could not revoke the refresh token: {result['revoke_error']}", err=True)
    click.echo("Token store deleted." if result["deleted"] else f"No token store at {result['store']}.")
