"""Fixtures of the kernel tests: a shared hero kernel and kernels of their own."""

from __future__ import annotations

import contextlib
import os

import pytest
from jupyter_client.manager import start_new_kernel


@contextlib.contextmanager
def _own_kernel(home, **settings):
    """Start a hero kernel of its own with HERO_HOME at ``home`` and extra settings."""
    environment = {**os.environ, "HERO_HOME": str(home), **settings}
    manager, client = start_new_kernel(
        kernel_name="hero", startup_timeout=120, env=environment
    )
    try:
        yield manager, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)


@pytest.fixture
def own_kernel():
    """Return a context manager that starts a kernel of its own and stops it after."""
    return _own_kernel


@pytest.fixture(scope="module")
def kernel():
    """A hero kernel shared by the tests of one module."""
    manager, client = start_new_kernel(kernel_name="hero", startup_timeout=120)
    yield manager, client
    client.stop_channels()
    manager.shutdown_kernel(now=False)
