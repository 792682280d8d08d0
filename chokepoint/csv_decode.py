"""Stage 1 of the stockpile CSV reader: bytes -> text. Picks the encoding (BOM, UTF-16 without BOM,
UTF-8, cp1252; Excel workbooks and mixed encodings refused) and the delimiter (the one that splits
row 1 into the most known column names)."""
from __future__ import annotations

import codecs
import csv
import io
import re

from chokepoint.csv_issue import Issue, _Stop
from chokepoint.csv_rules import KNOWN_COLUMNS, MAX_BYTES, REQUIRED_COLUMNS, _norm_header


def _decode_stage(data: bytes) -> tuple[str, str, str]:
    """(text, encoding label, delimiter); stops on an oversized, empty or unreadable file."""
    if len(data) > MAX_BYTES:
        raise _Stop(Issue(None, None, f"the file is {len(data) / 1024 / 1024:.1f} MB; the limit is "
                                      f"{MAX_BYTES // 1024 // 1024} MB"))
    if not data.strip(b" \t\r\n"):
        raise _Stop(Issue(None, None, "the file is empty: it needs a header row "
                                      f"({', '.join(REQUIRED_COLUMNS)}) and at least one data row"))
    return _choose(_decode(data))



def _row_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


#: UTF-8 as European text has it: U+0080-U+017F (Latin-1, Latin Extended-A: "ü" = C3 BC) and
#: U+2000-U+20CF (dashes, quotes, "€" = E2 82 AC). The same bytes in cp1252 text would read as
#: "Ã¼"-style pairs, which real cp1252 files do not contain.
_UTF8_MULTI = re.compile(rb"[\xc2-\xc5][\x80-\xbf]|\xe2[\x80-\x82][\x80-\xbf]")


def _decode(data: bytes) -> list[tuple[str, str]]:
    """Candidate (text, encoding label) readings; raises _Stop with an Issue when unreadable."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _Stop(Issue(None, None, "this is an Excel workbook, not a CSV file: in Excel use "
                                      "File > Save As > 'CSV UTF-8' and upload that"))
    boms = ((codecs.BOM_UTF8, "utf-8", "UTF-8 with BOM"),
            (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"), (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"))
    for bom, codec, label in boms:
        if data.startswith(bom):
            body = data[len(bom):]
            try:
                return [(body.decode(codec), label)]
            except UnicodeDecodeError as e:
                row = _row_of_offset(body, e.start) if codec == "utf-8" else None
                raise _Stop(Issue(row, None, f"the file starts with a {label.split(' with')[0]} byte-order "
                                             f"mark but is not valid {codec.upper()} ({e.reason}); "
                                             "save it again as 'CSV UTF-8'")) from e
    if b"\x00" in data:
        cands = []
        head = data[:4000]
        for codec, label, zeros in (("utf-16-le", "UTF-16 LE (no BOM)", head[1::2]),
                                    ("utf-16-be", "UTF-16 BE (no BOM)", head[0::2])):
            if len(data) % 2 == 0 and zeros.count(0) >= 0.9 * len(zeros):
                try:
                    cands.append((data.decode(codec), label))
                except UnicodeDecodeError:
                    pass
        if cands:
            return cands
        raise _Stop(Issue(_row_of_offset(data, data.index(b"\x00")), None,
                          "the file contains NUL bytes: it is binary or in an unsupported encoding; "
                          "save it as CSV (UTF-8)"))
    try:
        return [(data.decode("utf-8"), "UTF-8")]
    except UnicodeDecodeError as e:
        bad_row = _row_of_offset(data, e.start)
        m = _UTF8_MULTI.search(data)
        if m is not None:
            raise _Stop(Issue(bad_row, None,
                              f"the file mixes encodings: row {_row_of_offset(data, m.start())} is UTF-8 but "
                              f"row {bad_row} is not; save the whole file again as 'CSV UTF-8'")) from e
    try:
        return [(data.decode("cp1252"), "cp1252 (Windows-1252)")]
    except UnicodeDecodeError as e:
        raise _Stop(Issue(_row_of_offset(data, e.start), None,
                          f"byte 0x{data[e.start]:02X} is neither UTF-8 nor Windows-1252; "
                          "save the file as 'CSV UTF-8'")) from e


def _first_record(text: str, delim: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(text, newline=""), delimiter=delim), [])
    except csv.Error:
        return []


def _choose(readings: list[tuple[str, str]]) -> tuple[str, str, str]:
    """(text, encoding, delimiter): the reading and delimiter whose header has most known names."""
    best: tuple[tuple[int, int], str, str, str] | None = None
    for text, enc in readings:
        for delim in (",", ";", "\t"):
            header = _first_record(text, delim)
            score = sum(_norm_header(h) in KNOWN_COLUMNS for h in header)
            line1 = text.split("\n", 1)[0]
            key = (score, line1.count(delim))
            if best is None or key > best[0]:
                best = (key, text, enc, delim)
    assert best is not None, "_decode returns at least one reading"
    _, text, enc, delim = best
    return text, enc, delim
