"""The Hero coordinator: receives jobs over ZeroMQ and runs them on Dask.

:mod:`coordinator.service` contains the service and :mod:`coordinator.client` the asyncio
client that the kernel and scripts use. Neither is imported here, so the kernel can
use the client without loading Dask.
"""
