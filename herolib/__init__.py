"""Shared pieces of Hero Notebook: job models, job states and the ZeroMQ message schema.

Nothing in this package opens a socket; the kernel, the coordinator and the nodes
all build on it.
"""

__version__ = "0.1.0"
