"""The README says what the code does (after Datasette's documentation tests).

* Every ``python -m chokepoint ...`` line in the README parses with the real argument parser,
  and every ``--flag`` it shows is an option of that very subcommand (no abbreviations).
* The README's Python example runs.
* The README's stockpile CSV table lists exactly the columns the reader declares, required ones
  marked "yes", in the reader's order.
"""
from __future__ import annotations

import argparse
import re
import shlex

import pytest

from chokepoint import catalog, cli, stockpile_csv

README = (catalog.ROOT / "README.md").read_text(encoding="utf-8")


def _code_blocks(*langs: str) -> list[str]:
    """Fenced blocks of the README whose language is one of ``langs`` ("" = none given)."""
    blocks, lang, body = [], None, []
    for line in README.splitlines():
        if line.startswith("```"):
            if lang is None:
                lang, body = line[3:].strip(), []
            else:
                if lang in langs:
                    blocks.append("\n".join(body) + "\n")
                lang = None
        elif lang is not None:
            body.append(line)
    return blocks


def _cli_lines() -> list[str]:
    lines = [ln.strip() for block in _code_blocks("", "bash") for ln in block.splitlines()]
    return [ln.split("  #")[0].strip() for ln in lines if ln.startswith("python -m chokepoint ")]


def _concrete(synopsis: str) -> list[str]:
    """One argv for a usage line: first alternative of (A | B) and a|b, optional parts included."""
    s = synopsis.removeprefix("python -m chokepoint ")
    s = re.sub(r"\(([^()|]*?)\s*\|[^()]*\)", r"\1", s)
    s = s.replace("[", " ").replace("]", " ").replace("...", " ")
    return [t if t.startswith("-") or "|" not in t else t.split("|")[0] for t in shlex.split(s)]


def _subparsers(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for a in p._actions:  # argparse has no public accessor for subparsers
        if isinstance(a, argparse._SubParsersAction):
            return dict(a.choices)
    return {}


def _command_parser(argv: list[str]) -> argparse.ArgumentParser:
    p = cli.build_parser()
    for tok in argv:
        sub = _subparsers(p)
        if tok not in sub:
            break
        p = sub[tok]
    return p


def test_the_readme_shows_command_lines():
    assert len(_cli_lines()) >= 10


@pytest.mark.parametrize("line", _cli_lines())
def test_readme_command_line_parses(line):
    argv = _concrete(line)
    try:
        cli.build_parser().parse_args(argv)
    except SystemExit as e:  # argparse prints the reason on stderr
        pytest.fail(f"README line does not parse ({e.code}): {line}\n  argv: {argv}")
    options = {o for a in _command_parser(argv)._actions for o in a.option_strings}
    shown = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", line))
    assert shown <= options, f"{line}: {sorted(shown - options)} not options of this command"


def test_readme_python_example_runs(capsys):
    blocks = _code_blocks("python")
    assert blocks, "the README has no Python example"
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})   # noqa: S102 - our own README
    assert capsys.readouterr().out.strip()


def _csv_contract_rows() -> list[tuple[str, str]]:
    section = README.split("## Company stockpile CSV", 1)[1]
    rows = re.findall(r"^\| *([a-z_]+) *\| *(yes|no) *\|", section, flags=re.M)
    assert rows, "no column table in the README's stockpile CSV section"
    return rows


def test_readme_csv_table_matches_the_reader():
    rows = _csv_contract_rows()
    assert [c for c, _ in rows] == list(stockpile_csv.KNOWN_COLUMNS)
    assert [c for c, req in rows if req == "yes"] == list(stockpile_csv.REQUIRED_COLUMNS)


def test_the_template_uses_only_documented_columns():
    template = (catalog.ROOT / "data" / "templates" / "stockpile_template.csv").read_text(encoding="utf-8")
    header = [h.strip() for h in template.splitlines()[0].split(",")]
    assert set(header) <= set(stockpile_csv.KNOWN_COLUMNS)
    assert set(stockpile_csv.REQUIRED_COLUMNS) <= set(header)
