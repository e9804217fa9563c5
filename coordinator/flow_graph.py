"""The Dask graph of one run of a flow: one task per job, submitted in one message.

Submitting each job with ``Client.submit`` costs the scheduler one update-graph
message per job. The graph built here carries every job in one message. Jobs with the same
placement (runner resource and pinned worker) share one layer, whose annotations
Dask applies to each task in it.

NOTE: tasks are built with the private ``dask._task_spec`` module, as
``Client.submit`` builds them, because ``dask.delayed`` makes a graph layer per task:
a flow of 10,000 jobs would become a graph of 10,000 layers.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from dask._task_spec import Alias, Task, parse_input
from dask.highlevelgraph import HighLevelGraph, MaterializedLayer

from herolib.flows import Flow
from nodes.events import task_key
from nodes.task import run_flow_job

#: A job's placement: its runner and the workers it must run on (empty for any).
TaskPlacement = tuple[str, tuple[str, ...]]


def flow_graph(
    flow: Flow,
    run: int,
    workers: Mapping[str, list[str] | None],
    reused: Mapping[str, dict[str, Any]],
    session: dict[str, Any] | None,
) -> tuple[HighLevelGraph, dict[str, tuple[str, str, int]]]:
    """Return the graph of run number ``run`` of ``flow`` and each job's task key.

    Jobs in ``reused`` do not run again: their dependents get the recorded outcome
    as a value. ``workers`` gives the workers a pinned job must run on, or None.
    Every job starts from the context's ``session`` snapshot.
    """
    layers: dict[TaskPlacement, dict[Hashable, Task]] = {}
    keys: dict[str, tuple[str, str, int]] = {}
    for step in flow.order():
        if step.name in reused:
            continue
        job = flow.job(step.name).to_dict()
        job["session"] = session
        key = task_key(job["id"], run)
        dependencies = {
            name: reused[name] if name in reused else Alias(keys[name])
            for name in step.depends
        }
        placement = (step.runner, tuple(workers.get(step.name) or ()))
        layers.setdefault(placement, {})[key] = Task(
            key, run_flow_job, job, step.retries, parse_input(dependencies)
        )
        keys[step.name] = key

    graph_layers = {
        f"hero-flow-{flow.id}-{run}-{index}": MaterializedLayer(
            tasks, annotations=_annotations(placement)
        )
        for index, (placement, tasks) in enumerate(layers.items())
    }
    # Layers may depend on one another in both directions; Dask reads the task
    # dependencies, so the graph declares none between layers.
    graph = HighLevelGraph(graph_layers, {name: set() for name in graph_layers})
    return graph, keys


def _annotations(placement: TaskPlacement) -> dict[str, Any]:
    runner, workers = placement
    annotations: dict[str, Any] = {"resources": {runner: 1}}
    if workers:
        annotations["workers"] = list(workers)
        annotations["allow_other_workers"] = False
    return annotations
