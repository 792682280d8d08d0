"""`python -m chokepoint ...`: the same core as the app, for scripts and briefings.

Exit status: 0 success; 2 bad input (one clear line on stderr, no traceback); 1 internal error.
Each command is a function `cmd_<name>(args) -> int` registered in `build_parser`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import catalog, dataset
from .cli_data import cmd_data, cmd_ingest, cmd_workspace  # the data-management commands


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit 2."""


def _findings_json(findings) -> list[dict]:
    """Findings (``views.spec.Finding``) as the JSON outputs carry them: the same objects the pages
    and the briefing packs show, so a number is written in one place."""
    from dataclasses import asdict
    return [asdict(f) for f in findings]


def _trade_producer(data_dir: str) -> str:
    """Who produced the trade flows of the dataset folder, as a country pack names it."""
    from . import ingest
    try:
        prov = ingest.load_provenance(data_dir)
    except FileNotFoundError:   # a folder without datasets.yml: the built-in producer
        prov = {}
    return prov.get("trade_flows", {}).get("producer", "CEPII BACI")


def _print_findings(findings) -> None:
    for f in findings:
        print(f"finding: {f.label}: {f.value}")


def cmd_exposure(args: argparse.Namespace) -> int:
    """China's direct and look-through share of one importer's imports of one material."""
    import json

    import pandas as pd

    from . import embedded, export, exposure
    from .views import exposure as view_exposure

    run = exposure.default_runner(args.data_dir)
    if embedded.applies(args.material, run):  # an element carried by magnets (Dy, Tb, Nd, Pr): ESTIMATE
        return _embedded_exposure(args, run)
    try:
        exp = exposure.exposure(args.importer, args.material, year=args.year, basis=args.basis,
                                run=exposure.default_runner(args.data_dir))
    except exposure.ExposureDataError as e:
        raise UsageError(str(e)) from None
    doc = exposure.to_json(exp)
    findings = view_exposure.findings(exp, short=view_exposure.material_short(exp.selection),
                                      producer=_trade_producer(args.data_dir))
    doc["findings"] = _findings_json(findings)
    if args.format == "json":
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return 0
    if args.format == "findings":
        print(json.dumps({"findings": doc["findings"]}, indent=2, ensure_ascii=False))
        return 0
    rows = pd.DataFrame(doc["suppliers"])
    rows.insert(1, "supplier_name", rows["supplier"].map(catalog.country_name))
    if args.format == "csv":
        head = ["importer", "material", "scope_note", "year", "basis"]
        rows = rows.assign(importer=doc["importer"], material=doc["material"], scope_note=doc["scope_note"] or "",
                           year=doc["year"], basis=doc["basis"])
        cols = head + [c for c in rows.columns if c not in head]
        export.safe_frame(rows[cols]).to_csv(sys.stdout, index=False, lineterminator="\n")
        return 0

    def p(x):
        return "n/a" if x is None else f"{x * 100:.1f}%"
    print(f"{doc['importer_name']} ({doc['importer']}) · {doc['material_label']} · {doc['year']} · by {doc['basis']}")
    print(f"China direct {p(doc['china_share_direct'])} · through third countries {p(doc['china_share_indirect'])}"
          f" · total {p(doc['china_share_total'])}"
          f" (range {p(doc['china_share_total_low'])}–{p(doc['china_share_total_high'])} as the evidence allows)")
    if doc["scope_note"]:
        print(f"scope: {doc['scope_note']}")
    print(f"import reliance {p(doc['import_reliance'])}" if doc["import_reliance"] is not None
          else f"import reliance: {doc['import_reliance_state']}")
    top = catalog.country_name(doc["top_supplier"]) if doc["top_supplier"] else "n/a"
    print(f"HHI {doc['hhi']:.3f} · top supplier {top}"
          f" {p(doc['top_share'])}")
    table = rows.assign(
        share=rows["share"].map(p), dependence_on_china=rows["dependence_on_china"].map(p),
        dependence_low=rows["dependence_low"].map(p), dependence_high=rows["dependence_high"].map(p),
        evidence_year=rows["evidence_year"].map(lambda v: "" if v is None or v != v else str(int(v))),
        value_usd=rows["value_usd"].map(lambda v: "n/a" if v is None or v != v else f"{v:,.0f}"),
        quantity_t=rows["quantity_t"].map(lambda v: "n/a" if v is None or v != v else f"{v:,.1f}"))
    print(table.drop(columns=["dependence_basis"]).to_string(index=False))
    _print_findings(findings)
    for note in doc["notes"]:
        print(f"note: {note}")
    return 0


