"""A separate process that handles secrets the test process never sees: it refreshes an OAuth token, calls the
webhook API with a developer key, fails against HubSpot, and logs everything at DEBUG (with tracebacks through
an unfiltered logger of its own) to stderr; it prints its errors' str/repr/vars to stdout.

Run by `test_redaction_hardening.py` as `python -m tests.client.redaction_worker` with a JSON job on stdin.
"""

from __future__ import annotations

import json
import logging
import sys


def main() -> None:
    from hubspot_assets.hubspot.auth import OAuthTokenProvider
    from hubspot_assets.hubspot.breaker import CircuitBreaker
    from hubspot_assets.hubspot.client import HubSpotClient
    from hubspot_assets.hubspot.errors import HubSpotError
    from hubspot_assets.hubspot.settings import ClientSettings
    from hubspot_assets.hubspot.transport import Transport

    job = json.loads(sys.stdin.read())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    logging.basicConfig(level=logging.DEBUG, handlers=[handler])
    caller = logging.getLogger("caller")  # an application logger without any filter
    settings = ClientSettings(**job["settings"])
    provider = OAuthTokenProvider(settings)
    transport = Transport(settings, token_provider=provider, breaker=CircuitBreaker("w", failure_threshold=50))
    client = HubSpotClient(settings, transport=transport)
    transport.request("GET", "/crm/v3/objects/contacts", params={"limit": 1})  # refreshes the expired token
    errors: list[HubSpotError] = []
    for call in (
        lambda: client.webhook_settings(job["app_id"], job["developer_key"]),
        # Succeeds; urllib3 logs the path, which holds the refreshed token.
        lambda: transport.request("GET", f"/oauth/v1/access-tokens/{provider.access_token()}", auth=False),
        lambda: transport.request("GET", "/crm/v3/objects/contacts/999999999"),
    ):
        try:
            call()
        except HubSpotError as exc:
            errors.append(exc)
            caller.exception("call failed: %s", exc)
    print(json.dumps({"refreshes": provider.refresh_count,
                      "errors": [[str(e), repr(e), repr(vars(e))] for e in errors]}))


if __name__ == "__main__":
    main()
