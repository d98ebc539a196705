"""HubSpot's webhook signatures, checked with the app's client secret.

- v3: `X-HubSpot-Signature-v3` = base64 HMAC-SHA256(secret, method + uri + body + timestamp) with
  `X-HubSpot-Request-Timestamp` (ms); `uri` is the full URL HubSpot posted to, with %3A %2F %3F %40 %21 %24 %27
  %28 %29 %2A %2C %3B decoded. A timestamp older than 5 minutes is refused (a replayed request).
- v2: `X-HubSpot-Signature` (with `X-HubSpot-Signature-Version: v2`) = hex SHA-256(secret + method + uri + body).
- v1: the same header with version v1 = hex SHA-256(secret + body).
HubSpot sends v3 alongside the older header: when v3 is present it alone decides, so a request cannot fall back
to a weaker version that carries no timestamp. Every comparison is constant-time. Several secrets are tried so
that a rotation does not drop events signed with the old one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence

MAX_TIMESTAMP_AGE_MS = 5 * 60 * 1000
_DECODED_IN_V3 = {"3A": ":", "2F": "/", "3F": "?", "40": "@", "21": "!", "24": "$", "27": "'", "28": "(",
                  "29": ")", "2A": "*", "2C": ",", "3B": ";"}
_V3_ESCAPES = re.compile(r"%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)", re.IGNORECASE)


class SignatureRejected(Exception):
    """The request is not HubSpot's. `reason` is a short label for logs and metrics (never a secret)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def v3_uri(uri: str) -> str:
    """The URI as HubSpot signs it for v3 (the escapes listed in the module docstring decoded, others kept)."""
    return _V3_ESCAPES.sub(lambda match: _DECODED_IN_V3[match.group(1).upper()], uri)


def v3_signature(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    message = method.encode() + v3_uri(uri).encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def v2_signature(secret: str, method: str, uri: str, body: bytes) -> str:
    return hashlib.sha256(secret.encode() + method.encode() + uri.encode() + body).hexdigest()


def v1_signature(secret: str, body: bytes) -> str:
    return hashlib.sha256(secret.encode() + body).hexdigest()


def verify(secrets: Sequence[str], method: str, uri: str, body: bytes, headers: Mapping[str, str],
           now_ms: int) -> str:
    """The signature version that proves the request is HubSpot's ("v3", "v2" or "v1").

    `headers` must look names up case-insensitively (Starlette's do). Raises `SignatureRejected` with reason
    `no_secret`, `missing_signature`, `stale_timestamp`, `unsupported_signature_version` or `bad_signature`."""
    if not secrets:
        raise SignatureRejected("no_secret", "no client secret is configured to check signatures with")
    if "x-hubspot-signature-v3" in headers:
        _verify_v3(secrets, method, uri, body, headers, now_ms)
        return "v3"
    given = headers.get("x-hubspot-signature")
    if not given:
        raise SignatureRejected("missing_signature", "neither X-HubSpot-Signature-v3 nor X-HubSpot-Signature")
    version = headers.get("x-hubspot-signature-version", "v1").lower()
    if version == "v1":
        expected = [v1_signature(secret, body) for secret in secrets]
    elif version == "v2":
        expected = [v2_signature(secret, method, uri, body) for secret in secrets]
    else:
        raise SignatureRejected("unsupported_signature_version", f"X-HubSpot-Signature-Version {version[:10]!r}")
    if not _matches_any(given.lower(), expected):
        raise SignatureRejected("bad_signature", f"{version} signature does not match any configured secret")
    return version


def _verify_v3(secrets: Sequence[str], method: str, uri: str, body: bytes, headers: Mapping[str, str],
               now_ms: int) -> None:
    timestamp = headers.get("x-hubspot-request-timestamp", "")
    if not timestamp.isdigit():
        raise SignatureRejected("missing_signature", "v3 signature without a numeric X-HubSpot-Request-Timestamp")
    # Refuse replays; a clock a little ahead of ours is fine, one far ahead is as suspect as a stale one.
    if abs(now_ms - int(timestamp)) > MAX_TIMESTAMP_AGE_MS:
        raise SignatureRejected("stale_timestamp", f"timestamp is {(now_ms - int(timestamp)) / 1000:.0f} s old")
    expected = [v3_signature(secret, method, uri, body, timestamp) for secret in secrets]
    if not _matches_any(headers["x-hubspot-signature-v3"], expected):
        raise SignatureRejected("bad_signature", "v3 signature does not match any configured secret")


def _matches_any(given: str, expected: Sequence[str]) -> bool:
    # Compare with every secret (no early exit), so timing says nothing about which one matched.
    results = [hmac.compare_digest(given.encode(), candidate.encode()) for candidate in expected]
    return any(results)