def _embedded_exposure(args: argparse.Namespace, run) -> int:
    """exposure for an element through the magnet imports that carry it (embedded.exposure_json)."""
    import json

    import pandas as pd

    from . import embedded, export, exposure
    try:
        doc = embedded.exposure_json(args.importer, args.material, year=args.year, basis_=args.basis, run=run)
    except (embedded.EmbeddedError, exposure.ExposureDataError) as e:
        raise UsageError(str(e)) from None
    if args.format == "json":
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return 0
    rows = pd.DataFrame(doc["suppliers"]).drop(columns=["dependence_basis"])
    if args.format == "csv":
        rows = rows.assign(importer=doc["importer"], material=doc["material"], route=doc["route"],
                           content_low=doc["content"]["low"], content_high=doc["content"]["high"], year=doc["year"])
        export.safe_frame(rows).to_csv(sys.stdout, index=False, lineterminator="\n")
        return 0
    print(f"{doc['importer_name']} ({doc['importer']}) · {doc['material_label']} · {doc['year']}")
    print(f"embedded imports: {doc['embedded_import_t_low']:,.1f}–{doc['embedded_import_t_high']:,.1f} t "
          f"(ESTIMATE) in {doc['magnet_import_t']:,.0f} t of HS 850511 magnets")
    print(f"China direct {doc['china_share_direct'] * 100:.1f}% · total (look-through) "
          f"{doc['china_share_total'] * 100:.1f}% of the magnets that carry it (by {doc['basis']})")
    print(f"basis: {doc['basis_note']}")
    for s in doc["sources"]:
        print(f"source: {s}")
    print(rows.to_string(index=False))
    return 0


def _library(args: argparse.Namespace):
    from . import regimes
    try:
        return regimes.load_library()
    except regimes.RegimeError as e:
        raise UsageError(f"the regime library has problems: {'; '.join(e.problems)}") from None


def _as_of(text: str | None):
    import datetime as dt
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of must be a date YYYY-MM-DD, not {text!r}") from None


def _timeline(args: argparse.Namespace, lib):
    """The built-in control timeline plus the events of ``--events FILE`` (all valid, or none)."""
    from . import regime_status
    try:
        tl = regime_status.load_timeline(known=list(lib))
        if getattr(args, "events", None):
            tl = tl.merged(regime_status.load_events(Path(args.events), known=list(lib)))
    except regime_status.EventsError as e:
        raise _RegimeFileError(e.problems, e.where or "events", kind="events file") from None
    return tl


def cmd_regimes(args: argparse.Namespace) -> int:
    """The named regime library: id, name, status on the as-of date, horizon and rules."""
    import json

    from . import regime_status, scenarios

    lib = _library(args)
    as_of = _as_of(args.as_of)
    try:
        tl = _timeline(args, lib)
    except _RegimeFileError as e:
        return e.report()
    stat = regime_status.statuses(lib, as_of, tl)
    if args.format == "json":
        note = {"timeline_last_updated": tl.last_updated.isoformat() if tl.last_updated else None,
                "timeline_note": tl.caveat(as_of)}
        print(json.dumps([{**scenarios.regime_summary(r), **regime_status.summary(r, stat[r.id]), **note}
                          for r in lib.values()], indent=2, ensure_ascii=False))
        return 0
    print(tl.caveat(as_of))
    for r in lib.values():
        s = stat[r.id]
        since = f" (effective {s.effective_from})" if s.effective_from else ""
        until = f" until {s.suspended_until}" if s.suspended_until else ""
        print(f"{r.id}  —  {r.name}  (horizon {r.horizon_months} months, {len(r.rules)} rule(s))")
        print(f"  status on {as_of}: {s.status}{until}{since}")
        rules = scenarios.rules_table(r)
        if len(rules):
            print("  " + rules.drop(columns=["note"]).to_string(index=False).replace("\n", "\n  "))
    return 0


