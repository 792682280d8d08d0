"""Streamlit helpers shared by the pages: cached queries, chart blocks, provenance.

The only package module that imports streamlit. Query results are cached by plain parameters
(never user uploads); the DuckDB base connection is a cached resource with a cursor per query.
"""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import threading
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from .. import db, export, glossary, ingest, labels
from ..views.spec import ChartSpec
from .router import app_routes, route_through_app  # noqa: F401 - app.py and every page call these

#: The browser tab icon, shipped with the package (made by ``assets/make_favicon.py``).
FAVICON = Path(__file__).resolve().parent.parent / "assets" / "favicon.png"


@st.cache_resource(show_spinner=False)
def _connection(data_dir: str):
    return db.base_connection(data_dir)


@st.cache_data(ttl=30, show_spinner=False)
def datasets() -> list[ingest.DatasetInfo]:
    """The built-in dataset and every ingested one (re-listed every 30 s)."""
    return ingest.list_datasets()


_BUILT_IN = str(db.DATA.resolve())


def data_dir() -> str:
    """The dataset folder this session looks at: the sidebar's choice, else the built-in data."""
    chosen = st.session_state.get("dataset")
    if chosen is None:              # most runs: no choice made, no listing needed (called per query)
        return _BUILT_IN
    for info in datasets():
        if info.name == chosen:
            return str(info.path)
    return _BUILT_IN


def dataset_picker() -> None:
    """Sidebar select box of datasets (only shown when an ingested one exists)."""
    options = datasets()
    if len(options) < 2:
        return
    names = [d.name for d in options]
    labels = {d.name: d.label for d in options}
    st.selectbox("Trade dataset", names, format_func=labels.get, key="dataset",
                 help="Ingest a BACI release, Comtrade downloads or monthly customs files (HMRC, Comex Stat, "
                 "Comtrade monthly) with `python -m chokepoint ingest ...`")


# Cached results of built-in data are held once per process (st.cache_resource: no pickling per read)
# and every caller gets its own handle: a shallow copy of each data frame. pandas' copy-on-write
# (always on since pandas 3) makes such a copy independent: a caller that adds a column or writes
# a cell changes its copy only, never the shared frame.
@st.cache_resource(max_entries=256, show_spinner=False)
def _cached_query(name: str, data_dir: str, params: tuple) -> pd.DataFrame:
    _connection(data_dir)
    return db.run_query(name, data_dir=data_dir, **dict(params))


def query(name: str, **params) -> pd.DataFrame:
    """Cached run of queries/<name>.sql; list parameters are frozen into tuples for the key."""
    key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))
    return _cached_query(name, data_dir(), key).copy(deep=False)


def _handle(x: object) -> object:
    """A caller's own handle on a cached view: containers rebuilt, data frames shallow-copied
    (copy-on-write keeps them independent), specs copied with their data (sharing the spec's
    drawn-figure memo, so a figure of a cached view is drawn once per process)."""
    if isinstance(x, pd.DataFrame):
        return x.copy(deep=False)
    if isinstance(x, ChartSpec):
        c = copy.copy(x)
        object.__setattr__(c, "data", x.data.copy(deep=False))
        return c
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        c = copy.copy(x)
        for f in dataclasses.fields(x):
            object.__setattr__(c, f.name, _handle(getattr(x, f.name)))
        return c
    if isinstance(x, list):
        return [_handle(i) for i in x]
    if isinstance(x, tuple) and not hasattr(x, "_fields"):
        return tuple(_handle(i) for i in x)
    if isinstance(x, dict):
        return {k: _handle(v) for k, v in x.items()}
    return x


def _frame_digest(df: pd.DataFrame) -> str:
    try:
        rows = pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes()
    except (TypeError, ValueError):   # cells holding lists: hash their text
        rows = df.to_json(orient="split", date_format="iso", default_handler=str).encode()
    cols = repr([(str(c), str(t)) for c, t in df.dtypes.items()]).encode()
    return hashlib.sha256(cols + rows).hexdigest()


