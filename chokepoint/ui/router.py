"""One explicit shim: send a first-ever page-URL request through app.py's ``st.navigation``.

Why it exists. Streamlit 1.67 still has its legacy multipage mode for apps with a ``pages/``
folder next to the main script. Until ``st.navigation`` has been called once in the process, a
request for e.g. ``/exposure`` runs ``pages/exposure.py`` alone: app.py does not run at all, so
there is no shared sidebar and the menu is the auto-generated one. The maintainers acknowledge it
(a ``pages`` folder plus ``st.navigation`` and a direct URL "sometimes switch back to MPAv1":
https://github.com/streamlit/streamlit/pull/10276); no config option turns the legacy mode off
(``client.showSidebarNavigation`` only hides the menu), and the layout keeps ``pages/``. Once
``st.navigation`` has been called, Streamlit ignores the ``pages/`` folder for the rest of the
process (documented behaviour of ``st.navigation``).

So, with public API only:

* app.py calls ``app_routes()`` when its ``st.navigation`` has run;
* every page calls ``route_through_app()`` as its first statement. If app.py has not run yet in
  this process, the page was served by the legacy mode: it runs app.py in its place (app.py's
  ``st.navigation`` switches the process to the router and resolves the requested page by its URL
  name, then runs that page, whose own call is now a no-op) and stops. Otherwise it does nothing
  (one boolean check per page run).

  An earlier version called ``st.navigation`` with the page alone and then ``st.rerun()``: the
  rerun asked for a page hash the legacy registry no longer had, so the first visitor saw a
  "Page not found" dialog over the right page (tests/test_browser_hostile.py caught it).

Remove it when Streamlit no longer runs page scripts without the main script.
"""
from __future__ import annotations

import runpy
from pathlib import Path

import streamlit as st

_app_ran = False
APP = Path(__file__).resolve().parents[2] / "app.py"   # the router script


def app_routes() -> None:
    """Called by app.py after its ``st.navigation``: the router is in charge in this process."""
    global _app_ran
    _app_ran = True


def route_through_app() -> None:
    """Rerun a page through app.py when Streamlit's legacy pages/ mode served it directly (only
    possible before app.py has run once in the process); a no-op otherwise."""
    if _app_ran:
        return
    runpy.run_path(str(APP), run_name="__main__")       # app.py routes to this page and runs it
    st.stop()                                           # the legacy run of this page ends here
