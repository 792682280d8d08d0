"""The one problem type of the stockpile CSV reader, how user text is quoted in messages, and the
file-level stop a stage raises when nothing more can be read."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One problem. ``row``: spreadsheet row (header = 1) or None for the whole file."""

    row: int | None
    column: str | None
    message: str
    suggestion: str | None = None

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = self.message
        if self.suggestion:
            text += f" — did you mean {self.suggestion!r}?"
        return f"{', '.join(where)}: {text}" if where else text



def _show(text: str, limit: int = 60) -> str:
    """User text for a message: repr-quoted, shortened."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


class _Stop(Exception):
    """Internal: a file-level error after which nothing more can be read. ``earlier``: the issues
    the stopping stage had already found (they are reported before this one)."""

    def __init__(self, issue: Issue, earlier: Iterable[Issue] = ()):
        super().__init__(issue)
        self.issue = issue
        self.earlier = list(earlier)
