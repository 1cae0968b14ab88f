"""reportgen: a static report generator for cited figures.

Stages, one module each: ``loader`` (YAML with positions) -> ``validate``/``content``
(checked model) -> ``pages`` (what pages exist) -> ``charts`` (Vega-Lite specs) ->
``render`` (HTML) -> ``build`` (orchestration, atomic write).  ``cli`` is the command line.
"""
