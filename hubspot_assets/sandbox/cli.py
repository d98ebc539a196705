"""`hubspot-elt sandbox ...`: the local HubSpot."""

from __future__ import annotations

import click

from hubspot_assets.sandbox.faults import FAULTS_HELP


@click.group()
def sandbox() -> None:
    """The local HubSpot emulator (for development, demos and tests)."""


@sandbox.command()
@click.option("--port", type=int, default=8765, show_default=True, help="Port to listen on (0 picks a free one).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--seed", type=int, default=42, show_default=True, help="Data seed: same seed, same data.")
@click.option("--scale", default="small", show_default=True,
              help="small (~1,000 contacts), medium (~100,000), large (1,000,000) or a contact count.")
@click.option("--tier", default="pro", show_default=True,
              help="Rate-limit tier: free, starter, pro, professional, enterprise, oauth, increase, unlimited.")
@click.option("--latency-ms", type=float, default=0, show_default=True, help="Simulated latency per request.")
@click.option("--faults", default="", help=FAULTS_HELP)
@click.option("--webhook-target", default=None, help="URL that receives signed webhook batches.")
@click.option("--client-id", default="sandbox-client-id", show_default=True, help="OAuth client id.")
@click.option("--client-secret", default="sandbox-client-secret", help="OAuth client secret (signs webhooks).")
@click.option("--access-token", default="pat-na1-sandbox", help="Private-app token the sandbox accepts.")
@click.option("--search-lag-ms", type=int, default=0, show_default=True,
              help="Search index lag: records changed more recently are not found yet.")
@click.option("--max-url-length", type=int, default=8000, show_default=True, help="Longer URLs answer 414.")
@click.option("--token-ttl", type=int, default=1800, show_default=True, help="OAuth access token lifetime (s).")
@click.option("--daily-limit", type=int, default=None, help="Override the tier's daily request quota.")
def serve(port: int, host: str, seed: int, scale: str, tier: str, latency_ms: float, faults: str,
          webhook_target: str | None, client_id: str, client_secret: str, access_token: str, search_lag_ms: int,
          max_url_length: int, token_ttl: int, daily_limit: int | None) -> None:
    """Serve a local HubSpot on http://HOST:PORT until interrupted (Ctrl-C)."""
    from pydantic import ValidationError

    from hubspot_assets.sandbox.config import SandboxConfig
    from hubspot_assets.sandbox.server import run_server

    try:
        config = SandboxConfig(
            seed=seed, scale=scale, tier=tier, latency_ms=latency_ms, faults=faults, webhook_target=webhook_target,
            client_id=client_id, client_secret=client_secret, access_token=access_token,
            search_lag_ms=search_lag_ms, max_url_length=max_url_length, token_ttl_s=token_ttl,
            daily_limit=daily_limit,
        )
    except ValidationError as exc:
        raise click.BadParameter("; ".join(err["msg"] for err in exc.errors())) from None
    click.echo(f"HubSpot sandbox: seed {config.seed}, scale {config.scale} ({config.contact_count:,} contacts), "
               f"tier {config.tier}. Admin API under /_sandbox/ (stats, truth, mutate).", err=True)
    try:
        run_server(config, host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}; pick another --port") \
            from None
