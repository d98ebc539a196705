"""`hubspot-elt sandbox ...`: the local HubSpot."""

import click


@click.group()
def sandbox() -> None:
    """The local HubSpot emulator (for development, demos and tests)."""
