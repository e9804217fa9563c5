"""The Hero Jupyter kernel: Rhai cells run as jobs on Hero nodes, ``%%python`` in IPython."""

__version__ = "0.1.0"
