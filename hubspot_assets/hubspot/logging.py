"""Structured request logs and the redaction that keeps secrets out of every log line and error text.

Loggers: `hubspot_elt.http` (one record per HTTP attempt), `hubspot_elt.auth`, `hubspot_elt.breaker`,
`hubspot_elt.ratelimit`. Each carries a `RedactionFilter`; so does `urllib3`'s logger, whose debug lines
print request paths (OAuth revoke and introspect paths hold a token).

Redaction works two ways: values registered with `register_secret` (every token, refresh token, client
secret and authorization code the client handles) are replaced wherever they appear, and patterns catch
shapes a secret can take even when it was never registered (`Bearer ...`, `pat-...`, `access_token=...`,
`"refresh_token": "..."`, OAuth token paths). Use `redact(text)` on any text built from outside input.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

REDACTED = "***"
HTTP_LOGGER = "hubspot_elt.http"
AUTH_LOGGER = "hubspot_elt.auth"
BREAKER_LOGGER = "hubspot_elt.breaker"
RATELIMIT_LOGGER = "hubspot_elt.ratelimit"

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_secret_pattern: re.Pattern[str] | None = None
# Below this length a secret is replaced only where it stands alone (not inside a longer word), so a short
# value does not garble every text that happens to contain its letters.
_SHORT_SECRET = 6

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(bearer\s+)?[^\s'\",}]+"), r"\1\2" + REDACTED),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1" + REDACTED),
    (re.compile(r"\bpat-[a-z0-9]+-[A-Za-z0-9_-]+"), REDACTED),
    (
        re.compile(
            r"(?i)\b(access_token|refresh_token|client_secret|code|token|hapikey|id_token)=[^&\s'\"]+"
        ),
        r"\1=" + REDACTED,
    ),
    (
        re.compile(
            r"(?i)(['\"](?:access_token|refresh_token|client_secret|code|token|id_token|accessToken|refreshToken)"
            r"['\"]\s*:\s*['\"])[^'\"]*"
        ),
        r"\1" + REDACTED,
    ),
    (re.compile(r"(?i)(/oauth/[^/\s]+/(?:refresh-tokens|access-tokens)/)[^/?\s'\"]+"), r"\1" + REDACTED),
]


def register_secret(value: str | None) -> None:
    """Remember a secret value so `redact` replaces it anywhere it appears.

    Values shorter than 6 characters are replaced wherever they stand alone (between non-word characters).
    """
    global _secret_pattern
    if not value or not value.strip():
        return
    with _secrets_lock:
        if value in _secrets:
            return
        _secrets.add(value)
        ordered = sorted(_secrets, key=len, reverse=True)
        _secret_pattern = re.compile(
            "|".join(
                re.escape(s) if len(s) >= _SHORT_SECRET else rf"(?<![A-Za-z0-9]){re.escape(s)}(?![A-Za-z0-9])"
                for s in ordered
            )
        )


def register_secrets(values: Iterable[str | None]) -> None:
    """`register_secret` for each value."""
    for value in values:
        register_secret(value)


def redact(text: Any) -> str:
    """`text` as a string with every registered secret and every secret-shaped fragment replaced by ***."""
    out = text if isinstance(text, str) else str(text)
    pattern = _secret_pattern
    if pattern is not None:
        out = pattern.sub(REDACTED, out)
    for regex, repl in _PATTERNS:
        out = regex.sub(repl, out)
    return out


def redact_value(value: Any) -> Any:
    """`value` with every string inside it (dict values, list items) passed through `redact`."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_value(v) for v in value)
    return value


_redact_value = redact_value


_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RedactionFilter(logging.Filter):
    """Rewrites a record so its message, extra fields and traceback text carry no secret. Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            # Keep exc_info out: a handler formatting it again would print the raw exception text.
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS:
                setattr(record, key, _redact_value(value))
        return True


_installed = False
_install_lock = threading.Lock()


def install_redaction(extra_loggers: Iterable[str] = ()) -> None:
    """Attach the redaction filter to the client's loggers and urllib3's (idempotent; done on import)."""
    global _installed
    with _install_lock:
        names = [] if _installed else [HTTP_LOGGER, AUTH_LOGGER, BREAKER_LOGGER, RATELIMIT_LOGGER,
                                         "hubspot_elt", "hubspot_assets.hubspot", "urllib3",
                                         "urllib3.connectionpool"]
        names.extend(extra_loggers)
        for name in names:
            logger = logging.getLogger(name)
            if not any(isinstance(f, RedactionFilter) for f in logger.filters):
                logger.addFilter(RedactionFilter())
        _installed = True


def get_logger(name: str) -> logging.Logger:
    """A client logger with the redaction filter attached. Every module of the client logs through one of these:
    a logger's filters do not apply to records of its children, so each logger needs its own."""
    install_redaction([name])
    return logging.getLogger(name)


install_redaction()
