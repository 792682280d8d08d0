"""The view layer: one function per analysis, returning typed results.

Every chart is a :class:`ChartSpec` (finding title, scope subtitle, source line, data, drawing
options, provenance tables, notes, headline findings) and every key number a :class:`Finding`.
Pages render specs, briefing packs lay them out as slides, the CLI prints findings, and
``chokepoint.charts`` draws them. Modules: ``overview``, ``exposure``, ``cover``, ``company``.
"""
from .spec import ChartSpec, Finding

__all__ = ["ChartSpec", "Finding"]
