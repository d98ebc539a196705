"""The sandbox's configuration: one pydantic model shared by every part of the emulator.

The same `SandboxConfig` is built from CLI flags (`hubspot-elt sandbox serve`), from tests (`SandboxServer(config)`)
and travels as JSON to the server subprocess, so every field has a JSON-friendly type and a default.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCALES = {"small": 1_000, "medium": 100_000, "large": 1_000_000}
TIERS = ("free", "starter", "pro", "professional", "enterprise", "oauth", "increase", "unlimited")


class SandboxConfig(BaseModel):
    """Everything that decides how the sandbox behaves. Same `seed` and `scale` give the same data."""

    model_config = ConfigDict(extra="forbid", frozen=False)

    seed: int = 42
    scale: str = Field(default="small", description="small (~1,000 contacts), medium, large, or a contact count.")
    tier: str = "pro"
    latency_ms: float = 0
    faults: str = ""
    webhook_target: str | None = None
    client_id: str = "sandbox-client-id"
    client_secret: str = Field(default="sandbox-client-secret", repr=False)
    access_token: str = Field(default="pat-na1-sandbox", repr=False)
    developer_api_key: str = Field(default="sandbox-developer-key", repr=False)
    app_id: int = 1000001
    portal_id: int = 62515
    search_lag_ms: int = 0
    max_url_length: int = 8000
    token_ttl_s: int = 1800
    webhook_backoff_scale: float = 1.0
    webhook_timeout_s: float = 5.0
    daily_limit: int | None = None
    # S2 (platform): rolling rate-limit window (HubSpot: 10 s; tests shrink it) and webhook at-least-once quirks.
    rate_window_s: float = Field(default=10.0, gt=0)
    webhook_duplicate_rate: float = Field(default=0.01, ge=0, le=1, description="Share of events reusing an eventId.")
    webhook_redeliver_rate: float = Field(default=0.01, ge=0, le=1, description="Share of batches delivered twice.")
    # S1 (CRM): links per input in association batch reads (HubSpot pages at 500; tests shrink it to see paging).
    association_page_size: int = Field(default=500, ge=1, le=500)

    @field_validator("scale", mode="before")
    @classmethod
    def _check_scale(cls, value: object) -> str:
        text = str(value).strip().lower()
        if text in SCALES:
            return text
        try:
            count = int(text)
        except ValueError:
            raise ValueError(f"scale must be small, medium, large or a contact count, got {value!r}") from None
        if count < 1:
            raise ValueError(f"scale as a contact count must be at least 1, got {count}")
        return str(count)

    @field_validator("faults")
    @classmethod
    def _check_faults(cls, value: str) -> str:
        from hubspot_assets.sandbox.faults import parse_faults

        parse_faults(value)  # ValueError names the bad rule and shows the grammar
        return value

    @field_validator("tier", mode="before")
    @classmethod
    def _check_tier(cls, value: object) -> str:
        text = str(value).strip().lower()
        if text not in TIERS:
            raise ValueError(f"tier must be one of {', '.join(TIERS)}, got {value!r}")
        return text

    @property
    def contact_count(self) -> int:
        """How many contacts the generated portal holds (other object types scale from it)."""
        return SCALES.get(self.scale) or int(self.scale)
