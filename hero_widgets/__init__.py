"""Live views of flows, nodes and jobs for JupyterLab, built on anywidget.

The views open no sockets: the kernel, or a Python cell, feeds them coordinator
events and records. Each also renders as a text form (and the flow view as a static
SVG), which is what nbconvert, nbval and a notebook opened without its kernel show.
"""

from hero_widgets.flow_state import FlowViewState
from hero_widgets.flow_widget import FlowWidget
from hero_widgets.job_widget import JobWidget
from hero_widgets.layout import Layout, layout_flow
from hero_widgets.node_widget import NodesWidget

__all__ = [
    "FlowViewState",
    "FlowWidget",
    "JobWidget",
    "Layout",
    "NodesWidget",
    "layout_flow",
]
