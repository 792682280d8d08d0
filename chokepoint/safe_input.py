"""Bounded reading of files a user hands us: size caps applied while reading, strict text
decoding, a YAML loader without aliases, and short echoes of hostile values (issue 08).

Every function here raises ``InputError`` (a ``ValueError``) with one line that names the problem;
callers add the file name. Nothing here holds more than the cap in memory:

* ``read_capped(path, limit)`` reads at most ``limit + 1`` bytes (``/dev/zero``, a FIFO or a
  growing file is refused as soon as it passes the cap, never read whole);
* ``decode_text(data)`` is UTF-8 (BOM tolerated) or a clear refusal (UTF-16, binary, bad byte);
* ``load_yaml(text)`` refuses anchors, aliases, merge keys, duplicate keys (with their line),
  nesting deeper than ``MAX_DEPTH`` and huge numbers, before any Python object is built;
* ``show(value)`` is a repr of at most ``SHOW_CHARS`` characters, whatever the value.
"""
from __future__ import annotations

import reprlib
from pathlib import Path

import yaml

MAX_YAML_BYTES = 1 << 20      # 1 MiB: a regime file is a few KB
MAX_DEPTH = 20                # a regime nests 5 levels deep (rules > rule > targets > except > item)
MAX_SCALAR_CHARS = 10_000     # one value (a description) longer than this is not a regime
SHOW_CHARS = 80
_CHUNK = 1 << 16


class InputError(ValueError):
    """A user file that cannot be read safely; ``str(e)`` is one line."""


def human_bytes(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            v = n / size
            return f"{v:.0f} {unit}" if v == int(v) else f"{v:.1f} {unit}"
    return f"{n} bytes"


# ---------------------------------------------------------------------------------- echoes
class _Short(reprlib.Repr):
    def __init__(self, n: int):
        super().__init__()
        self.maxlevel, self.maxdict, self.maxlist, self.maxtuple, self.maxset = 2, 4, 4, 4, 4
        self.maxstring = self.maxother = self.maxlong = n

    def repr_int(self, x, level):  # repr() of a >4300-digit int raises; never build it
        if x.bit_length() > 200:
            return f"<a number of about {int(x.bit_length() * 0.30103) + 1} digits>"
        return super().repr_int(x, level)

    def repr_str(self, x, level):
        if len(x) > self.maxstring:
            return repr(x[:self.maxstring - 1]) + f"…(+{len(x) - self.maxstring + 1} chars)"
        return repr(x)


def show(value, n: int = SHOW_CHARS) -> str:
    """A repr of ``value`` of at most about ``n`` characters (nested structures are elided)."""
    try:
        text = _Short(n).repr(value)
    except Exception:  # noqa: BLE001 - an echo must never fail
        text = f"<{type(value).__name__}>"
    return text if len(text) <= n + 20 else text[:n] + "…"


# ---------------------------------------------------------------------------------- reading
def read_capped(path: str | Path, limit: int) -> bytes:
    """The bytes of ``path``, refused as soon as more than ``limit`` bytes have been read."""
    path = Path(path)
    if path.is_dir():
        raise InputError("is a folder, not a file")
    chunks, total = [], 0
    try:
        with open(path, "rb", buffering=0) as f:
            while True:
                block = f.read(min(_CHUNK, limit + 1 - total))
                if not block:
                    break
                total += len(block)
                if total > limit:
                    raise InputError(f"larger than the {human_bytes(limit)} limit (stopped reading after "
                                     f"{total:,} bytes)")
                chunks.append(block)
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}") from None
    return b"".join(chunks)