class _RegimeFileError(Exception):
    def __init__(self, problems: list[str], where: str, kind: str = "regime file"):
        self.problems, self.where, self.kind = problems, where, kind

    def report(self) -> int:
        """One line for one problem; a count line, then one line per problem."""
        if len(self.problems) == 1:
            print(f"error: {self.where}: {self.kind} problem: {self.problems[0]}", file=sys.stderr)
            return 2
        print(f"error: {self.where}: {len(self.problems)} problem(s) in the {self.kind}", file=sys.stderr)
        for p in self.problems:
            print(f"{self.where}: {p}", file=sys.stderr)
        return 2


def _regime_for(args: argparse.Namespace):
    import difflib

    from . import regimes, scenarios

    if args.regime_file:
        try:
            reg = regimes.load_regime(Path(args.regime_file))
        except regimes.RegimeError as e:
            raise _RegimeFileError(e.problems, args.regime_file) from None
    else:
        lib = _library(args)
        if args.regime not in lib:
            close = difflib.get_close_matches(args.regime, list(lib), 3, 0.4)
            hint = f" — did you mean {' or '.join(close)}?" if close else f" (known: {', '.join(lib)})"
            raise UsageError(f"unknown regime {args.regime!r}{hint}")
        reg = lib[args.regime]
    if args.target:
        target = catalog.country_iso3(args.target)
        if not any(r.targets.mode == "only" for r in reg.rules):
            raise UsageError(f"--target applies to regimes with a target list (ban-one-country); "
                             f"{reg.id!r} has none")
        reg = regimes.with_target(reg, target) if target != scenarios.DEFAULT_BAN_TARGET or not reg.has("retargetable") \
            else reg
    return reg


def cmd_cover(args: argparse.Namespace) -> int:
    """Months of cover of one country for one material under one regime."""
    import json

    from . import embedded, scenarios
    from .views import cover as view_cover

    if args.stock_months < 0:
        raise UsageError(f"--stock-months must be >= 0, not {args.stock_months}")
    as_of = _as_of(args.as_of)
    if args.stock_tonnes is not None and not args.stock_tonnes >= 0:
        raise UsageError(f"--stock-tonnes must be >= 0, not {args.stock_tonnes}")
    try:
        reg = _regime_for(args)
        tl = _timeline(args, _library(args))
    except _RegimeFileError as e:
        return e.report()
    run = scenarios.default_runner(args.data_dir)
    try:
        if embedded.applies(args.material, run):  # an element carried by magnets: ESTIMATE, low/high
            doc = embedded.cover_json(args.country, args.material, reg, industry_months=args.stock_months,
                                      stock_t=args.stock_tonnes, run=run)
        else:
            doc = scenarios.cover_json(args.country, args.material, reg, industry_months=args.stock_months,
                                       stock_t=args.stock_tonnes, run=run)
    except (scenarios.ScenarioError, embedded.EmbeddedError) as e:
        raise UsageError(str(e)) from None
    doc.update(_status_doc(reg, as_of, tl, doc["months_of_cover"]))
    finding = view_cover.months_finding(doc["country"], doc["material"], reg, doc["months_of_cover"], doc["state"],
                                        doc["horizon_months"])
    doc["findings"] = _findings_json([finding])
    if args.format in ("json", "findings"):
        out = doc if args.format == "json" else {"findings": doc["findings"]}
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    i = doc["inputs"]
    print(f"{doc['country_name']} ({doc['country']}) · {doc['material']} · {doc['regime_name']} [{doc['regime']}]")
    print(f"months of cover: {_cover_result(doc)}  (ESTIMATE)")
    print(f"status on {doc['as_of']}: {doc['regime_status']['status']}; simulation starts {doc['simulation_start']}"
          + (f", runs out {doc['runout_date']}" if doc["runout_date"] else ""))
    print(doc["timeline_note"])
    print(f"stock: {doc['stock_basis']}")
    if doc.get("route"):
        e = doc["embedded"]
        print(f"route: {doc['route']} — {doc['basis_note']}")
        print(f"{e['unit']}: use {e['use_t_per_month_low']:,.2f}–{e['use_t_per_month_high']:,.2f} t/month, stock "
              f"{e['stock_t_low']:,.1f}–{e['stock_t_high']:,.1f} t; {doc['months_basis']}")

    def n(x, spec):
        return "n/a" if x is None else format(x, spec)
    print(("magnets (HS 850511): " if doc.get("route") else "") + f"stock {n(i['stock_t'], ',.0f')} t · use {n(i['use_t_per_month'], ',.1f')} t/month ({i['use_basis']})")
    print(f"stock basis: {i['stock_basis']}")
    print(f"policy: {i['policy_basis']}")
    print("shares: " + ", ".join(f"{k} {v * 100:.1f}%" for k, v in i["shares"].items()) + f" ({i['share_basis']})")
    for s in i["sources"]:
        print(f"source: {s}")
    _print_findings([finding])
    return 0


