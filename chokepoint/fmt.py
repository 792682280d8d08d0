"""How numbers are written, everywhere: on screen, in chart titles, in packs and in the CLI.

One rounding per kind of number, so a deck never disagrees with the page it came from.
"""
from __future__ import annotations

import pandas as pd


def pct(x: float, digits: int = 0) -> str:
    """A share as a percentage string, the one rounding used on screen and in exports."""
    return f"{x * 100:.{digits}f}%"


def cover_label(months: float | None, state: str, horizon: int) -> str:
    """'4.7' when exhausted, '36+' when not within the horizon, 'no use', else 'n/a'."""
    if state == "exhausted" and months is not None and months == months:
        return f"{months:.1f}"
    if state == "not exhausted within horizon":
        return f"{int(horizon)}+"
    return "no use" if state == "no use" else "n/a"


def months_label(months: float | None, state: str = "exhausted") -> str:
    """Months of cover as shown everywhere: one decimal, or the state when not a number."""
    if months is None or months != months:
        return {"not exhausted within horizon": "not exhausted"}.get(state, state)
    return f"{cover_label(months, 'exhausted', 0)} months"


def period_label(start, months: int) -> str:
    """'May 2025' for a month, 'Jan–Mar 2025' for a longer period."""
    start = pd.Timestamp(start)
    if months == 1:
        return start.strftime("%b %Y")
    end = start + pd.DateOffset(months=int(months) - 1)
    return f"{start.strftime('%b')}–{end.strftime('%b %Y')}"


def possessive(name: str) -> str:
    """'Japan's', 'United States'' (possessive)."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap into lines of at most ``width`` characters (a longer word stays whole)."""
    lines, cur = [], ""
    for word in text.split(" "):
        if cur and len(cur) + 1 + len(word) > width:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}" if cur else word
    return lines + [cur]


def wrap_br(text: str, width: int = 18) -> str:
    """``wrap`` joined with plotly's line break."""
    return "<br>".join(wrap(text, width))
