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


def cmd_exposure(args: argparse.Namespace) -> int:
    """China's direct and look-through share of one importer's imports of one material."""
    import json

    import pandas as pd

    from . import export, exposure

    try:
        exp = exposure.exposure(args.importer, args.material, year=args.year, basis=args.basis,
                                run=exposure.default_runner(args.data_dir))
    except exposure.ExposureDataError as e:
        raise UsageError(str(e)) from None
    doc = exposure.to_json(exp)
    if args.format == "json":
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return 0
    rows = pd.DataFrame(doc["suppliers"])
    rows.insert(1, "supplier_name", rows["supplier"].map(catalog.country_name))
    if args.format == "csv":
        rows = rows.assign(importer=doc["importer"], material=doc["material"], year=doc["year"], basis=doc["basis"])
        cols = ["importer", "material", "year", "basis"] + [c for c in rows.columns
                                                            if c not in ("importer", "material", "year", "basis")]
        export.safe_frame(rows[cols]).to_csv(sys.stdout, index=False, lineterminator="\n")
        return 0

    def p(x):
        return "n/a" if x is None else f"{x * 100:.1f}%"
    print(f"{doc['importer_name']} ({doc['importer']}) · {doc['material_label']} · {doc['year']} · by {doc['basis']}")
    print(f"China direct {p(doc['china_share_direct'])} · through third countries {p(doc['china_share_indirect'])}"
          f" · total {p(doc['china_share_total'])}")
    top = catalog.country_name(doc["top_supplier"]) if doc["top_supplier"] else "n/a"
    print(f"HHI {doc['hhi']:.3f} (ROW as one supplier; {doc['hhi_min']:.3f} without it) · top supplier {top}"
          f" {p(doc['top_share'])}")
    table = rows.assign(
        share=rows["share"].map(p), dependence_on_china=rows["dependence_on_china"].map(p),
        value_usd=rows["value_usd"].map(lambda v: "n/a" if v is None or v != v else f"{v:,.0f}"),
        quantity_t=rows["quantity_t"].map(lambda v: "n/a" if v is None or v != v else f"{v:,.1f}"))
    print(table.drop(columns=["dependence_basis"]).to_string(index=False))
    for note in doc["notes"]:
        print(f"note: {note}")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    """Ingest a BACI release or UN Comtrade downloads into a dataset folder; or list datasets."""
    from . import ingest

    if args.kind == "list":
        if args.paths:
            raise UsageError("ingest list takes no PATH")
        for info in ingest.list_datasets(args.data_dir):
            print(f"{info.name:28s} {info.kind:9s} {info.release:22s} {info.rows:>12,d} rows  {info.path}")
        return 0
    if not args.paths:
        raise UsageError(f"ingest {args.kind} needs a PATH")
    if args.kind == "baci" and len(args.paths) != 1:
        raise UsageError("ingest baci takes one PATH (a release zip or folder)")
    try:
        if args.kind == "baci":
            res = ingest.ingest_baci(args.paths[0], data_dir=args.data_dir)
        else:
            res = ingest.ingest_comtrade(args.paths, data_dir=args.data_dir)
    except ingest.IngestError as e:
        raise UsageError(str(e)) from None
    print(f"{res.name}: {res.rows:,} flows, years {', '.join(map(str, res.years)) or '-'} -> {res.path}")
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

    e = sub.add_parser("exposure", help="China's direct and look-through share of a country's imports")
    e.add_argument("--importer", required=True, help="importing country: ISO3, ISO2 or English name")
    e.add_argument("--material", required=True, help="catalogue id, name or synonym, or a 6-digit HS code")
    e.add_argument("--year", type=int, default=None, help="trade year (default: latest with data)")
    e.add_argument("--basis", choices=["value", "quantity"], default="value")
    e.add_argument("--format", choices=["table", "json", "csv"], default="table")
    e.add_argument("--data-dir", default=str(dataset.DATA), help="dataset folder (default: data/)")
    e.set_defaults(func=cmd_exposure)

    g = sub.add_parser("ingest", help="ingest a BACI release or UN Comtrade CSV downloads (or list datasets)")
    g.add_argument("kind", choices=["baci", "comtrade", "list"])
    g.add_argument("paths", nargs="*", metavar="PATH",
                   help="baci: a release zip or folder; comtrade: one or more CSV files")
    g.add_argument("--data-dir", default=None,
                   help="data home for ingested datasets (default: $CHOKEPOINT_DATA_HOME or the user data dir)")
    g.set_defaults(func=cmd_ingest)
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
