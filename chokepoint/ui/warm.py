"""Warm-up at server start: the work every first session would otherwise pay, done once per
process before the server answers (``serve.py``'s lifespan hook, Streamlit's public ``st.App``).

What a cold process spends on its first page (measured on a 2-core machine): importing the app's
modules (pandas/plotly/duckdb already come with Streamlit; chokepoint's charts, views, export,
~1 s with plotly's lazily imported figure classes), and computing and drawing the Overview's views
(~1 s). Both land in process-wide caches (``ui.view``, ``ui.figure``), so doing them here makes
the first visitor's page as fast as the next one's. Nothing here touches a user's data.

A failure is logged and the server starts anyway: warm-up is an optimisation, never a condition.
"""
from __future__ import annotations

import asyncio
import importlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

log = logging.getLogger("chokepoint.warm")

#: Modules the pages import on their first run (the heavy part: plotly's figure classes via charts).
MODULES = ("chokepoint.charts", "chokepoint.views.exposure", "chokepoint.views.cover", "chokepoint.views.company",
           "chokepoint.views.observed", "chokepoint.scenarios", "chokepoint.export", "chokepoint.briefing")


def warm() -> float:
    """Import the pages' modules and compute and draw the default page (Overview) into the
    process-wide caches. Returns the seconds it took."""
    t = time.perf_counter()
    for name in MODULES:
        importlib.import_module(name)
    from .. import ui
    from ..charts.style import use_house_template
    from ..views import overview
    use_house_template()
    for spec in ui.view(overview.page, ui.query):
        ui.figure(spec)
    return time.perf_counter() - t


@asynccontextmanager
async def lifespan(_app: object) -> AsyncIterator[None]:
    """``st.App(..., lifespan=lifespan)``: warm up before the server takes requests."""
    try:
        took = await asyncio.to_thread(warm)
        log.info("warm-up done in %.2f s", took)
    except Exception:  # noqa: BLE001 - never keep the server from starting
        log.exception("warm-up failed; the first session will compute what it needs")
    yield
