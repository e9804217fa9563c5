"""Live views of flows, nodes and jobs for JupyterLab.

NOTE: empty so far; the kernel shows jobs as plain cell output until the flow view exists.
"""
