"""What the stockpile CSV reader accepts: the column names it knows, how a header cell is read as a
name, and the limits it enforces (sizes, digits, share rounding). Part of the stockpile CSV reader
(chokepoint/stockpile_csv.py)."""
from __future__ import annotations

import re

MAX_BYTES = 25 * 1024 * 1024
MAX_COLUMNS = 1000  # a stockpile sheet has 8 known columns; a 1M-column header is refused unread
MAX_ROWS = 100_000
MAX_QUANTITY_T = 1e9
MAX_SIG_DIGITS = 15
SHARE_SUM_TOLERANCE = 0.01
DEFAULT_SITE = "main"

REQUIRED_COLUMNS = ("material", "on_hand", "monthly_use")
OPTIONAL_COLUMNS = ("unit", "supplier_country", "supplier_share", "site", "site_country")
KNOWN_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
NUMERIC_COLUMNS = ("on_hand", "monthly_use", "supplier_share")

_FORMULA_START = ("=", "+", "-", "@")


def _norm_header(h: str) -> str:
    h = h.replace("\ufeff", "").strip(" \t\u00a0\u202f").lower()
    return re.sub(r"[\s\-]+", "_", h)
