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
  this process, the page was served by the legacy mode: it calls ``st.navigation`` with itself
  (which switches the process to app.py's router) and ``st.rerun()``, which lands on the same
  page through app.py. Otherwise it does nothing (one boolean check per page run).

Remove it when Streamlit no longer runs page scripts without the main script.
"""
from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

_app_ran = False


def app_routes() -> None:
    """Called by app.py after its ``st.navigation``: the router is in charge in this process."""
    global _app_ran
    _app_ran = True


def route_through_app() -> None:
    """Rerun a page through app.py when Streamlit's legacy pages/ mode served it directly (only
    possible before app.py has run once in the process); a no-op otherwise."""
    if _app_ran:
        return
    page = Path(sys._getframe(1).f_globals["__file__"])   # the calling page script
    app_routes()
    st.navigation([st.Page(page)], position="hidden")    # from now on the process uses st.navigation
    st.rerun()
