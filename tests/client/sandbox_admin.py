"""The sandbox's admin API as the client tests use it: fault injection, run-time knobs, request statistics and the
ground truth per object type (`/_sandbox/...`)."""

from __future__ import annotations

from typing import Any

import requests


def admin_post(sandbox: Any, path: str, body: dict | None = None) -> dict:
    response = requests.post(f"{sandbox.url}/_sandbox/{path}", json=body or {}, timeout=10)
    response.raise_for_status()
    return response.json() if response.content else {}


def force_fault(sandbox: Any, kind: str, count: int = 1, arg: float | None = None, path: str | None = None) -> None:
    """Make the next `count` requests (matching `path`) fail as `kind` (sandbox fault injection)."""
    force: dict[str, Any] = {"kind": kind, "count": count}
    if arg is not None:
        force["arg"] = arg
    if path is not None:
        force["path"] = path
    admin_post(sandbox, "faults", {"force": force})


def clear_faults(sandbox: Any) -> None:
    """Drop every fault rule and forced fault."""
    requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=10).raise_for_status()


def set_platform(sandbox: Any, **changes: Any) -> dict:
    """Change the sandbox's run-time knobs (tier, rate_window_s, daily_limit, latency_ms, reset_limits)."""
    return admin_post(sandbox, "platform", changes)


def request_stats(sandbox: Any) -> dict[str, Any]:
    """The sandbox's request counters since the last reset: total, by status, by endpoint, 429s."""
    answer = requests.get(f"{sandbox.url}/_sandbox/stats", timeout=30)
    answer.raise_for_status()
    return answer.json()["requests"]


def reset_stats(sandbox: Any) -> None:
    admin_post(sandbox, "stats/reset")


def own_total(stats: dict) -> int:
    """Requests counted since the reset, less those slowed by an earlier test's `slow` fault: on the shared
    session sandbox such a request can finish (and be counted) after the next test reset the statistics."""
    return int(stats["total"]) - int(stats.get("faults", {}).get("slow", 0))


def endpoint_count(stats: dict[str, Any], endpoint: str) -> int:
    """Requests counted for one endpoint (`"GET /crm/v3/objects/{objectType}"`)."""
    return int(stats.get("by_endpoint", {}).get(endpoint, 0))


def truth(sandbox: Any, object_type: str) -> list[dict[str, Any]]:
    """Every record the sandbox holds of a type: `[{"id", "updatedAt", "archived"}]`, ascending by id."""
    answer = requests.get(f"{sandbox.url}/_sandbox/truth/{object_type}", timeout=60)
    answer.raise_for_status()
    return answer.json()["results"]


def live_ids(sandbox: Any, object_type: str) -> list[str]:
    return [str(r["id"]) for r in truth(sandbox, object_type) if not r["archived"]]


def archived_ids(sandbox: Any, object_type: str) -> list[str]:
    return [str(r["id"]) for r in truth(sandbox, object_type) if r["archived"]]
