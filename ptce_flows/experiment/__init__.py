"""Running scenarios: one execution path for every command that simulates.

- ``records``: what a task computes (a comparison's compact record, a run's whole summary),
  its JSON form and the checks a stored record must pass;
- ``execution``: ``execute(tasks, kind, worlds, jobs|scheduler, cache, progress)``, the only
  place runs are executed (inline, local processes, or Dask);
- ``cache``: finished runs on disk, keyed by the resolved scenario and the seed;
- ``run``: one scenario's replications (``run_scenario``), the seeds of replications;
- ``plans``: layouts and plans of comparisons and sweeps, run through ``execute``;
- ``faults``: a disrupted run against its undisrupted twin.

Coming commands (``optimise``, ``sensitivity``) build their layouts as ``plans.Layout`` and
their runs as ``execution.Task`` and go through ``execute`` as well.
"""

from ptce_flows.experiment.records import run_record, run_replication
from ptce_flows.experiment.run import RunResult, replication_seeds, run_scenario

__all__ = ["RunResult", "replication_seeds", "run_record", "run_replication", "run_scenario"]
