"""One explicit shim: send a first-ever page-URL request through app.py's ``st.navigation``.

Why it exists. Streamlit 1.67 still has the legacy multipage mode for apps with a ``pages/``
folder next to the main script (``PagesManager.uses_pages_directory``, set once per process when
the first session starts). Until ``st.navigation`` has been called once in the process, a
request for e.g. ``/exposure`` runs ``pages/exposure.py`` alone through ``_mpa_v1``: app.py does
not run at all, so there is no shared sidebar and the menu is the auto-generated one. The
maintainers acknowledge this (a ``pages`` folder plus MPA v2 and a direct URL "sometimes switch
back to MPAv1": https://github.com/streamlit/streamlit/pull/10276) and there is no config option
to turn the legacy mode off (``client.showSidebarNavigation`` only hides the menu). The layout
keeps ``pages/`` (fixed), so:

* ``route_through_app()`` is called explicitly as the first statement of every page script (the
  only code that runs on such a request; app.py cannot fix it because it is not run);
* when the process is still in legacy mode it flips the flag that ``st.navigation`` itself
  clears and reruns, which lands on the same page through app.py; otherwise it does nothing.
  Streamlit decides the mode once per process, so the check is made once per process too (the
  first page run after start); later runs never rerun, so no widget event is ever lost to it.

Remove it when Streamlit no longer runs page scripts without the main script.
"""
from __future__ import annotations

import streamlit as st


def in_legacy_pages_mode() -> bool:
    """True while Streamlit would run a page script without app.py (the pages/ folder mode)."""
    from streamlit.runtime.pages_manager import PagesManager
    return bool(PagesManager.uses_pages_directory)


_checked = False


def route_through_app() -> None:
    """Rerun a page request through app.py's ``st.navigation`` when Streamlit's legacy pages/
    mode served it directly (checked on the first page run of the process; a no-op after)."""
    global _checked
    if _checked:
        return
    _checked = True
    if in_legacy_pages_mode():
        from streamlit.runtime.pages_manager import PagesManager
        PagesManager.uses_pages_directory = False   # what st.navigation sets (commands/navigation.py)
        st.rerun()