def _status_doc(reg, as_of, tl, months) -> dict:
    """What ``cover`` adds to its JSON: the regime's status on the as-of date and the calendar.

    "From today" question: the simulation starts on the as-of date, or later when the regime
    only comes into force later (never before it exists)."""
    from . import regime_status, scenarios
    st = tl.status(reg.id, as_of)
    start = regime_status.sim_start(reg.id, as_of, tl)
    rd = scenarios.runout_date(start, months)
    return {"regime_name": regime_status.label_name(reg.name, st), "as_of": as_of.isoformat(),
            "regime_status": st.to_dict(), "simulation_start": start.isoformat(),
            "runout_date": rd.isoformat() if rd else None,
            "timeline_last_updated": tl.last_updated.isoformat() if tl.last_updated else None,
            "timeline_note": tl.caveat(as_of)}


def _cover_result(doc: dict) -> str:
    """"4.2 months (runs out in month 5)", "not exhausted within horizon (36 months)" or, for an
    element carried by magnets with a stock in tonnes, the low-high range."""
    def one(m, state):
        return f"{m:.1f} months" if m is not None else f"{state} ({doc['horizon_months']} months)"
    if doc.get("route") and doc["months_of_cover"] is None and doc.get("state_high") is not None:
        if doc["months_of_cover_high"] is None and doc["state_high"].startswith("not bounded"):
            return f"{one(doc['months_of_cover_low'], doc['state'])} or more ({doc['state_high']})"
        return f"{one(doc['months_of_cover_low'], doc['state'])} to {one(doc['months_of_cover_high'], doc['state_high'])}"
    m = doc["months_of_cover"]
    return (f"{m:.1f} months (runs out in month {doc['runout_month']})" if doc["exhausted_within_horizon"]
            else f"{doc['state']} ({doc['horizon_months']} months)")


