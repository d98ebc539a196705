"""`ApiArea`: what every area of the API (CRM records, search, associations, ...) needs from the client.

Each area module holds one class of methods over `self.transport` (sends, with auth, rate limits, retries) and
`self.paths` (the endpoint paths of the configured API version). `HubSpotClient` inherits every area, so each
method is written, and documented, once: in its area's module.
"""

from __future__ import annotations

from hubspot_assets.hubspot.paths import ApiPaths
from hubspot_assets.hubspot.transport import Transport


class ApiArea:
    """The base of each area class: the attributes `HubSpotClient` sets for them all."""

    transport: Transport
    paths: ApiPaths
