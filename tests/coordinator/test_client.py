import asyncio
import socket

import pytest

from coordinator.client import CoordinatorClient
from herolib.errors import CoordinatorError, CoordinatorUnreachable


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_coordinator_names_address():
    address = f"tcp://127.0.0.1:{free_port()}"

    async def scenario():
        client = CoordinatorClient(address, timeout=1.0)
        try:
            with pytest.raises(CoordinatorUnreachable) as caught:
                await client.connect()
        finally:
            await client.close()
        return str(caught.value)

    message = asyncio.run(scenario())
    assert address in message
    assert "within 1 s" in message


@pytest.mark.parametrize(
    "address",
    ["garbage", " ", "tcp://127.0.0.1:99999", "tcp://127.0.0.1:0", "http://x:1"],
)
def test_invalid_address_is_rejected(address):
    with pytest.raises(CoordinatorError, match="invalid coordinator address"):
        CoordinatorClient(address)