def decode_text(data: bytes) -> str:
    """UTF-8 text (a BOM is dropped) or ``InputError`` saying what the bytes are instead."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(data) >= 4 and data[1:4:2] == b"\0\0"
                                                        and data[0] and data[2]):
        raise InputError("is UTF-16 text: save it as UTF-8")
    nul = data.find(b"\0")
    if nul >= 0:
        kind = "an executable (ELF)" if data.startswith(b"\x7fELF") else "binary data"
        raise InputError(f"is {kind}, not text (NUL byte at offset {nul})")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"is not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start})") from None


# ---------------------------------------------------------------------------------- YAML
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _at(mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "somewhere"


class _Loader(_Base):
    """Safe loader that refuses merge keys and duplicate keys (aliases are refused before)."""

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise InputError(f"merge keys ('<<') are not allowed ({_at(key_node.start_mark)})")
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise InputError(f"a key must be a plain value, not a {type(key).__name__} "
                                 f"({_at(key_node.start_mark)})") from None
            if key in seen:
                raise InputError(f"duplicate key {show(key)} at {_at(key_node.start_mark)} "
                                 f"(first at line {seen[key] + 1})")
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node):
        digits = sum(c.isdigit() for c in str(node.value))
        if digits > 30:
            raise InputError(f"number with {digits} digits at {_at(node.start_mark)} is too large")
        return super().construct_yaml_int(node)


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)


def _scan(text: str, max_depth: int) -> None:
    """One pass over the YAML events (C parser, no objects built): refuse what could blow up."""
    depth = 0
    for ev in yaml.parse(text, Loader=_Base):
        if isinstance(ev, yaml.AliasEvent):
            raise InputError(f"YAML aliases (*{show(ev.anchor, 30)[1:-1]}) are not allowed "
                             f"({_at(ev.start_mark)})")
        anchor = getattr(ev, "anchor", None)
        if anchor is not None:
            raise InputError(f"YAML anchors (&{show(anchor, 30)[1:-1]}) are not allowed ({_at(ev.start_mark)})")
        if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > max_depth:
                raise InputError(f"nested more than {max_depth} levels deep ({_at(ev.start_mark)})")
        elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(ev, yaml.ScalarEvent) and len(ev.value) > MAX_SCALAR_CHARS:
            raise InputError(f"a value of {len(ev.value):,} characters at {_at(ev.start_mark)} is too long "
                             f"(limit {MAX_SCALAR_CHARS:,})")


def load_yaml(text: str, *, max_bytes: int = MAX_YAML_BYTES, max_depth: int = MAX_DEPTH):
    """Parse YAML text of at most ``max_bytes`` with the checks of the module doc.

    ``InputError`` for anything refused; ``yaml.YAMLError`` for malformed YAML (callers already
    report those with their line)."""
    if len(text) > max_bytes:
        raise InputError(f"larger than the {human_bytes(max_bytes)} limit ({len(text):,} characters)")
    try:
        _scan(text, max_depth)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except RecursionError:
        raise InputError(f"nested too deeply (more than {max_depth} levels)") from None
    except MemoryError:
        raise InputError("too large to parse") from None
    except (ValueError, OverflowError) as e:
        if isinstance(e, InputError):
            raise
        raise InputError(f"a value cannot be read: {show(str(e), 120)[1:-1]}") from None


# ---------------------------------------------------------------------------------- CSV
def csv_header_problem(data: bytes, max_columns: int, max_line: int = 1 << 20) -> str | None:
    """A reason to refuse a CSV before parsing it: a first line longer than ``max_line`` bytes or
    with more than ``max_columns`` fields (counted by the commonest delimiter; UTF-16 included)."""
    head = data[:max_line + 1]
    end = head.find(b"\n")
    first = head if end < 0 else head[:end]
    fields = 1 + max(first.count(d) for d in (b",", b";", b"\t"))
    if fields > max_columns:
        more = "more than " if end < 0 else ""
        return f"the header has {more}{fields:,} columns (limit {max_columns:,}): this is not a stockpile CSV"
    if end < 0 and len(data) > max_line:
        return f"the first line is longer than {human_bytes(max_line)}: this is not a stockpile CSV"
    return None
