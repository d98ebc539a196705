"""HubSpot's rate limits, as the sandbox enforces them.

- General budget: a rolling window (10 s on HubSpot) per account and app kind. Private apps share the
  account's budget per tier (free/starter 100, pro/professional/enterprise 190, increase 250); OAuth apps get
  110 per installed account; `unlimited` has no limits at all (sandbox only, for fast tests).
- Daily quota for private apps (free/starter 250,000, professional 625,000, enterprise 1,000,000, increase
  professional + 1,000,000), none for OAuth. Days roll over at UTC midnight.
- Search (`POST .../search`): 5 requests per second per account, outside the general budget, no headers.
- Association v4 batch endpoints: outside the general budget (still counted against the daily quota); their
  answers carry only the daily headers.
A request refused with 429 consumes nothing.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

TEN_SECOND_BUDGET = {
    "free": 100,
    "starter": 100,
    "pro": 190,
    "professional": 190,
    "enterprise": 190,
    "increase": 250,
    "oauth": 110,
}
DAILY_QUOTA = {
    "free": 250_000,
    "starter": 250_000,
    "pro": 625_000,
    "professional": 625_000,
    "enterprise": 1_000_000,
    "increase": 1_625_000,
}
SEARCH_PER_WINDOW = 5

POLICY_MESSAGES = {
    "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
    "DAILY": "You have reached your daily limit.",
    "SECONDLY": "You have reached your secondly limit.",
}

GENERAL, SEARCH, ASSOCIATIONS_BATCH = "general", "search", "associations_batch"


@dataclass
class Verdict:
    """The limiter's answer for one request: `policy` is None when allowed, else the 429 policy name."""

    policy: str | None
    headers: dict[str, str]


def utc_day() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def next_utc_midnight() -> datetime:
    now = datetime.now(UTC)
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


class RateLimiter:
    """Rolling-window and daily counters for every (account, app kind). Thread-safe.

    `tier`, `window_s`, `daily_limit` and `search_window_s` are plain attributes: the admin API changes them
    at run time (e.g. a 1-second window in tests).
    """

    def __init__(
        self, tier: str, window_s: float = 10.0, daily_limit: int | None = None, search_window_s: float = 1.0
    ) -> None:
        self.tier = tier
        self.window_s = window_s
        self.daily_limit = daily_limit
        self.search_window_s = search_window_s
        self._lock = threading.Lock()
        self._windows: dict[tuple, deque[float]] = {}
        self._daily: dict[tuple, list] = {}  # key -> [utc day, count]

    def reset(self) -> None:
        """Forget every window and daily count."""
        with self._lock:
            self._windows.clear()
            self._daily.clear()

    def budget(self, kind: str) -> int | None:
        """Requests per window for this app kind ("private_app" or "oauth"); None when unlimited."""
        if self.tier == "unlimited":
            return None
        if kind == "oauth":
            return TEN_SECOND_BUDGET["oauth"]
        return TEN_SECOND_BUDGET.get(self.tier, TEN_SECOND_BUDGET["pro"])

    def daily_quota(self, kind: str) -> int | None:
        """Requests per day for this app kind; None when there is no daily quota (OAuth, unlimited)."""
        if self.tier in ("unlimited", "oauth") or kind == "oauth":
            return None
        if self.daily_limit is not None:
            return self.daily_limit
        return DAILY_QUOTA.get(self.tier, DAILY_QUOTA["pro"])

    def daily_used(self, hub_id: int, kind: str = "private_app") -> int:
        with self._lock:
            entry = self._daily.get((hub_id, kind))
            return entry[1] if entry and entry[0] == utc_day() else 0

    def check(self, limit_class: str, hub_id: int, kind: str, app: str = "") -> Verdict:
        """Count one request of `limit_class` and say whether it may go on (and which headers it carries)."""
        budget = self.budget(kind)
        if budget is None:
            return Verdict(None, {})
        now = time.monotonic()
        quota = self.daily_quota(kind)
        with self._lock:
            daily = self._daily_entry((hub_id, kind))
            if quota is not None and daily[1] >= quota:
                headers = {} if limit_class == SEARCH else self._headers(budget, quota, daily[1], None)
                return Verdict("DAILY", headers)
            if limit_class == SEARCH:
                window = self._window((hub_id, "search"), now, self.search_window_s)
                if len(window) >= SEARCH_PER_WINDOW:
                    return Verdict("SECONDLY", {})
                window.append(now)
                daily[1] += 1
                return Verdict(None, {})
            window = self._window((hub_id, kind, app), now, self.window_s)
            if limit_class == ASSOCIATIONS_BATCH:
                # Outside the rolling budget: no 10-second headers (a client throttling on them would pause
                # for nothing), only the daily ones, since these calls do count against the day.
                daily[1] += 1
                return Verdict(None, self._daily_headers(quota, daily[1]))
            if len(window) >= budget:
                return Verdict("TEN_SECONDLY_ROLLING", self._headers(budget, quota, daily[1], 0))
            window.append(now)
            daily[1] += 1
            return Verdict(None, self._headers(budget, quota, daily[1], budget - len(window)))

    def burst_headers(self, hub_id: int, kind: str, app: str = "") -> dict[str, str]:
        """Headers for an injected 429 (remaining 0), consistent with the real counters."""
        budget = self.budget(kind)
        if budget is None:
            budget = TEN_SECOND_BUDGET["pro"]
        quota = self.daily_quota(kind)
        with self._lock:
            daily = self._daily_entry((hub_id, kind))
            return self._headers(budget, quota, daily[1], 0)

    def _daily_entry(self, key: tuple) -> list:
        today = utc_day()
        entry = self._daily.get(key)
        if entry is None or entry[0] != today:
            entry = [today, 0]
            self._daily[key] = entry
        return entry

    def _window(self, key: tuple, now: float, span: float) -> deque[float]:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = deque()
        cutoff = now - span
        while window and window[0] <= cutoff:
            window.popleft()
        return window

    @staticmethod
    def _daily_headers(quota: int | None, used_today: int) -> dict[str, str]:
        if quota is None:
            return {}
        return {"X-HubSpot-RateLimit-Daily": str(quota),
                "X-HubSpot-RateLimit-Daily-Remaining": str(max(quota - used_today, 0))}

    def _headers(
        self, budget: int, quota: int | None, used_today: int, remaining: int | None
    ) -> dict[str, str]:
        headers = {
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(self.window_s * 1000)),
            "X-HubSpot-RateLimit-Max": str(budget),
        }
        if remaining is not None:
            headers["X-HubSpot-RateLimit-Remaining"] = str(max(remaining, 0))
        if quota is not None:
            headers["X-HubSpot-RateLimit-Daily"] = str(quota)
            headers["X-HubSpot-RateLimit-Daily-Remaining"] = str(max(quota - used_today, 0))
        return headers
