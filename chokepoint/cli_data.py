"""The data-management commands of `python -m chokepoint`: `data build|check`, `ingest`, and
`workspace status|export|import` (registered in :func:`chokepoint.cli.build_parser`)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import dataset


def _usage(msg: str) -> Exception:
    from .cli import UsageError  # (cli imports this module)
    return UsageError(msg)


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


def cmd_ingest(args: argparse.Namespace) -> int:
    """Ingest a BACI release, UN Comtrade downloads or monthly customs files into a dataset folder;
    or list datasets."""
    from . import ingest

    if args.kind == "list":
        if args.paths:
            raise _usage("ingest list takes no PATH")
        for info in ingest.list_datasets(args.data_dir):
            print(f"{info.name:28s} {info.kind:9s} {info.release:22s} {info.rows:>12,d} rows  {info.path}")
        return 0
    if not args.paths:
        raise _usage(f"ingest {args.kind} needs a PATH")
    if args.kind == "sync":
        from .ingest.sync import sync_dataset
        if len(args.paths) != 1:
            raise _usage("ingest sync takes one PATH (a dataset folder)")
        try:
            path = sync_dataset(args.paths[0], args.data_dir)
        except ingest.IngestError as e:
            raise _usage(str(e)) from None
        print(f"installed {path.name} -> {path}")
        return 0
    if args.kind == "baci" and len(args.paths) != 1:
        raise _usage("ingest baci takes one PATH (a release zip or folder)")
    from .ingest.progress import FileProgress
    bar = FileProgress()    # a progress bar on a terminal, one line per file otherwise
    try:
        if args.kind == "baci":
            res = ingest.ingest_baci(args.paths[0], data_dir=args.data_dir, progress=bar)
        elif args.kind == "monthly":
            res = ingest.ingest_monthly(args.paths, data_dir=args.data_dir)
        else:
            res = ingest.ingest_comtrade(args.paths, data_dir=args.data_dir)
    except ingest.IngestError as e:
        raise _usage(str(e)) from None
    finally:
        bar.close()
    what = "monthly rows" if args.kind == "monthly" else "flows"
    print(f"{res.name}: {res.rows:,} {what}, years {', '.join(map(str, res.years)) or '-'} -> {res.path}")
    if args.kind == "monthly":
        print(f"read it with: observed|backtest ... --data-dir {res.path}")
    return 0


def cmd_workspace(args: argparse.Namespace) -> int:
    """Status, export and import of a workspace: see chokepoint/workspace/transfer.py."""
    from . import workspace as ws
    from .workspace import transfer
    if args.action != "status" and not args.file:
        raise _usage(f"workspace {args.action} needs a FILE.jsonl")
    store = ws.open_workspace(args.workspace)
    try:
        if args.action == "status":
            infos = store.list(args.tenant)
            print(f"{store.backend} workspace {store.describe()}: schema version "
                  f"{max(v for v, _ in store.migrations())}, {len(infos)} snapshot(s) of tenant {args.tenant}")
        elif args.action == "export":
            rep = transfer.export_to_file(store, args.tenant, args.file)
            for sid, digest in rep.checksums.items():
                print(f"{sid}  sha256:{digest}")
            print(f"exported {rep.snapshots} snapshot(s) of tenant {rep.tenant} from {store.describe()} to {args.file}")
        else:
            rep = transfer.import_file(store, args.file, skip_existing=args.skip_existing)
            for sid, digest in rep.checksums.items():
                print(f"{sid}  sha256:{digest}")
            print(f"imported {rep.imported} snapshot(s) of tenant {rep.tenant} into {store.describe()}"
                  f"{f', skipped {rep.skipped} already there' if rep.skipped else ''}; checksums verified")
    except ws.WorkspaceError as e:
        raise _usage(str(e)) from None
    finally:
        store.close()
    return 0
