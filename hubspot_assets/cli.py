"""The `hubspot-elt` command. Each subcommand group lives next to the code it drives.

`sandbox` is listed like any other command but imported only when it runs: the product never loads its HubSpot
emulator otherwise (the sandbox is for development, demos and tests).
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from hubspot_assets.auth_cli import auth
from hubspot_assets.sync import sync


class LazyCommand(click.Command):
    """A subcommand known by name and one-line help, whose definition (`"module:attribute"`) is imported only when
    it is invoked, its own `--help` included."""

    def __init__(self, name: str, import_path: str, *, short_help: str) -> None:
        super().__init__(name, short_help=short_help)
        self.import_path = import_path

    def load(self) -> click.Command:
        module, _, attribute = self.import_path.partition(":")
        return getattr(importlib.import_module(module), attribute)

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        # The context belongs to the real command, so click parses and invokes that one.
        return self.load().make_context(info_name, args, parent=parent, **extra)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hubspot-elt")
def main() -> None:
    """hubspot-elt: keep a DuckDB warehouse in step with HubSpot."""


main.add_command(auth)
main.add_command(sync)
main.add_command(
    LazyCommand("models", "hubspot_assets.models.cli:models",
                short_help="Build the SQL models of dbt_like_models/ and run their tests.")
)
main.add_command(
    LazyCommand("webhooks", "hubspot_assets.webhooks.cli:webhooks",
                short_help="The webhook receiver that queues HubSpot's change events.")
)
main.add_command(
    LazyCommand("sandbox", "hubspot_assets.sandbox.cli:sandbox",
                short_help="The local HubSpot emulator (for development, demos and tests).")
)

if __name__ == "__main__":
    main()
