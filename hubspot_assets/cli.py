"""The `hubspot-elt` command. Each subcommand group lives next to the code it drives."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hubspot-elt")
def main() -> None:
    """hubspot-elt: keep a DuckDB warehouse in step with HubSpot."""


def _register() -> None:
    # Imported here so `hubspot-elt --help` works even if one area fails to import; each area adds its group.
    from hubspot_assets.sandbox.cli import sandbox

    main.add_command(sandbox)
    try:
        from hubspot_assets.hubspot.cli import auth
    except ImportError:  # pragma: no cover - area not written yet
        pass
    else:
        main.add_command(auth)
    try:
        from hubspot_assets.sync import sync
    except ImportError:  # pragma: no cover - area not written yet
        pass
    else:
        main.add_command(sync)


_register()

if __name__ == "__main__":
    main()
