"""Hostile files for tests/test_hostile_bounds.py (issue 08): small on disk, huge if expanded.

Every builder writes into a folder it is given and returns the path. Nothing here expands a bomb:
the YAML bombs are text, the zip bombs are written from a few MB of zeros compressed once.
Also ``run_cli``: the CLI in a subprocess under a 1 GiB address-space cap, with its peak RSS.
"""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BACI = ROOT / "tests" / "fixtures" / "baci_hs92_v202601"
AS_LIMIT = 1 << 30          # RLIMIT_AS of every CLI run: 1 GiB


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float
    peak_rss_mb: float


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))


def run_cli(*argv: str, stdin=None, env: dict | None = None, timeout: float = 120, capped: bool = True) -> Run:
    """``python -m chokepoint ARGV`` under RLIMIT_AS = 1 GiB (``capped``); peak RSS from wait4's rusage."""
    out_f = open(_tmpfile("out"), "w+")
    err_f = open(_tmpfile("err"), "w+")
    t0 = time.monotonic()
    p = subprocess.Popen([sys.executable, "-m", "chokepoint", *argv], cwd=ROOT, stdin=stdin, stdout=out_f,
                         stderr=err_f, preexec_fn=_limit if capped else None, env=dict(os.environ, PYTHONPATH=str(ROOT), **(env or {})))
    deadline = t0 + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            p.kill()
            pid, status, ru = os.wait4(p.pid, 0)
            break
        time.sleep(0.02)
    p.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - t0
    out_f.seek(0)
    err_f.seek(0)
    run = Run(p.returncode, out_f.read(), err_f.read(), seconds, ru.ru_maxrss / 1024)
    for f in (out_f, err_f):
        f.close()
        os.unlink(f.name)
    return run


_N = [0]


def _tmpfile(kind: str) -> str:
    import tempfile
    _N[0] += 1
    return os.path.join(tempfile.gettempdir(), f"chokepoint-cli-{os.getpid()}-{_N[0]}.{kind}")


# ------------------------------------------------------------------------------ regime files
RULE = "  - controller: CHN\n    materials: [dysprosium]\n    approval_rate: 0.5\n"


def _laughs(levels: int = 9) -> str:
    """Anchors a0..a8, each a list of 9 aliases of the one before: *a8 is 9**9 = 387M strings."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines)


def regime_bomb(field: str) -> str:
    """A ~1 KB regime whose ``field`` is an alias of the billion-laughs tower (the tower itself sits
    under unknown keys, as in the attack of issue 08)."""
    top = {"id": "bomb", "name": "bomb"}
    rule = {"controller": "CHN", "materials": "[dysprosium]", "approval_rate": "0.5"}
    (top if field in ("id", "name", "horizon_months", "description") else rule)[field] = "*a8"
    return (_laughs() + "\n" + "".join(f"{k}: {v}\n" for k, v in top.items()) + "rules:\n  - "
            + "\n    ".join(f"{k}: {v}" for k, v in rule.items()) + "\n")


def regime_corpus(folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, a phrase the refusal must contain)."""
    folder.mkdir(parents=True, exist_ok=True)
    cases: dict[str, tuple[bytes, str]] = {}
    for f in ("id", "name", "horizon_months", "approval_rate", "targets", "controller", "materials"):
        cases[f"alias-bomb-{f}"] = (regime_bomb(f).encode(), "anchors")
    cases["alias-only"] = (b"id: *x\nname: x\n", "alias")          # an alias without anchor
    cases["merge-key"] = (b"id: x\nname: x\nrules:\n  - <<: {controller: CHN}\n    materials: [dysprosium]\n"
                          b"    approval_rate: 0.5\n", "merge keys")
    cases["deep-flow"] = (b"id: x\nname: x\nrules: " + b"[" * 200_000 + b"]" * 200_000 + b"\n", "nested more than")
    cases["deep-block"] = (b"id: x\nname: x\nrules:\n" + b"".join(b"  " * i + b"- \n" for i in range(1, 60))
                           + b"  " * 60 + b"- x\n", "nested more than")
    cases["binary"] = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(4096), "binary")
    elf = Path(shutil.which("ls") or "/bin/ls")
    cases["elf"] = (elf.read_bytes()[:200_000], "ELF")
    cases["utf-16"] = ("id: x\nname: ü\nrules: []\n".encode("utf-16"), "UTF-16")
    cases["latin-1"] = ("id: x\nname: Müller\nrules: []\n".encode("latin-1"), "not UTF-8")
    cases["huge-int"] = (b"id: x\nname: x\nhorizon_months: " + b"9" * 5000 + b"\n", "digits")
    cases["huge-float"] = (b"id: x\nname: x\nrules:\n" + RULE.replace("0.5", "1" + "0" * 5000 + ".0").encode(),
                           "outside 0")
    cases["long-value"] = (b"id: x\nname: x\ndescription: " + b"x" * 200_000 + b"\n", "too long")
    cases["confusable-id"] = ("id: аpr-2025-licensing\nname: x\nrules: []\n".encode(), "id:")   # Cyrillic а
    cases["newline-id"] = (b'id: "abc\\n"\nname: x\nrules: []\n', "id:")
    cases["duplicate-key"] = (b"id: abc\nname: x\nrules: []\nid: other\n", "duplicate key 'id' at line 4")
    cases["oversized"] = (b"id: x\nname: x\ndescription: |\n" + b"  " + b"y" * 80 + b"\n" * 1 + (b"  z\n" * 400_000),
                          "1 MB limit")
    cases["many-unknown-keys"] = (b"id: x\nname: x\n" + b"".join(b"k%d: 1\n" % i for i in range(50_000)),
                                  "more problem")
    out = {}
    for name, (data, phrase) in cases.items():
        p = folder / f"{name}.yml"
        p.write_bytes(data)
        out[name] = (p, phrase)
    return out