def _plain(x: object) -> str:
    """A stable, complete text key for a view argument: a callable by its name (not its address),
    a data frame by a digest of its whole content (its repr is cut), dataclasses, sequences and
    mappings by their parts."""
    if isinstance(x, pd.DataFrame):
        return f"frame:{_frame_digest(x)}"
    if isinstance(x, pd.Series):       # a row: its repr rounds numbers, so digest it like a frame
        return f"series:{x.name!r}:{_frame_digest(x.to_frame())}"
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        frozen = type(x).__dataclass_params__.frozen   # type: ignore[attr-defined]
        if frozen and "_plain_key" in vars(x):
            return vars(x)["_plain_key"]
        key = (f"{type(x).__qualname__}("
               + ",".join(f"{f.name}={_plain(getattr(x, f.name))}" for f in dataclasses.fields(x)) + ")")
        if frozen and "frame:" not in key and "series:" not in key:
            # a frozen value without frames (a library regime, shared by every run) is keyed once;
            # a frame inside a frozen value (a spec's data) can still change, so it is digested each time
            object.__setattr__(x, "_plain_key", key)
        return key
    if isinstance(x, (list, tuple)):
        return "[" + ",".join(_plain(i) for i in x) + "]"
    if isinstance(x, dict):
        return "{" + ",".join(f"{_plain(k)}:{_plain(v)}" for k, v in x.items()) + "}"
    if isinstance(x, (set, frozenset)):   # iteration order differs between equal sets: sort
        return "set{" + ",".join(sorted(_plain(i) for i in x)) + "}"
    if callable(x) and hasattr(x, "__qualname__"):
        return f"{getattr(x, '__module__', '')}.{x.__qualname__}"
    return repr(x)


#: The computation behind the cached call being made in this thread: cached functions take plain
#: keys only (tests/test_isolation.py), so the call itself is handed over here, never hashed or stored.
_pending = threading.local()


@st.cache_resource(max_entries=256, show_spinner=False)
def _cached_view(name: str, data_dir: str, key: str):
    return _pending.compute()


