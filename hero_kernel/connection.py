"""The kernel's coordinator: an embedded one, the one ``HERO_COORDINATOR`` names, or
the one that ``%connect`` chose.

With no setting and no ``%connect`` the kernel starts an embedded coordinator at
once, so it is ready by the first cell. ``%connect ADDRESS`` stops it and sends later
jobs and flows to ADDRESS; ``%connect --embedded`` starts a new embedded one.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os

from coordinator.client import CoordinatorClient, check_address
from coordinator.embedded import EmbeddedCoordinator
from hero_kernel.magics import MagicParser
from herolib.errors import HeroError

#: Environment variable with the request endpoint of a running coordinator.
COORDINATOR_ENV = "HERO_COORDINATOR"

logger = logging.getLogger(__name__)

CONNECT_PARSER = MagicParser(
    prog="%connect",
    description=(
        "Send this notebook's later jobs and flows to the coordinator at ADDRESS.\n"
        "%connect alone shows the coordinator in use. The kernel checks that ADDRESS\n"
        "replies before it switches, and stops its embedded coordinator when it does."
    ),
)
_TARGET = CONNECT_PARSER.add_mutually_exclusive_group()
_TARGET.add_argument(
    "address",
    metavar="ADDRESS",
    nargs="?",
    help="request endpoint of a running coordinator, such as tcp://127.0.0.1:7760",
)
_TARGET.add_argument(
    "--embedded",
    action="store_true",
    help="start an embedded coordinator for this kernel and use it",
)


class ConfigurationError(HeroError):
    """The kernel's coordinator is not usable as configured."""


class CoordinatorConnection:
    """Own the kernel's coordinator client, and its embedded coordinator if it has one.

    ``topics`` are the flow id prefixes whose events the client receives.
    """

    def __init__(self, topics: tuple[str, ...]) -> None:
        self.topics = topics
        self.address: str | None = os.environ.get(COORDINATOR_ENV) or None
        self.source = COORDINATOR_ENV if self.address else "embedded"
        self.embedded: EmbeddedCoordinator | None = None
        self.error: str | None = None
        self._client: CoordinatorClient | None = None
        if self.address is None:
            self._start_embedded()
        atexit.register(self.stop)

    def _start_embedded(self) -> None:
        self.embedded = EmbeddedCoordinator()
        self.error = None
        try:
            self.embedded.start()
        except OSError as exc:
            self.error = f"the embedded coordinator could not start: {exc}"

    async def client(self) -> CoordinatorClient:
        """Return the connected client, connecting first if needed.

        A killed embedded coordinator is started again here.
        """
        if self.error is not None:
            raise ConfigurationError(self.error)
        if self.embedded is not None and self.embedded.exited:
            logger.warning("the embedded coordinator exited; starting a new one")
            self.embedded.stop()
            await self._close_client()
        if self._client is not None:
            return self._client
        address = self.address
        if self.embedded is not None:
            endpoints = await self.embedded.ready()
            address = endpoints["request"]
        assert address is not None
        self._client = await self._open(address)
        logger.info("using coordinator %s", address)
        return self._client

    async def _open(self, address: str) -> CoordinatorClient:
        client = CoordinatorClient(address, topics=self.topics)
        try:
            await client.connect()
        except BaseException:
            await client.close()
            raise
        return client

    async def connect(self, address: str) -> None:
        """Switch to the coordinator at ``address`` once it replies; else keep the current one."""
        check_address(address)
        client = await self._open(address)
        await self._close_client()
        self._client = client
        self.address, self.source, self.error = address, "%connect", None
        embedded, self.embedded = self.embedded, None
        if embedded is not None:
            # Stopping waits for its processes, so it runs off the event loop.
            await asyncio.get_running_loop().run_in_executor(None, embedded.stop)
        logger.info("connected to coordinator %s", address)

    async def use_embedded(self) -> None:
        """Start an embedded coordinator, unless one runs, and use it."""
        if self.embedded is not None and self.error is None:
            await self.client()
            return
        await self._close_client()
        self.address, self.source = None, "embedded"
        self._start_embedded()
        await self.client()

    async def describe(self) -> str:
        """Return the coordinator in use and its nodes, connecting first if needed."""
        client = await self.client()
        if self.source == "embedded":
            origin = "the kernel's embedded coordinator"
        elif self.source == COORDINATOR_ENV:
            origin = f"the coordinator that {COORDINATOR_ENV} names"
        else:
            origin = "the coordinator that %connect chose"
        names = sorted(str(node.get("name", "?")) for node in client.nodes)
        nodes = f"nodes: {', '.join(names)}" if names else "no nodes reported"
        return f"{client.address}: {origin}; {nodes}"

    async def _close_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    def stop(self) -> None:
        """Stop the embedded coordinator, if there is one."""
        if self.embedded is not None:
            self.embedded.stop()
