"""Which test module an xdist worker gets next: the longest one left, as the last whole run measured it.

`--dist loadscope` (setup.cfg) keeps a module on one worker, so its module fixtures are set up once. xdist hands
the modules out in order of their number of tests, which puts the modules of a few long end-to-end tests (the
demo, the Dagster runs) last: one worker then ran a 30 s module while the other had finished. Longest first, the
modules left at the end are the short ones, and both workers end together.

How long each module took is kept in pytest's cache (`.pytest_cache/`, beside the lastfailed list) after a run of
the whole suite that passed; a module the cache does not know yet counts as `UNKNOWN_TEST_S` per test. Without a
cache (a fresh clone) the order is xdist's own.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

CACHE_KEY = "hubspot-elt/module_seconds"
UNKNOWN_TEST_S = 0.5  # what a test of a module the cache does not know is taken to cost


def scope_of(nodeid: str) -> str:
    """The unit `--dist loadscope` keeps on one worker: the module (or class) of a test."""
    return nodeid.rsplit("::", 1)[0]


class LongestModulesFirst(LoadScopeScheduling):
    """xdist's loadscope scheduling, handing out the module with the most seconds left first."""

    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        super().__init__(config, log)
        cache = getattr(config, "cache", None)
        self.seconds: dict[str, float] = dict(cache.get(CACHE_KEY, {}) if cache is not None else {})

    def _weight(self, scope: str) -> float:
        known = self.seconds.get(scope)
        return known if known is not None else UNKNOWN_TEST_S * len(self.workqueue[scope])

    def _assign_work_unit(self, node: Any) -> None:
        if self.seconds:  # else keep xdist's order (most tests first)
            self.workqueue.move_to_end(max(self.workqueue, key=self._weight), last=False)
        super()._assign_work_unit(node)


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
        config.cache.set(CACHE_KEY, {scope: round(s, 2) for scope, s in sorted(self.seconds.items())})


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