# ------------------------------------------------------------------------------ company files
GOOD_CSV = b"site,material,on_hand,monthly_use,supplier_country,supplier_share\nA,Dysprosium oxide,300,100,CN,1\n"


def wide_csv(folder: Path, columns: int = 1_000_000) -> Path:
    p = folder / "wide.csv"
    with open(p, "wb") as f:
        f.write(b",".join(b"c%d" % i for i in range(columns)) + b"\n")
        f.write(b"1," * (columns - 1) + b"1\n")
    return p


def nul_csv(folder: Path) -> Path:
    p = folder / "nul.csv"
    p.write_bytes(GOOD_CSV.replace(b"300", b"3\x0000"))
    return p


# ------------------------------------------------------------------------------ releases
def _zip(path: Path, members: list[tuple[str, bytes | Path]], *, level: int = 1) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for name, data in members:
            if isinstance(data, Path):
                z.write(data, name)
            else:
                z.writestr(name, data)
    return path


def _fixture_members() -> list[tuple[str, Path]]:
    return [(p.name, p) for p in sorted(BACI.iterdir()) if p.suffix == ".csv"]


def zip_bomb(folder: Path, member: str, mb: int = 64) -> Path:
    """The fixture release with one member replaced by ``mb`` MB that deflate ~1000:1 (a few
    zeros-filled MB; the real attack used 1 GB, refused the same way before any byte is read)."""
    filler = b"\0" * (mb << 20)
    if member == "trade":
        target = "BACI_HS92_Y2023_V202601.csv"
        filler = b"t,i,j,k,v,q\n" + b"2023,156,842,850511,1.0,1.0\n" * ((mb << 20) // 28)
    else:
        target = {"country": "country_codes_V202601.csv", "product": "product_codes_HS92_V202601.csv"}[member]
    members = [(n, filler if n == target else p) for n, p in _fixture_members()]
    return _zip(folder / f"bomb-{member}.zip", members, level=9)


def header_only(folder: Path) -> Path:
    members = [(n, b"t,i,j,k,v,q\n" if n.startswith("BACI_") else p) for n, p in _fixture_members()]
    return _zip(folder / "header-only.zip", members)


def duplicate_years(folder: Path, copies: int = 10_000) -> Path:
    fixture = _fixture_members()
    members: list[tuple[str, bytes | Path]] = list(fixture)
    fake = b"t,i,j,k,v,q\n2023,156,842,850511,1.0,1.0\n"
    members += [(f"dup{i}/BACI_HS92_Y2023_V202601.csv", fake) for i in range(copies)]
    return _zip(folder / "duplicate-years.zip", members)


def years_out_of_range(folder: Path, year: int) -> Path:
    members = [(n.replace("Y2023", f"Y{year}"), p) for n, p in _fixture_members() if "Y2022" not in n]
    return _zip(folder / f"year-{year}.zip", members)


def junk_release(folder: Path) -> Path:
    junk = b"t,i,j,k,v,q\n" + b"".join(os.urandom(60).hex().encode() + b"\r" for _ in range(20_000)) + b"\n"
    members = [(n, junk if "Y2023" in n else p) for n, p in _fixture_members() if "Y2022" not in n]
    return _zip(folder / "junk.zip", members)


def tree_digest(folder: Path) -> dict[str, str]:
    """relative path -> sha256 of every file under ``folder`` (the dataset must not change)."""
    import hashlib
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out
