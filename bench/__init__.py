"""Benchmarks: `make bench` runs every ``bench/bench_*.py`` module as ``python -m bench.<name>``.

Each prints figures next to a floor and a baseline and asserts nothing about time. By default
they run at a reduced size, so that `make bench` completes in minutes on a 2-core machine;
``BENCH_FULL=1 make bench`` runs the sizes the issues state (a 10-million-row ingest, the
19.75-million-row BACI-scale table, 50 crash runs, ...). Each module says which sizes it scales.
"""
from __future__ import annotations

import os

FULL = os.environ.get("BENCH_FULL", "").strip() not in ("", "0")


def size(default, full):
    """``full`` under ``BENCH_FULL=1``, else the reduced ``default``."""
    return full if FULL else default
