"""Which test module an xdist worker gets next: the longest one left, as the last whole run measured it.

`--dist loadscope` (setup.cfg) keeps a module on one worker, so its module fixtures are set up once. xdist hands
the modules out in order of their number of tests, which puts the modules of a few long end-to-end tests (the
demo, the Dagster runs) last: one worker then ran a 30 s module while the other had finished. Longest first, the
modules left at the end are the short ones, and both workers end together.

How long each module takes is kept in pytest's cache (`.pytest_cache/`, beside the lastfailed list) after a run of
the whole suite that passed, averaged with what the cache held (one run on a busy machine moves it half-way). Before
the cache has it (a fresh clone), `LONG_MODULES` gives the longest modules' seconds; any other module counts as
`UNKNOWN_TEST_S` per test.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

CACHE_KEY = "hubspot-elt/module_seconds"
UNKNOWN_TEST_S = 0.5  # what a test of a module the cache does not know is taken to cost

# Seconds of the longest modules in a whole run on a quiet 2-core machine (2026-12-03), for a run without the cache.
# Only the order matters; a module missing here (or renamed) is still run, just handed out by its number of tests.
LONG_MODULES = {
    "tests/sources/test_incremental_sandbox.py": 60,
    "tests/sources/test_narrowed_runs.py": 45,
    "tests/test_demo.py": 25,
    "tests/defs/test_location.py": 18,
    "tests/models/test_marts.py": 16,
    "tests/webhooks/test_realtime.py": 15,
    "tests/defs/test_definitions.py": 15,
    "tests/client/test_ratelimit.py": 14,
    "tests/models/test_incremental_marts.py": 13,
    "tests/sources/test_history_transcripts.py": 13,
    "tests/sandbox/test_webhooks_delivery.py": 10,
    "tests/defs/test_quality.py": 10,
    "tests/sources/test_sync_sandbox.py": 10,
    "tests/client/test_ratelimit_shared.py": 8,
    "tests/sources/test_pending_load.py": 8,
    "tests/sources/test_warehouse_crash.py": 8,
    "tests/sources/test_warehouse_network.py": 7,
}


def scope_of(nodeid: str) -> str:
    """The unit `--dist loadscope` keeps on one worker: the module (or class) of a test."""
    return nodeid.rsplit("::", 1)[0]


class LongestModulesFirst(LoadScopeScheduling):
    """xdist's loadscope scheduling, handing out the module with the most seconds left first."""

    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        super().__init__(config, log)
        self.seconds = {**LONG_MODULES, **stored_seconds(config)}

    def _weight(self, scope: str) -> float:
        known = self.seconds.get(scope)
        return known if known is not None else UNKNOWN_TEST_S * len(self.workqueue[scope])

    def _assign_work_unit(self, node: Any) -> None:
        self.workqueue.move_to_end(max(self.workqueue, key=self._weight), last=False)
        super()._assign_work_unit(node)


def stored_seconds(config: pytest.Config) -> dict[str, float]:
    """Seconds per module as the cache holds them ({} without a cache)."""
    cache = getattr(config, "cache", None)
    return dict(cache.get(CACHE_KEY, {})) if cache is not None else {}


class ModuleTimes:
    """Adds up each module's setup, call and teardown seconds as the reports come in (in the xdist controller,
    from every worker), and stores them in the cache after a passing run of the whole suite."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def add(self, report: pytest.TestReport) -> None:
        self.seconds[scope_of(report.nodeid)] += report.duration

    def store(self, session: pytest.Session) -> None:
        config = session.config
        if hasattr(config, "workerinput") or getattr(config, "cache", None) is None or not self.seconds:
            return
        if session.exitstatus != pytest.ExitCode.OK or not _whole_suite(config):
            return  # a partial run would store partial modules
        before = stored_seconds(config)
        averaged = {scope: (s + before[scope]) / 2 if scope in before else s for scope, s in self.seconds.items()}
        config.cache.set(CACHE_KEY, {scope: round(s, 2) for scope, s in sorted(averaged.items())})


def _whole_suite(config: pytest.Config) -> bool:
    """Whether this run ran every test of the suite: the testpaths of setup.cfg, nothing deselected."""
    option = config.option
    return (
        config.args_source == pytest.Config.ArgsSource.TESTPATHS
        and not option.keyword
        and not option.markexpr
        and not getattr(option, "deselect", None)
        and not getattr(option, "lf", False)
    )
