"""Chokepoint's server: ``streamlit run serve.py`` (what ``make run`` does), from the repo root.

It serves app.py (the router and the pages) exactly as ``streamlit run app.py`` would, through
Streamlit's public ASGI entry ``st.App``, whose lifespan hook warms the process-wide caches once at
start (chokepoint/ui/warm.py): the first visitor's first chart does not wait for imports and the
Overview's views. ``streamlit run app.py`` still works; it only skips the warm-up.
"""
import streamlit as st

from chokepoint.ui.warm import lifespan

app = st.App("app.py", lifespan=lifespan)
