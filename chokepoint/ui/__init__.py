"""Streamlit helpers shared by the pages: cached queries, chart blocks, provenance.

The only package module that imports streamlit. Query results are cached by plain parameters
(never user uploads); the DuckDB base connection is a cached resource with a cursor per query.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from .. import dataset, db, export


@st.cache_resource(show_spinner=False)
def _connection(data_dir: str):
    return db.base_connection(data_dir)


def data_dir() -> str:
    """The dataset folder the session is looking at (the built-in one for now)."""
    return str(db.DATA)


@st.cache_data(max_entries=256, show_spinner=False)
def _cached_query(name: str, data_dir: str, params: tuple) -> pd.DataFrame:
    _connection(data_dir)
    return db.run_query(name, data_dir=data_dir, **dict(params))


def query(name: str, **params) -> pd.DataFrame:
    """Cached run of queries/<name>.sql; list parameters are frozen into tuples for the key."""
    key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))
    df = _cached_query(name, data_dir(), key)
    return df.copy()


@st.cache_data(max_entries=4, show_spinner=False)
def provenance(data_dir: str) -> dict[str, dict]:
    return dataset.load_provenance(Path(data_dir))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def chart(fig: go.Figure, data: pd.DataFrame, *, key: str, tables: list[str]) -> None:
    """A chart, its sources and a formula-safe CSV download of the data behind it."""
    st.plotly_chart(fig, width="stretch", key=f"fig-{key}")
    cols = st.columns([1, 3])
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    cols[0].download_button(
        "Data (CSV)", export.to_csv_bytes(data), file_name=f"chokepoint-{_slug(key)}-{stamp}.csv",
        mime="text/csv", key=f"csv-{key}", icon=":material/download:",
    )
    prov = provenance(data_dir())
    names = [f"{prov[t]['title']} — {prov[t]['producer']}" for t in tables if t in prov]
    cols[1].caption("Data: " + " · ".join(names))


def footer(tables: list[str]) -> None:
    """Provenance footer: every table the page used, with licence, access date and checksum."""
    prov = provenance(data_dir())
    with st.expander("Sources and provenance of this page", expanded=False):
        for t in tables:
            p = prov[t]
            st.markdown(
                f"**{p['title']}** — {p['producer']}. [{p['url']}]({p['url']}) · accessed {p['accessed']} · "
                f"{p['licence']} · {p['rows']} rows · sha256 `{p['sha256'][:12]}…` (table `{t}`)")
            for c in p.get("caveats", []):
                st.markdown(f"- {c}")
