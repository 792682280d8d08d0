"""The glossary (``assets/glossary.yml``): rendered on Data and methods, quoted in tooltips.

One source: the page lists every term under its anchor, and ``tip(id)`` gives the same text with
a link to that anchor for a ``help=`` tooltip wherever the term is shown.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

SOURCE = Path(__file__).resolve().parent / "assets" / "glossary.yml"
#: The page the glossary is on (a relative link: works under any base path).
PAGE = "data_methods"


@dataclass(frozen=True)
class Term:
    id: str
    term: str
    text: str

    @property
    def anchor(self) -> str:
        return f"glossary-{self.id}"


@cache
def terms() -> dict[str, Term]:
    """Every term by id, in the file's order."""
    rows = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    return {r["id"]: Term(r["id"], r["term"], " ".join(r["text"].split())) for r in rows}


def link(term_id: str, text: str | None = None) -> str:
    """A markdown link to the term on Data and methods."""
    t = terms()[term_id]
    return f"[{text or t.term}]({PAGE}#{t.anchor})"


def page_link(anchor: str, text: str) -> str:
    """A markdown link to an anchor on Data and methods (e.g. a method: 'method-look-through')."""
    return f"[{text}]({PAGE}#{anchor})"


def tip(*term_ids: str) -> str:
    """Tooltip text: each term's definition (bold term first) and a link to the glossary."""
    parts = [f"**{terms()[i].term}**: {terms()[i].text}" for i in term_ids]
    return "\n\n".join(parts) + f"\n\nSee the [glossary]({PAGE}#glossary) on *Data and methods*."
