"""Hero nodes: Dask workers with a supervisor, runners and their own HeroDB.

A worker becomes a node when it loads :class:`nodes.plugin.HeroNodePlugin`.
"""
