"""`python -m chokepoint observed|backtest`: monthly customs data after the controls, and each regime
checked against it (the core is ``chokepoint.observed``; definitions are in its docstring)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from . import catalog, dataset, observed
from .constants import CONTROLLER, MAGNETS

OBSERVED_COLUMNS = ["period", "quantity_t", "value_usd", "baseline_t", "ratio_to_baseline"]


def _usage(msg: str) -> Exception:
    from .cli import UsageError
    return UsageError(msg)


def _partner(text: str | None) -> str | None:
    if text is None or text.lower() in ("all", "world", "wld"):
        return None
    if text.lower() in ("others", "other"):
        return observed.OTHERS
    return catalog.country_iso3(text)


def _num(x: float, digits: int) -> float | None:
    """A rounded number for JSON; None for an empty value (NaN is not JSON)."""
    return None if pd.isna(x) else round(float(x), digits)


def _value_basis(reporter: str, data_dir: str | Path) -> str:
    """What value_usd is for a reporter: the built-in extract's note, or what an ingest of monthly
    files recorded in its dataset.yml (HMRC: not in USD, pounds sterling are never converted)."""
    folder = Path(data_dir).expanduser().resolve()
    meta_file = folder / "dataset.yml"
    if (folder / "observed_monthly.parquet").is_file() and folder != dataset.DATA.resolve() and meta_file.is_file():
        import yaml
        meta = yaml.safe_load(meta_file.read_text(encoding="utf-8")) or {}
        return str((meta.get("value_basis") or {}).get(reporter, "as recorded in the dataset's source column"))
    return observed.VALUE_BASIS.get(reporter, "USD as published")


def cmd_observed(args: argparse.Namespace) -> int:
    """One row per month of a reporter's imports of a material: tonnes, USD, baseline and ratio."""
    from . import regimes, scenarios
    run = scenarios.default_runner(args.data_dir)
    reg = None
    try:
        rep = observed.resolve_reporter(args.reporter, run)
        mat = observed.resolve_material(args.material, rep, run)
        partner = _partner(args.partner)
        s, base = observed.series(rep, mat, partner, run=run)
        if args.save_regime:
            reg = observed.calibrated_regime(rep, mat, run=run, taken=list(regimes.load_library()))
    except observed.ObservedError as e:
        raise _usage(str(e)) from None
    rows = s[OBSERVED_COLUMNS + ["confidential"]]
    if reg is not None:
        out = Path(args.save_regime)
        if not out.parent.is_dir():
            raise _usage(f"--save-regime folder {str(out.parent)!r} does not exist")
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(regimes.regime_to_yaml(reg), encoding="utf-8")
        tmp.replace(out)
        print(f"wrote {reg.id} ({reg.name}) to {out}; use it with `cover --regime-file {out}`", file=sys.stderr)
    doc = {
        "reporter": rep, "reporter_name": catalog.country_name(rep), "material": mat, "flow": "import",
        "partner": partner or "all", "unit": {"quantity_t": "t per month", "value_usd": "USD per month"},
        "value_basis": _value_basis(rep, args.data_dir),
        "baseline": {"first": base.first, "last": base.last, "months": base.months, "mean_t": base.mean_t,
                     "mean_usd": _num(base.mean_usd, 2), "label": base.label},
        "source": str(run("observed_monthly_series", reporter=rep, material=mat)["source"].iloc[0]),
        "rows": [{"period": r.period, "quantity_t": round(float(r.quantity_t), 3), "value_usd": _num(r.value_usd, 2),
                  "baseline_t": round(float(r.baseline_t), 3),
                  "ratio_to_baseline": None if r.ratio_to_baseline != r.ratio_to_baseline else round(float(r.ratio_to_baseline), 4),
                  "confidential": None if pd.isna(r.confidential) else bool(r.confidential)}
                 for r in rows.itertuples()],
    }
    if args.format == "json":
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return 0
    if args.format == "csv":
        from . import export
        export.safe_frame(rows.assign(reporter=rep, material=mat, partner=partner or "all")).to_csv(
            sys.stdout, index=False, lineterminator="\n")
        return 0
    who = "all partners" if partner is None else ("everyone but China" if partner == observed.OTHERS
                                                  else catalog.country_name(partner))
    print(f"{doc['reporter_name']} ({rep}) imports of {mat} from {who}, by month")
    print(f"baseline: {base.label} = {base.mean_t:,.1f} t/month; value: {doc['value_basis']}")
    table = rows.assign(quantity_t=rows["quantity_t"].map("{:,.1f}".format),
                        value_usd=rows["value_usd"].map(lambda v: "n/a" if pd.isna(v) else f"{v:,.0f}"),
                        baseline_t=rows["baseline_t"].map("{:,.1f}".format),
                        ratio_to_baseline=rows["ratio_to_baseline"].map("{:.2f}".format),
                        confidential=rows["confidential"].map(lambda c: "n/a" if pd.isna(c) else str(bool(c)).lower()))
    print(table.to_string(index=False))
    print(f"source: {doc['source']}")
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    """A regime's modelled flow from China against every observed series (or every regime: --regime all)."""
    from . import regimes, scenarios
    run = scenarios.default_runner(args.data_dir)
    try:
        library = regimes.load_library()
    except regimes.RegimeError as e:
        raise _usage(f"the regime library has problems: {'; '.join(e.problems)}") from None
    try:
        mat = catalog.resolve_material(args.material)
        have = observed.observed_reporters(mat, run)
        if not have:
            raise observed.ObservedError(f"no monthly data for material {args.material!r} "
                                         f"(materials with monthly data: {', '.join(sorted(set(observed.coverage(run)['material_id'])))})")
        reps = [observed.resolve_reporter(r.strip(), run) for r in args.reporter.split(",")] if args.reporter else have
        if args.regime == "all":
            table = observed.error_table(library, reps, mat, run=run)
            if args.format == "json":
                print(json.dumps(table.to_dict(orient="records"), indent=2, ensure_ascii=False))
            else:
                wide = table.pivot(index="regime", columns="reporter", values="error").reindex(list(library))
                print(f"Error of each regime against observed imports of {mat} from {CONTROLLER} "
                      f"(MAE of the ratio to baseline, first {observed.ERROR_MONTHS} months from "
                      f"{observed.month_key(observed.CONTROL_START)})")
                print(wide.map("{:.2f}".format).to_string())
            return 0
        reg = observed.resolve_regime(args.regime, library)
        doc = observed.backtest_json(reg, reps, mat, run=run)
    except observed.ObservedError as e:
        raise _usage(str(e)) from None
    if args.format == "json":
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return 0
    print(f"{reg.name} [{reg.id}] against observed imports of {mat} from China")
    print(f"error: {doc['error_measure']}")
    for r in doc["reporters"]:
        print(f"\n{r['reporter_name']} ({r['reporter']}): error {r['error']:.2f} over {r['error_months']} months "
              f"(all {r['months_observed']} months: {r['mae_all']:.2f}); baseline {r['baseline']['label']} "
              f"{r['baseline']['mean_t']:,.1f} t/month")
        m = pd.DataFrame(r["months"])
        print(m.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register `observed` and `backtest` on the CLI's sub-parsers."""
    o = sub.add_parser("observed", help="monthly imports by partner after the controls (HMRC, Comex Stat)")
    o.add_argument("--reporter", required=True, help="reporting country with monthly data (GBR, BRA)")
    o.add_argument("--material", default=MAGNETS, help="material with monthly data (default permanent_magnets)")
    o.add_argument("--partner", default=None,
                   help="partner country (ISO3/name), 'others' (all but China) or 'all' (default: all partners)")
    o.add_argument("--format", choices=["table", "json", "csv"], default="table")
    o.add_argument("--save-regime", default=None, metavar="FILE.yml",
                   help="also write the calibrated regime 'what REPORTER actually saw' (for cover/company --regime-file)")
    o.add_argument("--data-dir", default=str(dataset.DATA), help="dataset folder (default: data/)")
    o.set_defaults(func=cmd_observed)
    b = sub.add_parser("backtest", help="a regime's modelled flow from China against observed monthly imports")
    b.add_argument("--regime", required=True, help="regime id from the library, or 'all' for the error table")
    b.add_argument("--material", default=MAGNETS, help="material with monthly data (default permanent_magnets)")
    b.add_argument("--reporter", default=None, metavar="A,B", help="reporters (default: every one with data)")
    b.add_argument("--format", choices=["table", "json"], default="table")
    b.add_argument("--data-dir", default=str(dataset.DATA), help="dataset folder (default: data/)")
    b.set_defaults(func=cmd_backtest)
