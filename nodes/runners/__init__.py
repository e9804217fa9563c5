"""Runners: one per script type a node serves."""