def cmd_brief(args: argparse.Namespace) -> int:
    """A briefing pack (PPTX deck or PDF) for a country, or for a company stockpile snapshot."""
    import os
    import tempfile

    from . import briefing, export, exposure, ingest

    out = Path(args.out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in export.PACK_FORMATS:
        raise UsageError(f"--out must end in .pptx or .pdf, not {out.suffix or 'no extension'!r} ({out})")
    if not args.country and not args.company:
        raise UsageError("brief needs --country ISO3 (or --company FILE.csv)")
    if not out.parent.is_dir():
        raise UsageError(f"--out folder {str(out.parent)!r} does not exist")
    try:
        from .views import regime_dates
        dates = regime_dates.on(_as_of(args.as_of))
        regs = briefing.resolve_regimes(args.regimes, dates=dates)
        run = exposure.default_runner(args.data_dir)
        prov = ingest.load_provenance(args.data_dir)
        if args.company:
            res = _read_stockpile_csv(Path(args.company), args.sheet)
            if res is None:
                return 2
            pack = briefing.company_briefing(res.lines, regs, name=Path(args.company).stem, default_country=args.country,
                                             run=run, provenance=prov, dates=dates)
        else:
            pack = briefing.country_briefing(args.country, args.materials, regs, run=run, provenance=prov, dates=dates)
    except briefing.BriefingInputError as e:
        raise UsageError(str(e)) from None
    try:
        data = export.pack_bytes(pack, fmt)
    except export.ExportUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    fd, tmp = tempfile.mkstemp(prefix=".brief-", suffix=out.suffix, dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    print(f"wrote {out} ({fmt.upper()}, {len(pack.slides)} slides, {len(pack.charts)} charts) for {pack.subject}")
    return 0


def _read_stockpile_csv(path: Path, sheet: str | None = None):
    """The parsed company CSV or .xlsx workbook (``sheet``: which worksheet, default the first),
    or None after printing every error on stderr, one per line."""
    from .safe_input import InputError, read_capped
    from .stockpile_csv import MAX_BYTES
    from .stockpile_xlsx import parse_stockpile_file
    try:
        raw = read_capped(path, MAX_BYTES)   # the cap applies while reading: /dev/zero is refused
    except InputError as e:
        raise UsageError(f"{path}: {e}") from None
    try:
        res = parse_stockpile_file(raw, filename=path.name, sheet=sheet)
    except (MemoryError, RecursionError) as e:
        raise UsageError(f"{path}: too large or too complex to read ({type(e).__name__})") from None
    if res.ok:
        return res
    for issue in res.errors:
        print(f"{path.name}: {issue}", file=sys.stderr)
    return None


def cmd_company(args: argparse.Namespace) -> int:
    """Months of cover of a company's stockpile CSV, per site and material, under one regime."""
    import json

    import pandas as pd

    from . import company, export, exposure
    from .views import company as view_company

    path = Path(args.file)
    res = _read_stockpile_csv(path, args.sheet)
    if res is None:
        return 2
    try:
        reg = _regime_for(args)
    except _RegimeFileError as e:
        return e.report()
    default = catalog.country_iso3(args.country) if args.country else None
    # the company pack's analysis: its cover table and findings (earliest run-out, holdings that run
    # out, holdings mostly supplied by China), under the one regime asked for
    view = view_company.analysis(res.lines, [reg], name=path.stem, default_country=default,
                                 run=exposure.default_runner(args.data_dir), reg_notes=())
    table = view.results
    notes = [f"warning: {w}" for w in res.warnings] + [f"note: {n}" for n in
                                                      company.notes(res.lines, table, default)]
    if args.format == "json":   # the contract: one object per site, material and regime (a list)
        print(json.dumps(company.json_rows(table), indent=2, ensure_ascii=False))
    elif args.format == "findings":
        print(json.dumps({"findings": _findings_json(view.findings)}, indent=2, ensure_ascii=False))
    elif args.format == "csv":
        cols = ["site", "site_country", "destination", "destination_basis", "material_id", "material_name",
                "regime", "on_hand_t", "monthly_use_t", "controlled_share", "extraterritorial_share",
                "unknown_share", "months", "runout_month", "state", "dependence_missing"]
        out = table[cols].rename(columns={"months": "months_of_cover"})
        export.safe_frame(out).to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        print(f"{path.name} · {reg.name} [{reg.id}] · horizon {reg.horizon_months} months · "
              f"read as {res.dialect.describe()}")

        def months(m, s):
            return f"{m:.1f}" if s == "exhausted" else s
        shown = pd.DataFrame({
            "site": table["site"], "destination": table["destination"].fillna("unknown"),
            "material": table["material_id"], "on_hand_t": table["on_hand_t"].map(lambda v: f"{v:,.3g}"),
            "use_t_per_month": table["monthly_use_t"].map(lambda v: f"{v:,.3g}"),
            "controlled": table["controlled_share"].map(lambda v: f"{v * 100:.0f}%"),
            "months_of_cover": [months(m, s) for m, s in zip(table["months"], table["state"])]})
        print(shown.to_string(index=False))
        first, *rest = view.findings
        if first.unit == "months":   # the earliest run-out (else: "no holding runs out within ...")
            print(f"earliest run-out: {first.label.removeprefix('Earliest run-out: ')} after {first.value} (ESTIMATE)")
        else:
            print(f"nothing runs out within {reg.horizon_months} months")
        _print_findings(rest)
    for n in notes:
        print(n, file=sys.stderr if args.format != "table" else sys.stdout)
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
    e.add_argument("--format", choices=["table", "json", "csv", "findings"], default="table",
                   help="findings: only the key numbers as the pages and packs state them (JSON)")
    e.add_argument("--data-dir", default=str(dataset.DATA), help="dataset folder (default: data/)")
    e.set_defaults(func=cmd_exposure)

    g = sub.add_parser("ingest", help="ingest a BACI release, UN Comtrade CSV downloads or monthly customs "
                                      "files (or list datasets)")
    g.add_argument("kind", choices=["baci", "comtrade", "monthly", "list", "sync"])
    g.add_argument("paths", nargs="*", metavar="PATH",
                   help="baci: a release zip or folder; comtrade: one or more CSV files; monthly: HMRC OTS, "
                        "Comex Stat (IMP_/EXP_YYYY.csv) or UN Comtrade monthly CSVs, with HMRC's country lookup "
                        "or Comex Stat's PAIS.csv when the files use those codes; "
                        "sync: a dataset folder from another host's data home (copied whole, then swapped in)")
    g.add_argument("--data-dir", default=None,
                   help="data home for ingested datasets (default: $CHOKEPOINT_DATA_HOME or the user data dir)")
    g.set_defaults(func=cmd_ingest)

    r = sub.add_parser("regimes", help="the named control-regime library")
    r.add_argument("action", choices=["list"])
    r.add_argument("--format", choices=["table", "json"], default="table")
    r.add_argument("--as-of", default=None, metavar="YYYY-MM-DD", help="status on this date (default: today)")
    r.add_argument("--events", default=None, metavar="FILE",
                   help="extra control events (CSV or YAML: date, regime, action, measure, source, until?) "
                        "merged into the built-in timeline")
    r.set_defaults(func=cmd_regimes)

    c = sub.add_parser("cover", help="months of cover of one country for one material under one regime")
    c.add_argument("--country", required=True, help="country: ISO3, ISO2 or English name")
    c.add_argument("--material", required=True, help="material with country data (catalogue id, name or synonym)")
    rg = c.add_mutually_exclusive_group(required=True)
    rg.add_argument("--regime", help="regime id from the library (see `regimes list`)")
    rg.add_argument("--regime-file", help="a regime YAML file")
    c.add_argument("--target", default=None, help="target country for ban-one-country (default USA)")
    c.add_argument("--stock-months", type=float, default=3.0,
                   help="industry inventory in months of use (default 3: AmCham China survey, May 2025)")
    c.add_argument("--stock-tonnes", type=float, default=None, metavar="T",
                   help="the country's whole stock in tonnes (replaces the months assumption and any policy "
                        "target; for an element carried by magnets, tonnes of the element)")
    c.add_argument("--format", choices=["table", "json", "findings"], default="table",
                   help="findings: only the key numbers as the pages and packs state them (JSON)")
    c.add_argument("--data-dir", default=str(dataset.DATA), help="dataset folder (default: data/)")
    c.add_argument("--as-of", default=None, metavar="YYYY-MM-DD",
                   help="date of the question: the regime's status and the simulation start (default: today)")
    c.add_argument("--events", default=None, metavar="FILE",
                   help="extra control events (CSV or YAML) merged into the built-in timeline")
    c.set_defaults(func=cmd_cover)
    b = sub.add_parser("brief", help="a briefing pack (PPTX or PDF) for a country or a company snapshot")
    b.add_argument("--country", default=None,
                   help="country: ISO3, ISO2 or English name (with --company: the country of sites without one)")
    b.add_argument("--company", default=None, metavar="FILE.csv", help="a company stockpile CSV or .xlsx (see the template)")
    b.add_argument("--sheet", default=None, help="with an .xlsx --company: the worksheet to read (default: the first)")
    b.add_argument("--regimes", default=None, metavar="A,B",
                   help="regime ids, comma-separated (default: the regimes in force on --as-of)")
    b.add_argument("--as-of", default=None, metavar="YYYY-MM-DD",
                   help="date of the regimes' status (default: today): names and the default choice")
    b.add_argument("--materials", default=None, metavar="A,B",
                   help="materials with trade data, comma-separated; the first leads (default: all, magnets first)")
    b.add_argument("--out", required=True, metavar="FILE.pptx|FILE.pdf", help="where to write the pack")
    b.add_argument("--data-dir", default=str(dataset.DATA), help="dataset folder (default: data/)")
    b.set_defaults(func=cmd_brief)
    k = sub.add_parser("company", help="months of cover of a company stockpile CSV per site and material")
    k.add_argument("file", metavar="FILE.csv", help="a company stockpile CSV or .xlsx workbook "
                                                    "(see data/templates/stockpile_template.csv)")
    k.add_argument("--sheet", default=None, help="the worksheet of an .xlsx file to read (default: the first)")
    kg = k.add_mutually_exclusive_group(required=True)
    kg.add_argument("--regime", help="regime id from the library (see `regimes list`)")
    kg.add_argument("--regime-file", help="a regime YAML file")
    k.add_argument("--target", default=None, help="target country for ban-one-country (default USA)")
    k.add_argument("--country", default=None, metavar="ISO3",
                   help="country of sites without a site_country (their destination for targeted regimes)")
    k.add_argument("--format", choices=["table", "json", "csv", "findings"], default="table",
                   help="json: one object per site and material; findings: the key numbers as the company "
                        "pack states them (JSON)")
    k.add_argument("--data-dir", default=str(dataset.DATA), help="dataset folder (default: data/)")
    k.set_defaults(func=cmd_company)
    w = sub.add_parser("workspace", help="saved company snapshots: status, export and import (DuckDB <-> PostgreSQL)")
    w.add_argument("action", choices=["status", "export", "import"])
    w.add_argument("file", nargs="?", metavar="FILE.jsonl", help="export file to write (export) or read (import)")
    w.add_argument("--workspace", default=None, metavar="PATH_OR_URL",
                   help="a DuckDB file or postgresql:// URL (default: CHOKEPOINT_WORKSPACE_URL, else the embedded file)")
    w.add_argument("--tenant", default="local", help="whose snapshots (status, export; default: local)")
    w.add_argument("--skip-existing", action="store_true",
                   help="import: skip snapshots the target already has unchanged (default: refuse the import)")
    w.set_defaults(func=cmd_workspace)
    from .cli_observed import add_parsers as add_observed_parsers  # observed, backtest
    add_observed_parsers(sub)
    return p


def _quiet_broken_pipe() -> int:
    """stdout was closed by the reader (``... | head -3``): stop quietly, like other Unix tools.
    Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    import os
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 141  # what a shell reports for a command ended by SIGPIPE


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()
        return code
    except (UsageError, catalog.CatalogError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # noqa: BLE001 - the contract: internal errors exit 1 with one line
        print(f"internal error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
