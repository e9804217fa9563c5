"""Live views of flows, nodes and jobs for JupyterLab, built on anywidget.

The views open no sockets: the kernel, or a Python cell, feeds them coordinator
events and records. Each also renders as a text summary and a static SVG, which is
what nbconvert, nbval and a notebook opened without its kernel show.
"""

from hero_widgets.flow_state import FlowViewState
from hero_widgets.flow_widget import FlowWidget
from hero_widgets.layout import Layout, layout_flow

__all__ = ["FlowViewState", "FlowWidget", "Layout", "layout_flow"]
