"""Shared test fixtures: a running HubSpot sandbox over real HTTP.

- `sandbox` (session): seed 42, scale small, tier unlimited. Attributes: `.url`, `.token`, `.headers`
  (Authorization), `.config`, `.admin(path, json=None)` for `/_sandbox/...`. Tests that mutate data should
  use their own records (create them) or `sandbox_factory`, since the session sandbox is shared.
- `sandbox_factory` (function): `sandbox_factory(**config_overrides)` starts a fresh sandbox subprocess
  (defaults: seed 42, small, unlimited) and stops it at teardown; e.g. `sandbox_factory(tier="free")`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hubspot_assets.sandbox.config import SandboxConfig
from hubspot_assets.sandbox.server import SandboxServer

DEFAULTS: dict[str, Any] = {"seed": 42, "scale": "small", "tier": "unlimited"}


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer(SandboxConfig(**DEFAULTS)).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., SandboxServer]]:
    started: list[SandboxServer] = []

    def start(**overrides: Any) -> SandboxServer:
        server = SandboxServer(SandboxConfig(**{**DEFAULTS, **overrides})).start()
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()
