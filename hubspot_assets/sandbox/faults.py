"""Fault injection for the sandbox: the spec grammar, its parser and a deterministic injector.

Grammar (`--faults` on the CLI, `SandboxConfig.faults`, or `POST /_sandbox/faults {"spec": ...}`)::

    spec  := rule ("," rule)*
    rule  := kind ["=" arg] ":" rate ["@" path]
    kind  := 500 | 502 | 503 | 504 | 521 | 522 | 523 | 524   JSON error answer with that status
           |              (arg, optional: a Retry-After header of that many seconds)
           | 423          423 Locked, as HubSpot answers during heavy batch upserts (optional Retry-After arg)
           | 477          "Migration in progress", arg = Retry-After seconds (default 1)
           | reset        connection closed (RST) without any answer
           | slow         answer delayed by arg seconds (default 6), then served normally
           | queue        held arg seconds (default 1) before HubSpot sees it (a congested network or edge), then
           |              counted against the rate limits and served: an arrival later than its send
           | burst429     this and the next arg-1 matching requests answer 429 TEN_SECONDLY_ROLLING
           |              (default 5)
           | 429          a single 429 TEN_SECONDLY_ROLLING (same as burst429=1; optional Retry-After arg)
           | truncate     the real answer with its body cut in half (invalid JSON, consistent Content-Length)
           | html         an HTML error page (as a proxy would give), arg = status (default 502)
    rate  := probability per request in [0, 1]
    path  := only requests whose path starts with this prefix (or matches it as a glob when it holds * ? [)

Example: ``500:0.05,reset:0.01,slow=6:0.02,burst429=5:0.01,truncate:0.01,html=503:0.01@/crm/v3/objects/*``.

Each eligible request (every path except `/_sandbox/*`) draws one number from a RNG seeded with the config
seed; rules whose path matches are tried in order with cumulative rates, so the same seed and the same request
sequence inject the same faults (tests are not flaky). Tests can also force "the next N matching requests"
to fail a given way (`force`), which wins over the random rules; an active 429 burst wins over both.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from collections import Counter
from dataclasses import asdict, dataclass

FAULTS_HELP = (
    "Faults: comma-separated KIND[=ARG]:RATE[@PATH], KIND one of 500 502 503 504 521-524 423, "
    "477[=retry_after_s], reset, slow[=seconds], queue[=seconds], burst429[=count], 429, truncate, html[=status]; "
    "RATE in 0..1; PATH a prefix or glob; status kinds, 423 and 429 take an optional =retry_after_s. "
    "Example: 500:0.05,reset:0.01,slow=6:0.02,burst429=5:0.01,truncate:0.01"
)

STATUS_KINDS = frozenset({"423", "500", "502", "503", "504", "521", "522", "523", "524"})
DEFAULT_ARGS: dict[str, float] = {"477": 1, "slow": 6, "queue": 1, "burst429": 5, "html": 502}
KINDS = STATUS_KINDS | {"477", "reset", "slow", "queue", "burst429", "429", "truncate", "html"}


@dataclass(frozen=True)
class Fault:
    """One fault to inject into one request. `arg` is kind-specific (seconds, count or status)."""

    kind: str
    arg: float | None = None


@dataclass(frozen=True)
class FaultRule:
    """A parsed rule: inject `kind` (with `arg`) with probability `rate` on requests matching `path`."""

    kind: str
    rate: float
    arg: float | None = None
    path: str | None = None

    def matches(self, path: str) -> bool:
        return _path_matches(self.path, path)


def _path_matches(pattern: str | None, path: str) -> bool:
    if not pattern:
        return True
    if any(ch in pattern for ch in "*?["):
        return fnmatch.fnmatchcase(path, pattern)
    return path.startswith(pattern)


def _parse_arg(kind: str, text: str, rule: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"fault rule {rule!r}: argument {text!r} is not a number. {FAULTS_HELP}") from None
    if value < 0:
        raise ValueError(f"fault rule {rule!r}: argument must be >= 0")
    if kind == "html" and not 400 <= value <= 599:
        raise ValueError(f"fault rule {rule!r}: html=STATUS needs a 4xx or 5xx status")
    if kind == "burst429" and value < 1:
        raise ValueError(f"fault rule {rule!r}: burst429=COUNT needs a count of at least 1")
    return value


def check_kind(kind: str, arg: float | None, where: str) -> tuple[str, float | None]:
    """Validate a fault kind and its argument; returns (kind, arg with the kind's default filled in)."""
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise ValueError(f"{where}: unknown fault kind {kind!r}. {FAULTS_HELP}")
    if arg is None:
        arg = DEFAULT_ARGS.get(kind)
    elif kind in ("reset", "truncate"):
        raise ValueError(f"{where}: fault kind {kind!r} takes no argument")
    return kind, arg


def parse_faults(spec: str | None) -> list[FaultRule]:
    """Parse a fault spec (grammar in the module docstring). Raises ValueError naming the bad rule."""
    rules: list[FaultRule] = []
    for raw in (spec or "").split(","):
        rule = raw.strip()
        if not rule:
            continue
        body, _, path = rule.partition("@")
        head, sep, rate_text = body.rpartition(":")
        if not sep or not head:
            raise ValueError(f"fault rule {rule!r} needs a rate, e.g. '500:0.05'. {FAULTS_HELP}")
        try:
            rate = float(rate_text)
        except ValueError:
            raise ValueError(f"fault rule {rule!r}: rate {rate_text!r} is not a number") from None
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rule {rule!r}: rate must be between 0 and 1, got {rate}")
        kind, eq, arg_text = head.partition("=")
        arg = _parse_arg(kind.strip().lower(), arg_text.strip(), rule) if eq else None
        kind, arg = check_kind(kind, arg, f"fault rule {rule!r}")
        rules.append(FaultRule(kind=kind, rate=rate, arg=arg, path=path.strip() or None))
    return rules


@dataclass
class _Forced:
    kind: str
    arg: float | None
    remaining: int
    path: str | None


class FaultInjector:
    """Decides, per request, which fault (if any) to inject. Thread-safe; deterministic for a given seed."""

    def __init__(self, spec: str = "", seed: int = 42) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self.spec = ""
        self.rules: list[FaultRule] = []
        self._rng = random.Random(seed)
        self._forced: list[_Forced] = []
        self._burst_left = 0
        self._burst_path: str | None = None
        self.injected: Counter[str] = Counter()
        self.set_spec(spec, seed)

    def set_spec(self, spec: str, seed: int | None = None) -> None:
        """Replace the random rules (ValueError on a bad spec) and re-seed the RNG."""
        rules = parse_faults(spec)
        with self._lock:
            self.spec = spec or ""
            self.rules = rules
            if seed is not None:
                self._seed = seed
            self._rng = random.Random(self._seed)

    def force(self, kind: str, count: int = 1, arg: float | None = None, path: str | None = None) -> None:
        """Make the next `count` requests matching `path` fail with `kind` (queued after earlier forces)."""
        kind, arg = check_kind(str(kind), None if arg is None else float(arg), "forced fault")
        if count < 1:
            raise ValueError("forced fault: count must be at least 1")
        with self._lock:
            self._forced.append(_Forced(kind, arg, int(count), path or None))

    def clear(self) -> None:
        """Drop every rule, forced fault and active burst."""
        with self._lock:
            self.spec = ""
            self.rules = []
            self._forced.clear()
            self._burst_left = 0
            self._burst_path = None

    @property
    def active(self) -> bool:
        return bool(self.rules or self._forced or self._burst_left)

    def decide(self, path: str) -> Fault | None:
        """The fault for this request, or None. Call once per eligible request, in arrival order."""
        if not (self.rules or self._forced or self._burst_left):
            return None
        with self._lock:
            fault = self._decide_locked(path)
            if fault is not None:
                self.injected[fault.kind] += 1
            return fault

    def _decide_locked(self, path: str) -> Fault | None:
        if self._burst_left and _path_matches(self._burst_path, path):
            self._burst_left -= 1
            return Fault("429")
        for index, forced in enumerate(self._forced):
            if _path_matches(forced.path, path):
                forced.remaining -= 1
                if forced.remaining <= 0:
                    del self._forced[index]
                return self._start(forced.kind, forced.arg, forced.path)
        if not self.rules:
            return None
        draw = self._rng.random()
        cumulative = 0.0
        for rule in self.rules:
            if rule.matches(path):
                cumulative += rule.rate
                if draw < cumulative:
                    return self._start(rule.kind, rule.arg, rule.path)
        return None

    def _start(self, kind: str, arg: float | None, path: str | None) -> Fault:
        if kind == "burst429":
            self._burst_left = max(int(arg or 1) - 1, 0)
            self._burst_path = path
            return Fault("429")
        return Fault(kind, arg)

    def state(self) -> dict:
        """JSON-friendly view for `GET /_sandbox/faults`."""
        with self._lock:
            return {
                "spec": self.spec,
                "seed": self._seed,
                "rules": [asdict(rule) for rule in self.rules],
                "forced": [asdict(forced) for forced in self._forced],
                "burst_remaining": self._burst_left,
                "injected": dict(self.injected),
                "help": FAULTS_HELP,
            }
