"""How runs execute their steps (one module of its own: a module with a `@dg.definitions` function contributes only
what that function returns, so the jobs of jobs.py would be lost beside it)."""

import dagster as dg


@dg.definitions
def executor() -> dg.Definitions:
    """Every run executes its steps in the run's own process: each job here is one writing op (a sync, a partial
    refresh, the models), so a step process of its own would only add seconds of start-up, which a partial refresh
    after a webhook cannot spare."""
    return dg.Definitions(executor=dg.in_process_executor)
