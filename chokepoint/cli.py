"""`python -m chokepoint ...`: the same core as the app, for scripts and briefings.

Exit status: 0 success; 2 bad input (one clear line on stderr, no traceback); 1 internal error.
Each command is a function `cmd_<name>(args) -> int` registered in `build_parser`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import catalog, dataset


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit 2."""


def cmd_data(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir)
    if args.action == "build":
        counts = dataset.build(data_dir)
        for table, n in counts.items():
            print(f"{table:16s} {n:6d} rows")
        print(f"wrote {len(counts)} tables and datasets.yml to {data_dir}")
        return 0
    problems = dataset.check(data_dir)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"data check: {len(problems)} problem(s) in {data_dir}", file=sys.stderr)
        return 1
    print(f"data check: all contracts hold in {data_dir}")
    return 0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse prints usage too; keep it short)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m chokepoint", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    d = sub.add_parser("data", help="build or check the built-in dataset")
    d.add_argument("action", choices=["build", "check"])
    d.add_argument("--data-dir", default=str(dataset.DATA), help="dataset folder (default: data/)")
    d.set_defaults(func=cmd_data)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (UsageError, catalog.CatalogError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # noqa: BLE001 - the contract: internal errors exit 1 with one line
        print(f"internal error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
