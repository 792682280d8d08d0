"""Checks that make an ingest refuse, never replace, on doubt (issue 08).

* ``check_release(release)``: before any byte is decompressed, every member the ingest will read
  has a declared size under its cap and a sane compression ratio (zip bombs), there is one trade
  file per year, and every year is inside the release's declared range and 1988..next year;
* ``read_member(release, member, cap)``: a side file (country/product codes) streamed with a byte
  cap, never read whole;
* ``junk_problem(path, check)``: refuse a trade file whose first lines mostly do not parse,
  quoting the first failing lines;
* ``refuse_empty(...)``: no flows kept is an error, never a dataset that replaces a good one;
* ``hold(folder)`` / ``clean_stale(home)``: a staging folder is flock-ed by its ingest for its
  whole life, so the next ingest removes ``.tmp-*`` folders whose ingest was killed (and only those).
"""
from __future__ import annotations

import datetime as _dt
import fcntl
import os
import re
import shutil
import zipfile
import zlib
from pathlib import Path
from typing import Callable

from ..safe_input import human_bytes, show
from .common import IngestError

MAX_SIDE_BYTES = 64 << 20       # country / product code files: a few hundred KB in real releases
MAX_TRADE_BYTES = 16 << 30      # one yearly BACI file: ~0.5 GB uncompressed in real releases
MAX_RATIO = 100                 # CSV deflates 4-10x; 100x is a file of repeated bytes
RATIO_FROM = 1 << 20            # ratios of tiny members mean nothing
FIRST_YEAR = 1988               # HS exists from 1988
# first year each BACI HS revision covers (CEPII's documentation)
HS_FIRST_YEAR = {"HS92": 1995, "HS96": 1996, "HS02": 2002, "HS07": 2007, "HS12": 2012, "HS17": 2017,
                 "HS22": 2022}
SAMPLE_LINES = 1000             # lines checked by junk_problem
SAMPLE_LINE_BYTES = 1 << 16


def year_bounds(hs: str | None = None, version: str | None = None) -> tuple[int, int]:
    """(first, last) year a release may hold: its HS revision's first year (1988 at the earliest)
    to the year before its version (V202601 -> 2025), never after next year."""
    lo = max(FIRST_YEAR, HS_FIRST_YEAR.get((hs or "").upper(), FIRST_YEAR))
    hi = _dt.date.today().year + 1
    if version and re.fullmatch(r"\d{6,8}", version):
        hi = min(hi, int(version[:4]) - 1)
    return lo, hi


def check_years(display: str | Path, years: list[int], hs: str | None = None, version: str | None = None) -> None:
    lo, hi = year_bounds(hs, version)
    bad = sorted({y for y in years if not lo <= y <= hi})
    if bad:
        what = f"{hs} release V{version}" if hs and version else "trade data"
        shown = ", ".join(map(str, bad[:10])) + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
        raise IngestError(display, None, f"year(s) {shown} outside {lo}–{hi}, the years a {what} can hold")


def _declared(release, m) -> tuple[int, int]:
    """(uncompressed, compressed) size of a member as declared (zip) or on disk (folder)."""
    if m.path is not None:
        n = m.path.stat().st_size
        return n, n
    info = release.zip.getinfo(m.zip_name)
    return info.file_size, info.compress_size


def check_release(release) -> None:
    """Refuse a release before reading it (see module doc). ``release`` is baci._Release."""
    by_year: dict[str, list] = {}
    for m in release.trade:
        by_year.setdefault(re.match(r"^BACI_HS\d\d_Y(\d{4})_", m.name, re.I).group(1), []).append(m)
    dups = {y: ms for y, ms in by_year.items() if len(ms) > 1}
    if dups:
        y, ms = sorted(dups.items())[0]
        names = ", ".join(show(m.zip_name or m.display, 60) for m in ms[:3])
        more = f" and {len(ms) - 3} more" if len(ms) > 3 else ""
        other = f" (also duplicated: years {', '.join(sorted(dups)[1:6])})" if len(dups) > 1 else ""
        raise IngestError(release.path, None, f"{len(ms)} trade files for year {y}: {names}{more}{other}; "
                                              "a release has one file per year")
    check_years(release.path, [int(y) for y in by_year], release.hs, release.version)
    names = [m.zip_name for m in release.country + release.product if m.zip_name]
    if len(names) != len(set(names)):
        raise IngestError(release.path, None, "the zip holds the same code file more than once")
    for m, cap in [(m, MAX_TRADE_BYTES) for m in release.trade] + \
                  [(m, MAX_SIDE_BYTES) for m in release.country + release.product[:1]]:
        size, packed = _declared(release, m)
        if size > cap:
            raise IngestError(m.display, None, f"unpacks to {human_bytes(size)}, more than the "
                                               f"{human_bytes(cap)} a file of its kind may hold")
        if m.zip_name and size > RATIO_FROM and size > MAX_RATIO * max(packed, 1):
            raise IngestError(m.display, None, f"compression ratio {size / max(packed, 1):,.0f}:1 "
                                               f"({human_bytes(packed)} -> {human_bytes(size)}): a zip bomb, "
                                               f"not a CSV (limit {MAX_RATIO}:1)")


