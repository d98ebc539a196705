"""`hubspot-elt webhooks serve`: the webhook receiver under uvicorn, over the queue of `HUBSPOT_QUEUE_URL`.

Once the socket listens it prints `WEBHOOKS_LISTENING <url of the webhook path>` (with `--port 0` the OS picks
the port, and that line says which). Refused deliveries are logged with their reason on stderr.
"""

from __future__ import annotations

import logging
import socket

import click

from hubspot_assets.settings import SettingsError, load_settings

READY_PREFIX = "WEBHOOKS_LISTENING "


@click.group("webhooks")
def webhooks() -> None:
    """HubSpot webhooks: the receiver that queues them for partial refreshes."""


@webhooks.command("serve")
@click.option("--host", default=None, help="Interface to listen on (default: HUBSPOT_WEBHOOK_HOST, 127.0.0.1).")
@click.option("--port", type=int, default=None,
              help="Port (default: HUBSPOT_WEBHOOK_PORT, 8977; 0 picks a free one).")
@click.option("--path", default=None, help="Path HubSpot posts to (default: HUBSPOT_WEBHOOK_PATH, /webhooks/hubspot).")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]))
def serve(host: str | None, port: int | None, path: str | None, log_level: str) -> None:
    """Receive HubSpot's webhooks: check signatures, store each batch in the queue, then answer 204."""
    import uvicorn

    from hubspot_assets.webhooks.app import create_app_from_settings
    from hubspot_assets.webhooks.outages import Heartbeat
    from hubspot_assets.webhooks.queue import WebhookQueue

    try:
        settings = load_settings(webhook_host=host, webhook_port=port, webhook_path=path)
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
    if not settings.webhook_signing_secrets():
        raise click.ClickException("set HUBSPOT_CLIENT_SECRET (the app's client secret, which signs HubSpot's "
                                   "webhooks): without it every delivery would be refused")
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    queue = WebhookQueue.from_settings(settings)
    heartbeat = None
    try:
        sock = _listen(settings.webhook_host, settings.webhook_port)
        app = create_app_from_settings(settings, queue)
        server = uvicorn.Server(uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="off",
                                               timeout_keep_alive=30, server_header=False))
        bound_host, bound_port = sock.getsockname()[:2]
        # Named by its configured address, so a restart on a free port (--port 0) is still the same receiver.
        heartbeat = Heartbeat(queue, f"{socket.gethostname()}:{settings.webhook_port}{settings.webhook_path}")
        heartbeat.start(outage_after_s=settings.webhook_outage_s)
        click.echo(f"{READY_PREFIX}http://{bound_host}:{bound_port}{settings.webhook_path}")
        server.run(sockets=[sock])
    finally:
        if heartbeat is not None:
            heartbeat.stop()
        queue.close()


def _listen(host: str, port: int) -> socket.socket:
    try:
        sock = socket.create_server((host, port), reuse_port=False, backlog=2048)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port} ({error.strerror}); set HUBSPOT_WEBHOOK_PORT "
                                   "or pass --port") from None
    return sock


@webhooks.command("drain")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Events per partial refresh (default 10,000).")
def drain(batch_size: int | None) -> None:
    """Apply every pending webhook event once, as partial refreshes, without a Dagster daemon."""
    from hubspot_assets.sync import one_line
    from hubspot_assets.webhooks.queue import WebhookQueue
    from hubspot_assets.webhooks.refresh import DRAIN_BATCH, DrainReport, drain_queue

    try:
        settings = load_settings()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None

    def progress(report: DrainReport, plan_summary: str) -> None:
        click.echo(f"applied {report.events} event(s) in {report.refreshes} refresh(es), {report.api_calls} API "
                   f"call(s), {report.seconds:.1f} s (this one read {plan_summary})")

    queue = WebhookQueue.from_settings(settings)
    try:
        report = drain_queue(settings, queue, batch_size=batch_size or DRAIN_BATCH, progress=progress)
        pending = queue.depth()["pending"]
    except Exception as error:
        raise click.ClickException(f"a partial refresh failed and its events are pending again: {one_line(error)}"
                                   ) from error
    finally:
        queue.close()
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"drained: {report.events} event(s), {report.api_calls} API call(s), {report.seconds:.1f} s; "
               f"{pending} pending now")
