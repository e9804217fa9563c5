"""Connecting the coordinator to Dask: a new LocalCluster, or an existing scheduler."""

from __future__ import annotations

import logging
from pathlib import Path

from distributed import Client, LocalCluster

from nodes.plugin import AVAILABLE_RUNNERS, PLUGIN_NAME, HeroNodePlugin

logger = logging.getLogger(__name__)

#: Amount of each runner resource a node advertises. A job takes one unit, so the
#: worker's thread count is what limits how many jobs run at once.
RUNNER_CAPACITY = 1000


async def start_local_cluster(
    n_workers: int, threads_per_worker: int = 2
) -> LocalCluster:
    """Start a LocalCluster of worker processes on loopback, each serving every runner."""
    cluster = await LocalCluster(
        n_workers=n_workers,
        threads_per_worker=threads_per_worker,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        resources={runner: RUNNER_CAPACITY for runner in AVAILABLE_RUNNERS},
        asynchronous=True,
    )
    logger.info(
        "started LocalCluster %s with %d Hero nodes",
        cluster.scheduler_address,
        n_workers,
    )
    return cluster


async def connect(address: str) -> Client:
    """Connect an asynchronous Dask client to the scheduler at ``address``."""
    try:
        client = await Client(address, asynchronous=True, timeout="10s")
    except OSError as exc:
        raise OSError(
            f"could not connect to the Dask scheduler at {address}: {exc}; "
            "check the address and that the scheduler runs"
        ) from exc
    logger.info("connected to Dask scheduler %s", address)
    return client


async def make_nodes(client: Client, node_dir: Path | None) -> None:
    """Register the Hero node plugin, making every current and future worker a node."""
    plugin = HeroNodePlugin(base_dir=str(node_dir) if node_dir else None)
    await client.register_plugin(plugin, name=PLUGIN_NAME)
