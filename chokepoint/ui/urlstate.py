"""Page state in the URL: a link opens the view its sender saw.

A binder runs just before its widget, with the widget's key, its allowed values and its default,
and returns the value the widget will show (the widget is then created without ``index`` /
``default`` / ``value``: the session state holds it):

* the first time the widget is drawn in a session, a valid URL parameter is taken; an invalid or
  stale one (a material the page does not have, a custom regime of another session, a date that
  is not a date) falls back to the default with an ``st.info`` naming the parameter -- never an
  exception;
* afterwards the widget's own value is kept while it is still allowed (the country stays chosen
  when the material changes, if the new material has it), else the default is used;
* the value is written back to the URL, so the address bar is always a link to the view.

Values travel as plain ids (``material=permanent_magnets``, ``regimes=a&regimes=b``,
``as_of=2026-04-01``), never display labels, so relabelling a widget never breaks a link.
Streamlit's own ``bind="query-params"`` drops an invalid value silently and writes labels; hence
this module. The parsing functions are pure (tests/test_urlstate.py).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

import streamlit as st

T = TypeVar("T", bound=Hashable)
Label = Callable[[Any], str]


# ------------------------------------------------------------------ pure: text <-> value
def parse_choice(raw: str, options: Sequence[T]) -> T | None:
    """The option whose text is ``raw`` (``2024`` matches the option 2024), or None."""
    return next((o for o in options if str(o) == raw), None)


def parse_choices(raw: Sequence[str], options: Sequence[T]) -> tuple[list[T], list[str]]:
    """(the options named in ``raw``, in URL order and without repeats; the texts that name none).
    ``[""]`` (``?regimes=``) is an explicit empty choice."""
    picked: list[T] = []
    bad: list[str] = []
    for text in raw:
        if text == "":
            continue
        hit = parse_choice(text, options)
        if hit is None:
            bad.append(text)
        elif hit not in picked:
            picked.append(hit)
    return picked, bad


def parse_day(raw: str, lo: dt.date | None = None, hi: dt.date | None = None) -> dt.date | None:
    """An ISO date (2026-04-01) within [lo, hi], or None."""
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        return None
    if (lo and day < lo) or (hi and day > hi):
        return None
    return day


def parse_number(raw: str, lo: float, hi: float, step: float | None = None) -> float | None:
    """A finite number within [lo, hi] (on the ``step`` grid from ``lo`` when given), or None."""
    try:
        x = float(raw)
    except ValueError:
        return None
    if not (lo <= x <= hi):          # also rejects nan
        return None
    if step and abs(round((x - lo) / step) * step - (x - lo)) > 1e-9:
        return None
    return x


def text_of(value: object) -> str:
    """How a value is written in the URL."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# ------------------------------------------------------------------ streamlit: binders
def _fallback(param: str, raw: str, shown: str) -> None:
    st.info(f"The link's `{param}={raw}` is not valid on this page (out of range, out of date, or from "
            f"another session): showing **{shown}** instead.", icon=":material/link_off:")


def _write(param: str, texts: list[str]) -> None:
    qp = st.query_params
    if qp.get_all(param) != texts:
        qp[param] = texts if len(texts) != 1 else texts[0]


def _settle(key: str, value: object) -> None:
    ss = st.session_state
    if key not in ss or ss[key] != value:
        ss[key] = value


def choice(param: str, key: str, options: Sequence[T], default: T, *, label: Label = str) -> T:
    """One of ``options`` for the single-choice widget ``key`` (selectbox, radio, segmented control)."""
    ss = st.session_state
    value = default
    if key in ss and ss[key] in options:
        value = ss[key]
    elif key not in ss and param in st.query_params:
        raw = st.query_params[param]
        hit = parse_choice(raw, options)
        if hit is None:
            _fallback(param, raw, label(default))
        else:
            value = hit
    _settle(key, value)
    _write(param, [text_of(value)])
    return value


def choices(param: str, key: str, options: Sequence[T], default: Sequence[T], *,
            label: Label = str) -> list[T]:
    """Some of ``options`` for the multi-choice widget ``key`` (multiselect, pills)."""
    ss = st.session_state
    value = [o for o in default if o in options]
    if key in ss:
        value = [o for o in ss[key] if o in options]     # a choice no longer offered leaves quietly
    elif param in st.query_params:
        raw = st.query_params.get_all(param)
        value, bad = parse_choices(raw, options)
        if bad:
            kept = ", ".join(label(o) for o in value) or "none"
            st.info(f"The link names {', '.join(f'`{param}={b}`' for b in bad)}, not among this page's "
                    f"choices (out of date, or a custom regime of another session): left out. Chosen: "
                    f"**{kept}**.", icon=":material/link_off:")
    _settle(key, value)
    _write(param, [text_of(v) for v in value] or [""])
    return value


def date_range(today: dt.date, years: int = 10) -> tuple[dt.date, dt.date]:
    """``st.date_input``'s own range when given no bounds: ``years`` either side of today."""
    def shift(n: int) -> dt.date:
        return today.replace(year=today.year + n, day=min(today.day, 28) if today.month == 2 else today.day)
    return shift(-years), shift(years)


def day(param: str, key: str, default: dt.date, *, lo: dt.date | None = None,
        hi: dt.date | None = None) -> dt.date:
    """A date for the date widget ``key``: the URL's when valid (ISO, within [lo, hi]; by default
    the range of a date widget given no bounds)."""
    if lo is None or hi is None:
        lo, hi = date_range(dt.date.today())
    ss = st.session_state
    value = default
    if key in ss and isinstance(ss[key], dt.date):
        value = ss[key]
    elif key not in ss and param in st.query_params:
        raw = st.query_params[param]
        parsed = parse_day(raw, lo, hi)
        if parsed is None:
            _fallback(param, raw, f"{default:%d %b %Y}")
        else:
            value = parsed
    _settle(key, value)
    _write(param, [text_of(value)])
    return value


def number(param: str, key: str, default: float, lo: float, hi: float, step: float | None = None) -> float:
    """A number for the slider / number input ``key``: the URL's when within [lo, hi] on the step grid."""
    ss = st.session_state
    value = default
    if key in ss and ss[key] is not None:
        value = ss[key]
    elif key not in ss and param in st.query_params:
        raw = st.query_params[param]
        parsed = parse_number(raw, lo, hi, step)
        if parsed is None:
            _fallback(param, raw, text_of(default))
        else:
            value = type(default)(parsed)
    _settle(key, value)
    _write(param, [text_of(value)])
    return value


def drop(*params: str) -> None:
    """Take parameters out of the URL (their widget is not shown on this run)."""
    for p in params:
        if p in st.query_params:
            del st.query_params[p]


def page_url() -> str | None:
    """The address of this page with its current parameters (None outside a browser session)."""
    base = st.context.url
    if not base:
        return None
    query = urlencode([(k, v) for k in st.query_params for v in st.query_params.get_all(k)])
    return base + ("?" + query if query else "")


def link() -> None:
    """A "Link to this view" box in the sidebar, with a copy button (st.code's own)."""
    url = page_url()
    if url is None:
        return
    with st.sidebar:
        st.markdown("**Link to this view**", help="Copy it with the button at the box's right: it opens this "
                                                  "page with the same choices (uploaded files and custom regimes "
                                                  "stay in your session).")
        st.code(url, language=None, wrap_lines=True)