def view(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` for a view of built-in data, computed once per distinct plain
    arguments and dataset and shared by sessions (each gets its own handle, see :func:`_handle`).
    Only for arguments that are not a user's data: a company's holdings or a custom regime never
    go through here."""
    key = "|".join(_plain(a) for a in args) + "|" + "|".join(f"{k}={_plain(v)}" for k, v in sorted(kwargs.items()))
    _pending.compute = lambda: fn(*args, **kwargs)
    try:
        return _handle(_cached_view(f"{fn.__module__}.{fn.__qualname__}", data_dir(),
                                    hashlib.sha256(key.encode()).hexdigest()))
    finally:
        _pending.compute = None


@st.cache_resource(max_entries=1, show_spinner=False)
def _regime_library() -> dict:
    from .. import regimes
    return regimes.load_library()


def regime_library() -> dict:
    """The named regimes of data/regimes (parsed and validated once per process, not per rerun).
    The regimes are frozen and shared (never unpickled per run, so their view keys are computed
    once); each caller gets its own mapping."""
    return dict(_regime_library())


@st.cache_data(max_entries=8, show_spinner=False)
def provenance(data_dir: str) -> dict[str, dict]:
    return ingest.load_provenance(Path(data_dir))


#: how each kind of number (``labels.COLUMNS``) is written in the grid: (format, decimals kept); a
#: share is a fraction written as a percentage with one decimal (0.8418 -> 84.2%). Tonnes, dollars
#: and plain numbers get thousands separators and the decimals their size needs (``labels.tidy``).
_FORMATS = {"pct": ("percent", 3), "months": ("%.1f", None), "ratio": ("%.2f", None), "t": ("localized", None),
            "usd": ("localized", None), "int": ("%d", None), "number": ("localized", None)}


def table(df: pd.DataFrame, *, key: str | None = None, regime_names=None, help: dict[str, str] | None = None,
          kinds: dict[str, str] | None = None) -> None:
    """A machine frame shown as people read it (``labels.display``): labels with units, regime
    names, percentages with one decimal, "—" for missing; glossary tooltips on the headers of
    jargon columns. Numbers stay numbers, so columns sort right.
    ``help`` adds tooltips and ``kinds`` sets formats (see ``labels.COLUMNS``), by machine column name."""
    shown, as_shown, machine = labels.display(df, regime_names, kinds)
    config: dict[str, object] = {}
    for name, k in as_shown.items():
        col = machine[name]
        tip = (help or {}).get(col) or (glossary.tip(*labels.GLOSSARY[col]) if col in labels.GLOSSARY else None)
        if k in _FORMATS:
            fmt, digits = _FORMATS[k]
            if fmt == "localized":
                shown[name] = labels.tidy(shown[name])
            if digits is not None:   # the grid cuts the digits beyond its step (84.18% -> 84.1%): round first
                shown[name] = shown[name].round(digits)
            config[name] = st.column_config.NumberColumn(name, format=fmt, help=tip,
                                                         step=None if digits is None else 10.0 ** -digits)
        elif k == "date":
            config[name] = st.column_config.DateColumn(name, format="YYYY-MM-DD", help=tip)
        elif k == "bool":
            config[name] = st.column_config.CheckboxColumn(name, help=tip)
        elif tip:
            config[name] = st.column_config.Column(name, help=tip)
    st.dataframe(shown, hide_index=True, width="stretch", key=key, column_config=config,  # type: ignore[arg-type]
                 placeholder=labels.MISSING)


def export_buttons(fig: go.Figure, data: pd.DataFrame, *, key: str, notes: list[str] | None = None) -> None:
    """PNG (16:9 and square, 2x), SVG, PDF, CSV and XLSX of one chart. Images render on click."""
    problem = export.image_export_problem()
    specs = [("PNG", "png", "16:9"), ("PNG ◻", "png", "square"), ("SVG", "svg", "16:9"), ("PDF", "pdf", "16:9")]
    row = st.container(horizontal=True, gap="small")
    for label, fmt, size in specs:
        row.download_button(
            label, data=lambda fmt=fmt, size=size: export.figure_bytes(fig, fmt, size),
            file_name=export.file_name(f"{key}-{size.replace(':', 'x')}", fmt), mime=export.FORMATS[fmt],
            key=f"{fmt}-{size}-{key}", on_click="ignore", disabled=problem is not None,
            help=problem or (f"{fmt.upper()} at {size}, for slides and papers (taller when the chart needs the "
                             "room to name every row)"), icon=":material/image:")
    row.download_button(
        "CSV", data=lambda: export.to_csv_bytes(data), file_name=export.file_name(key, "csv"), mime="text/csv",
        key=f"csv-{key}", on_click="ignore", help="The data behind the chart (formula-safe)",
        icon=":material/table:")
    row.download_button(
        "XLSX", data=lambda: export.to_xlsx_bytes(data, notes=notes), file_name=export.file_name(key, "xlsx"),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"xlsx-{key}",
        on_click="ignore", help="The data behind the chart, with its sources (formula-safe)",
        icon=":material/table:")
    if problem:
        st.caption(problem)


def _spec_key(spec: ChartSpec) -> tuple | None:
    """What a spec's figure depends on, as plain values: its text, drawing options and a hash of
    its data. None when the data cannot be hashed (then the figure is simply drawn)."""
    try:
        rows = pd.util.hash_pandas_object(spec.data, index=True).to_numpy().tobytes()
    except (TypeError, ValueError):   # cells holding lists (e.g. a measure's elements): hash their text
        try:
            rows = spec.data.to_json(orient="split", date_format="iso", default_handler=str).encode()
        except (TypeError, ValueError):
            return None
    cols = tuple((str(c), str(t)) for c, t in spec.data.dtypes.items())
    return (spec.id, spec.chart, spec.title, spec.subtitle, spec.source, repr(dict(spec.options)),
            spec.notes, cols, hashlib.sha256(rows).hexdigest())


@st.cache_resource(max_entries=256, show_spinner=False)
def _public_figure(key: str) -> go.Figure:
    return _pending.draw()


def figure(spec: ChartSpec, *, public: bool = True) -> go.Figure:
    """The spec's screen figure. Figures of built-in (public) data are drawn once per process and
    shared by every session, keyed by the spec's content (a rerun with the same view draws
    nothing); a figure of a user's data is drawn for that session only, never kept. Figures are
    treated as read-only after drawing (exports copy them)."""
    if not public:
        return spec.figure()
    memo = spec.memo        # shared by every handle on a cached view's spec: no hashing on a rerun
    if "screen" in memo:
        return memo["screen"]
    key = _spec_key(spec)
    if key is None:
        return spec.figure()
    _pending.draw = spec.figure
    try:
        fig = _public_figure(hashlib.sha256(repr(key).encode()).hexdigest())
    finally:
        _pending.draw = None
    memo["screen"] = fig
    return fig


def chart(spec: ChartSpec, *, data_note: str | None = None) -> None:
    """A chart spec drawn, the sources of its data, and its exports (images, CSV, XLSX).

    The data line names the spec's provenance tables, or ``data_note`` for user data (company
    uploads) that has no built-in table behind it (such a figure is never cached across sessions)."""
    fig = figure(spec, public=data_note is None)
    st.plotly_chart(fig, width="stretch", key=f"fig-{spec.id}")
    if data_note is not None:
        st.caption(f"Data: {data_note}")
        export_buttons(fig, spec.data, key=spec.id, notes=[f"Data: {data_note}"])
        return
    prov = provenance(data_dir())
    names = [f"{prov[t]['title']} — {prov[t]['producer']}" for t in spec.tables if t in prov]
    st.caption("Data: " + " · ".join(names))
    export_buttons(fig, spec.data, key=spec.id, notes=["Sources: " + " · ".join(names)])


def footer(tables: list[str]) -> None:
    """Provenance footer: every table the page used, with licence, access date and checksum."""
    prov = provenance(data_dir())
    box = st.expander("Sources and provenance of this page", key="footer_provenance", on_change="rerun")
    with box:                  # drawn when opened: a closed footer costs a rerun nothing
        if not box.open:
            return
        for t in tables:
            p = prov[t]
            st.markdown(
                f"**{p['title']}** — {p['producer']}. [{p['url']}]({p['url']}) · accessed {p['accessed']} · "
                f"{p['licence']} · {p['rows']} rows · sha256 `{p['sha256'][:12]}…` (table `{t}`)")
            for c in p.get("caveats", []):
                st.markdown(f"- {c}")


# ------------------------------------------------------------------ company workspace
def login_configured() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section (st.login with OIDC)."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all: local mode
        return False


def current_tenant() -> str:
    """The workspace tenant of this session: "local" without login; with login configured, a
    stable id from the signed-in user's OIDC claims (never user input). Not signed in: st.login()."""
    from .. import workspace as ws
    if not login_configured():
        return ws.tenant_for(None, login_configured=False)
    if not st.user.is_logged_in:
        st.login()
        st.stop()
    return ws.tenant_for(st.user.to_dict(), login_configured=True)


@st.cache_resource(show_spinner=False)
def _workspace(target: str):
    from .. import workspace as ws
    return ws.open_workspace(target)


def workspace():
    """The shared workspace store: the DuckDB file, or PostgreSQL when CHOKEPOINT_WORKSPACE_URL is
    set (one connection pool per process). Data is filtered per tenant in SQL, so sharing the
    object across sessions is safe."""
    from .. import workspace as ws
    return _workspace(ws.default_target())
