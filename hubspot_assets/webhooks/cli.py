"""`hubspot-elt webhooks serve`: the webhook receiver under uvicorn, over the queue of `HUBSPOT_QUEUE_URL`.

Once the socket listens it prints `WEBHOOKS_LISTENING <url of the webhook path>` (with `--port 0` the OS picks
the port, and that line says which). Refused deliveries are logged with their reason on stderr.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from hubspot_assets.settings import Settings, SettingsError, load_settings

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

    try:
        settings = load_settings(webhook_host=host, webhook_port=port, webhook_path=path)
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
    if not settings.webhook_signing_secrets():
        raise click.ClickException("set HUBSPOT_CLIENT_SECRET (the app's client secret, which signs HubSpot's "
                                   "webhooks): without it every delivery would be refused")
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    queue = _open_queue(settings)
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


def _open_queue(settings: Settings):
    """The queue of HUBSPOT_QUEUE_URL; a URL that names no store it supports is a one-line error, not a traceback."""
    from hubspot_assets.webhooks.queue import WebhookQueue

    try:
        return WebhookQueue.from_settings(settings)
    except ValueError as error:
        raise click.ClickException(str(error)) from None


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
    from hubspot_assets.webhooks.refresh import DRAIN_BATCH, DrainReport, drain_queue

    try:
        settings = load_settings()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None

    def progress(report: DrainReport, plan_summary: str) -> None:
        click.echo(f"applied {report.events} event(s) in {report.refreshes} refresh(es), {report.api_calls} API "
                   f"call(s), {report.seconds:.1f} s (this one read {plan_summary})")

    queue = _open_queue(settings)
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


# -- a public app's subscriptions (webhooks/subscriptions.py) -------------------------------------------------------

EVENTS_HELP = ("Comma-separated event types, patterns allowed (contact.*, *.deletion); default: every type the "
               "receiver handles.")


@contextmanager
def _app_webhooks() -> Iterator[tuple[Any, Settings]]:
    """The app's webhooks API from the settings; every error a user can fix becomes a one-line message."""
    from hubspot_assets.webhooks.subscriptions import AppWebhooks, SubscriptionError

    try:
        settings = load_settings()
        app = AppWebhooks.from_settings(settings)
    except (SettingsError, SubscriptionError) as error:
        raise click.ClickException(str(error)) from None
    try:
        with _client_warnings_off():
            yield app, settings
    except SubscriptionError as error:
        raise click.ClickException(str(error)) from None
    finally:
        app.close()


@contextmanager
def _client_warnings_off() -> Iterator[None]:
    # The client warns on every 4xx; here the expected ones (404: no target URL yet) need no line, and the
    # others end the command with a message of its own that says what to fix.
    from hubspot_assets.hubspot.logging import HTTP_LOGGER

    logger = logging.getLogger(HTTP_LOGGER)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _echo_subscriptions(heading: str, subscriptions: list[Any]) -> None:
    if subscriptions:
        click.echo(f"{heading} {len(subscriptions)} subscription{'s' if len(subscriptions) != 1 else ''}:")
        for subscription in subscriptions:
            click.echo(f"  {subscription}")


@webhooks.command("subscribe")
@click.option("--target-url", default=None,
              help="URL HubSpot posts to (default: HUBSPOT_WEBHOOK_PUBLIC_URL + HUBSPOT_WEBHOOK_PATH).")
@click.option("--events", default=None, help=EVENTS_HELP)
@click.option("--dry-run", is_flag=True, help="Say what would change; change nothing.")
def subscribe(target_url: str | None, events: str | None, dry_run: bool) -> None:
    """Point a public app's webhooks at the receiver and subscribe what it handles; writes only what differs.

    Needs HUBSPOT_APP_ID and HUBSPOT_DEVELOPER_API_KEY. propertyChange is subscribed per property
    (HUBSPOT_WEBHOOK_PROPERTIES). Paused subscriptions are re-activated, others left as they are."""
    from hubspot_assets.webhooks import subscriptions as subs

    with _app_webhooks() as (app, settings):
        wanted = subs.wanted_subscriptions(subs.select_event_types(events), settings.webhook_properties)
        plan = subs.plan_subscribe(app, subs.target_url(settings, target_url), wanted)
        if plan.changes_nothing:
            click.echo(f"Nothing to change: app {app.app_id} posts to {plan.target_url} and its "
                       f"{plan.already_active} subscriptions are active.")
            return
        if plan.sets_target_url:
            click.echo(f"Set the target URL to {plan.target_url} (was {plan.current_target_url or 'not set'}).")
        _echo_subscriptions("Re-activate", [subs.Subscription.of(s) for s in plan.reactivate])
        _echo_subscriptions("Create", plan.create)
        if dry_run:
            click.echo("Dry run: nothing was changed.")
            return
        subs.apply_subscribe(app, plan)
        active = plan.already_active + len(plan.reactivate) + len(plan.create)
        click.echo(f"Done: app {app.app_id} posts to {plan.target_url} with {active} active subscriptions.")


@webhooks.command("list")
def list_subscriptions() -> None:
    """Print the public app's target URL and every subscription (id, event type, property, active)."""
    with _app_webhooks() as (app, _):
        subscriptions = app.subscriptions()
        settings = app.settings()
    if settings:
        throttling = (settings.get("throttling") or {}).get("maxConcurrentRequests")
        at_once = f" (at most {throttling} requests at once)" if throttling else ""
        click.echo(f"Target URL: {settings.get('targetUrl')}{at_once}")
    else:
        click.echo("Target URL: not set")
    if not subscriptions:
        click.echo("No subscriptions.")
        return
    rows = [("ID", "EVENT TYPE", "PROPERTY", "ACTIVE")] + [
        (str(s["id"]), s["eventType"], s.get("propertyName") or "", "yes" if s.get("active") else "no (paused)")
        for s in sorted(subscriptions, key=lambda s: (s["eventType"], s.get("propertyName") or "", str(s["id"])))
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[3])


@webhooks.command("unsubscribe")
@click.option("--events", default=None, help=EVENTS_HELP)
@click.option("--target", is_flag=True, help="Also remove the target URL: HubSpot stops posting altogether.")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; remove nothing.")
def unsubscribe(events: str | None, target: bool, dry_run: bool) -> None:
    """Remove the public app's subscriptions of the types the receiver handles (or of --events)."""
    from hubspot_assets.webhooks import subscriptions as subs

    with _app_webhooks() as (app, _):
        plan = subs.plan_unsubscribe(app, subs.select_event_types(events), delete_target_url=target)
        if plan.changes_nothing:
            click.echo(f"Nothing to remove: app {app.app_id} has no such subscriptions"
                       f"{' and no target URL' if target else ''}.")
            return
        _echo_subscriptions("Delete", [subs.Subscription.of(s) for s in plan.delete])
        if plan.delete_target_url and plan.current_target_url:
            click.echo(f"Remove the target URL {plan.current_target_url}.")
        if dry_run:
            click.echo("Dry run: nothing was changed.")
            return
        subs.apply_unsubscribe(app, plan)
        click.echo("Done.")
