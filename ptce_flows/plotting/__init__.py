"""Plotting layer: matplotlib figures from result tables (the only place matplotlib is used).

Nothing is imported here on purpose: ``import ptce_flows.plotting`` stays cheap and submodules
are imported where they are used. Modules:

- ``style``: colours (Okabe-Ito), fonts, figure sizes, tick formatters, rendering to bytes;
- ``data``: the ``ResultSet`` a figure is drawn from; ``derive``: tables derived from it;
- ``map``, ``sankey``, ``timeseries``, ``jobs``, ``tables``: the plot functions
  (``plot_x(results, ..., ax=None, lang="en") -> Axes``);
- ``figures``: the report's figures composed from the plot functions; ``pages``: A4 pages
  and the PDF; ``labels``: label placement without overlaps.

Words and number formats come from :mod:`ptce_flows.i18n`.
"""