def read_member(release, m, cap: int = MAX_SIDE_BYTES) -> bytes:
    """A side file's bytes, streamed with a byte cap (refused as soon as it passes ``cap``)."""
    chunks, total = [], 0
    try:
        src = open(m.path, "rb") if m.path is not None else release.zip.open(m.zip_name)
        with src:
            while block := src.read(min(1 << 20, cap + 1 - total)):
                total += len(block)
                if total > cap:
                    raise IngestError(m.display, None, f"larger than the {human_bytes(cap)} limit for a "
                                                       "code file (stopped reading)")
                chunks.append(block)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as e:
        raise IngestError(m.display, None, f"cannot be extracted (truncated or corrupt zip): {e}") from None
    return b"".join(chunks)


def junk_problem(path: Path, check: Callable[[list[str], list[str]], str | None],
                 header: list[str]) -> str | None:
    """A reason to refuse when most of the first ``SAMPLE_LINES`` data lines fail ``check``
    (the first three failing lines quoted, each cut short); None for a plausible file."""
    import csv
    fails, n = [], 0
    with open(path, "rb") as f:
        f.readline(SAMPLE_LINE_BYTES)                    # header, checked by the caller
        for lineno in range(2, SAMPLE_LINES + 2):
            raw = f.readline(SAMPLE_LINE_BYTES)
            if not raw:
                break
            n += 1
            text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if len(raw) >= SAMPLE_LINE_BYTES and not raw.endswith(b"\n"):
                reason = f"line longer than {human_bytes(SAMPLE_LINE_BYTES)}"
                f.seek(0, os.SEEK_END)                    # one giant line: nothing more to sample
            else:
                try:
                    fields = next(csv.reader([text]), [])
                    reason = check(header, fields)
                except (csv.Error, ValueError) as e:
                    reason = str(e)
            if reason:
                fails.append(f"line {lineno}: {reason} ({show(text, 60)})")
    if n and len(fails) * 2 > n:
        return (f"{len(fails)} of the first {n} data lines do not parse; first: " + "; ".join(fails[:3]))
    return None


def has_data_lines(path: Path) -> bool:
    """True when a CSV holds anything after its header line (blank lines do not count)."""
    with open(path, "rb") as f:
        f.readline(SAMPLE_LINE_BYTES)
        while block := f.read(1 << 16):
            if block.strip():
                return True
    return False


def refuse_empty(display: str | Path, rows: int, detail: str = "") -> None:
    if rows == 0:
        raise IngestError(display, None, "no flows kept: the release holds no rows for the catalogue's HS codes"
                                         + (f" ({detail})" if detail else "") + "; the current dataset is unchanged")


# ------------------------------------------------------------------------------ staging folders
def hold(folder: Path) -> int:
    """An exclusive flock on a staging folder for as long as its ingest lives (fd returned)."""
    fd = os.open(folder, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def release_hold(fd: int | None) -> None:
    if fd is not None:
        try:
            os.close(fd)
        except OSError:
            pass


def clean_stale(home: Path) -> list[str]:
    """Remove ``.tmp-*`` folders whose ingest is gone (nobody holds their flock)."""
    removed = []
    for p in home.iterdir() if home.is_dir() else []:
        if not (p.name.startswith(".tmp-") and p.is_dir()):
            continue
        try:
            fd = os.open(p, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)                                  # a live ingest: leave it
            continue
        try:
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p.name)
        finally:
            os.close(fd)
    return removed
