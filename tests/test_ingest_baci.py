"""BACI ingest: fixture release (folder and zip), malformed inputs, atomic replace, the real extract."""
from __future__ import annotations

import csv
import hashlib
import shutil
import zipfile
from pathlib import Path

import duckdb
import pycountry
import pytest
import yaml

from chokepoint import cli, db, ingest
from chokepoint.ingest import baci, storage

FIXTURE = Path(__file__).parent / "fixtures" / "baci_hs92_v202601"
NAME = "baci-hs92-v202601"
Y2023 = "BACI_HS92_Y2023_V202601.csv"


# ------------------------------------------------------------------------ helpers
@pytest.fixture
def release_dir(tmp_path) -> Path:
    d = tmp_path / "release"
    shutil.copytree(FIXTURE, d)
    return d


def make_zip(folder: Path, out: Path, skip: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for p in sorted(folder.iterdir()):
            if p.name not in skip:
                z.write(p, p.name)
    return out


@pytest.fixture
def release_zip(release_dir, tmp_path) -> Path:
    return make_zip(release_dir, tmp_path / "BACI_HS92_V202601.zip")


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


def flows(folder: Path):
    return duckdb.sql(f"SELECT * FROM read_parquet('{folder}/trade_flows/**/*.parquet') "
                      "ORDER BY year, hs6, importer, exporter").df()


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(home: Path) -> list[str]:
    return [p.name for p in home.iterdir() if p.name.startswith(".")]


def quiet(_msg: str) -> None:
    pass


# ------------------------------------------------------------------------ happy path
def test_zip_release_is_ingested_with_hand_checked_numbers(release_zip, home):
    res = ingest.ingest_baci(release_zip, data_dir=home, progress=quiet)
    assert res.name == NAME and res.path == home / NAME and res.years == [2022, 2023]
    df = flows(res.path)
    assert len(df) == res.rows == 11  # 2 (2022) + 9 catalogue rows of 11 (2023)
    assert set(df.columns) >= {"year", "exporter", "importer", "hs6", "material_id", "value_usd",
                               "quantity_t", "source"}
    assert not set(df["hs6"]) & {"010121", "720851"}       # non-catalogue lines dropped in the scan
    ind = df[(df.year == 2023) & (df.importer == "IND")].set_index("exporter")
    assert ind.loc["CHN", "value_usd"] == 800_000           # v is thousand USD
    assert ind.loc["CHN", "quantity_t"] == 40
    assert ind.loc["DEU", "quantity_t"] != ind.loc["DEU", "quantity_t"]  # NA -> null, not 0
    usa = df[(df.year == 2023) & (df.importer == "USA")].set_index("exporter")
    assert usa.loc["CHN", "value_usd"] == 1_200_000 and usa.loc["CHN", "quantity_t"] == 60.25  # padded
    assert usa.loc["TWN", "value_usd"] == 300_000          # BACI 490 'S19' Other Asia nes -> TWN
    assert set(df["exporter"]) >= {"SCG", "999"}           # unknown codes kept, never dropped
    assert df.loc[df.hs6 == "850511", "material_id"].unique().tolist() == ["permanent_magnets"]
    assert (df["source"] == "CEPII BACI HS92 V202601").all()

    meta = yaml.safe_load((res.path / "dataset.yml").read_text())
    assert meta["release"] == "V202601" and meta["hs_vintage"] == "HS92" and meta["rows_kept"] == 11
    assert meta["archive_sha256"] == hashlib.sha256(release_zip.read_bytes()).hexdigest()
    by_name = {f["name"]: f for f in meta["files"]}
    raw = (FIXTURE / Y2023).read_bytes()
    assert by_name[Y2023]["sha256"] == hashlib.sha256(raw).hexdigest()
    assert by_name[Y2023]["rows"] == 11 and by_name[Y2023]["rows_kept"] == 9
    assert set(meta["unmapped_codes"]) == {"SCG", "999"}
    assert "490" in meta["countries_mapped_non_iso"]
    assert not leftovers(home)


def test_derived_series_and_top_traders_have_the_builtin_schemas(release_dir, home):
    res = ingest.ingest_baci(release_dir, data_dir=home, progress=quiet)
    for table in ("trade_series", "top_traders"):
        built = duckdb.sql(f"DESCRIBE SELECT * FROM '{db.DATA}/{table}.parquet'").fetchall()
        mine = duckdb.sql(f"DESCRIBE SELECT * FROM '{res.path}/{table}.parquet'").fetchall()
        assert [c[:2] for c in mine] == [c[:2] for c in built]
    s = duckdb.sql(f"SELECT * FROM '{res.path}/trade_series.parquet' WHERE hs6 = '850511' AND year = 2023").df()
    assert s.world_value_usd[0] == 2_500_000 and s.world_quantity_t[0] == 105.25 and s.n_flows[0] == 5
    assert s.china_export_share[0] == pytest.approx(0.8)
    assert s.export_hhi[0] == pytest.approx(0.8 ** 2 + 0.12 ** 2 + 0.06 ** 2 + 0.02 ** 2)
    top = duckdb.sql(f"SELECT rank, country, value_usd, share FROM '{res.path}/top_traders.parquet' "
                     "WHERE hs6 = '850511' AND year = 2023 AND role = 'exporter' ORDER BY rank").df()
    assert top["country"].tolist() == ["CHN", "TWN", "JPN", "DEU"]
    assert top["share"].tolist() == pytest.approx([0.8, 0.12, 0.06, 0.02])


def test_every_builtin_query_runs_on_the_ingested_dataset(release_dir, home):
    from tests.test_queries import SAMPLES
    res = ingest.ingest_baci(release_dir, data_dir=home, progress=quiet)
    for name in db.query_names():
        _, params = db.load_query(name)
        args = {p: SAMPLES[p] for p in params}
        if "year" in args:
            args["year"] = 2023
        db.run_query(name, data_dir=res.path, **args)
    shares = db.run_query("exposure_supplier_shares", data_dir=res.path, importer="IND",
                          hs6_list=["850511"], year=2023, basis="value")
    assert shares.set_index("supplier")["share"].to_dict() == pytest.approx({"CHN": 0.8, "JPN": 0.15, "DEU": 0.05})
    q = db.run_query("exposure_supplier_shares", data_dir=res.path, importer="IND",
                     hs6_list=["850511"], year=2023, basis="quantity")
    assert q.set_index("supplier")["share"]["CHN"] == pytest.approx(40 / 45)
    # tables the dataset does not hold come from the built-in data
    assert not db.run_query("control_timeline", data_dir=res.path, controller="CHN").empty


def test_folder_and_zip_give_the_same_flows(release_dir, release_zip, tmp_path):
    a = ingest.ingest_baci(release_dir, data_dir=tmp_path / "a", progress=quiet)
    b = ingest.ingest_baci(release_zip, data_dir=tmp_path / "b", progress=quiet)
    assert flows(a.path).equals(flows(b.path))


def test_older_country_file_columns_and_leading_zero_codes(release_dir, home):
    (release_dir / "country_codes_V202601.csv").write_text(
        "country_code,country_name_abbreviation,country_name_full,iso_2digit_alpha,iso_3digit_alpha\n"
        "156,China,China,CN,CHN\n699,India,India,IN,IND\n392,Japan,Japan,JP,JPN\n", encoding="utf-8")
    (release_dir / "BACI_HS92_Y2022_V202601.csv").unlink()
    (release_dir / Y2023).write_text("t,i,j,k,v,q\n2023,156,699,850511,1,1\n2023,392,699,010121,2,2\n"
                                     "2023,392,699,0850511,3,NA\n", encoding="utf-8")
    res = ingest.ingest_baci(release_dir, data_dir=home, progress=quiet)
    df = flows(res.path)
    assert df["hs6"].tolist() == ["850511", "850511"] and df["value_usd"].sum() == 4000


def test_progress_reports_each_file(release_dir, home):
    lines = []
    ingest.ingest_baci(release_dir, data_dir=home, progress=lines.append)
    assert any(Y2023 in m and "11 rows read" in m and "9 kept" in m for m in lines)
    assert any(m.startswith("[1/2]") for m in lines)


def test_progress_bar_on_a_terminal_lines_elsewhere(release_dir, home, tmp_path):
    import io

    from chokepoint.ingest.progress import FileProgress
    plain = io.StringIO()                                   # not a terminal: one line per file, no bar
    ingest.ingest_baci(release_dir, data_dir=home, progress=FileProgress(plain))
    lines = plain.getvalue().splitlines()
    assert [m[:5] for m in lines if m.startswith("[")] == ["[1/2]", "[2/2]"] and "\r" not in plain.getvalue()
    tty = io.StringIO()                                     # a terminal: the messages above a bar over bytes
    ingest.ingest_baci(release_dir, data_dir=tmp_path / "home2", progress=FileProgress(tty, bar=True))
    out = tty.getvalue()
    assert "[1/2]" in out and "[2/2]" in out and "2/2 files" in out and "\r" in out
    assert "100%" in out                                    # the bar reached the release's total bytes


def test_list_and_resolve_datasets(release_dir, home, monkeypatch):
    assert [d.name for d in ingest.list_datasets(home)] == ["built-in"]
    ingest.ingest_baci(release_dir, data_dir=home, progress=quiet)
    (home / ".tmp-half-written-abcd").mkdir()
    infos = ingest.list_datasets(home)
    assert [(d.name, d.kind, d.release, d.rows) for d in infos][1:] == [(NAME, "baci", "V202601", 11)]
    assert infos[0].kind == "built-in" and infos[0].rows > 0 and infos[0].path == db.DATA.resolve()
    assert ingest.resolve_dataset(NAME, home) == home / NAME
    assert ingest.resolve_dataset("built-in", home) == db.DATA.resolve()
    with pytest.raises(ingest.IngestError, match="no such dataset"):
        ingest.resolve_dataset("nope", home)
    monkeypatch.setenv("CHOKEPOINT_DATA_HOME", str(home))
    assert [d.name for d in ingest.list_datasets()] == ["built-in", NAME]
    prov = ingest.load_provenance(home / NAME)
    assert prov["trade_flows"]["producer"] == "CEPII (BACI)" and "production" in prov
    assert prov["trade_flows"]["rows"] == 11


def test_cli_ingest_and_errors(release_zip, home, tmp_path, capsys):
    assert cli.main(["ingest", "baci", str(release_zip), "--data-dir", str(home)]) == 0
    out = capsys.readouterr()
    assert NAME in out.out and "rows read" in out.err
    assert cli.main(["ingest", "list", "--data-dir", str(home)]) == 0
    assert NAME in capsys.readouterr().out
    bad = tmp_path / "nothing.zip"
    bad.write_bytes(b"PK\x03\x04 not really")
    assert cli.main(["ingest", "baci", str(bad), "--data-dir", str(home)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: file") and "Traceback" not in err


# ------------------------------------------------------------------------ malformed inputs
def _ingest_then_break(release_dir, home, tmp_path, breaker, as_zip=False):
    """Ingest the good release, break a copy, re-ingest: returns the error; checks nothing moved."""
    ingest.ingest_baci(release_dir, data_dir=home, progress=quiet)
    before = snapshot(home / NAME)
    broken = tmp_path / "broken"
    shutil.copytree(release_dir, broken)
    target = breaker(broken)
    if as_zip:
        target = make_zip(broken, tmp_path / "broken.zip") if target is None else target
    with pytest.raises(ingest.IngestError) as exc:
        ingest.ingest_baci(target if target is not None else broken, data_dir=home, progress=quiet)
    assert snapshot(home / NAME) == before, "previous dataset must be intact"
    assert not leftovers(home), "no tmp folder may be left behind"
    return exc.value


def test_bad_header_is_rejected_with_line_1(release_dir, home, tmp_path):
    def breaker(d):
        p = d / Y2023
        p.write_text(p.read_text().replace("t,i,j,k,v,q", "t,i,j,k,value,q", 1))
    e = _ingest_then_break(release_dir, home, tmp_path, breaker, as_zip=True)
    assert Y2023 in e.file and e.line == 1 and "expected 't,i,j,k,v,q'" in e.reason


def test_text_in_value_is_rejected_with_its_line(release_dir, home, tmp_path):
    def breaker(d):
        p = d / Y2023
        lines = p.read_text().splitlines()
        lines[6] = "2023,156,842,10121,five,1"  # line 7 of the file, a non-catalogue row: still checked
        p.write_text("\n".join(lines) + "\n")
    e = _ingest_then_break(release_dir, home, tmp_path, breaker)
    assert e.file.endswith(Y2023) and e.line == 7 and "five" in e.reason and '"v"' in e.reason


def test_text_in_quantity_is_rejected_with_its_line(release_dir, home, tmp_path):
    def breaker(d):
        p = d / Y2023
        p.write_text(p.read_text().replace("2023,156,392,810411,20,10", "2023,156,392,810411,20,ten"))
    e = _ingest_then_break(release_dir, home, tmp_path, breaker)
    assert e.line == 9 and "q = 'ten' is not a number" in e.reason


def test_truncated_last_line_is_rejected(release_dir, home, tmp_path):
    def breaker(d):
        p = d / Y2023
        p.write_bytes(p.read_bytes().rstrip(b"\n")[:-20])  # cut the last row mid-way
    e = _ingest_then_break(release_dir, home, tmp_path, breaker)
    assert e.line == 12 and ("Expected Number of Columns" in e.reason or "fields" in e.reason)


def test_truncated_zip_is_rejected(release_dir, home, tmp_path):
    def breaker(d):
        z = make_zip(d, tmp_path / "whole.zip")
        cut = tmp_path / "truncated.zip"
        cut.write_bytes(z.read_bytes()[: z.stat().st_size // 2])
        return cut
    e = _ingest_then_break(release_dir, home, tmp_path, breaker, as_zip=True)
    assert e.file.endswith("truncated.zip") and "truncated or corrupt" in e.reason


def test_corrupt_zip_member_is_rejected(release_dir, home, tmp_path):
    def breaker(d):
        z = make_zip(d, tmp_path / "whole.zip")
        data = bytearray(z.read_bytes())
        with zipfile.ZipFile(z) as zz:
            info = zz.getinfo(Y2023)
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
        for i in range(start + 5, start + 25):  # scramble the compressed bytes of the member
            data[i] ^= 0xFF
        bad = tmp_path / "corrupt.zip"
        bad.write_bytes(bytes(data))
        return bad
    e = _ingest_then_break(release_dir, home, tmp_path, breaker, as_zip=True)
    assert Y2023 in e.file and "corrupt" in e.reason


def test_missing_country_file_is_rejected(release_dir, home, tmp_path):
    def breaker(d):
        (d / "country_codes_V202601.csv").unlink()
    e = _ingest_then_break(release_dir, home, tmp_path, breaker, as_zip=True)
    assert "country_codes_V202601.csv" in e.reason


def test_bad_country_file_is_rejected_with_its_line(release_dir, home, tmp_path):
    def breaker(d):
        p = d / "country_codes_V202601.csv"
        p.write_text(p.read_text().replace("392,Japan", "JP,Japan"))
    e = _ingest_then_break(release_dir, home, tmp_path, breaker)
    assert e.file.endswith("country_codes_V202601.csv") and e.line == 5 and "'JP'" in e.reason


def test_mixed_releases_are_rejected(release_dir, tmp_path):
    shutil.copy(release_dir / Y2023, release_dir / "BACI_HS92_Y2021_V202501.csv")
    with pytest.raises(ingest.IngestError, match="mixes releases"):
        ingest.ingest_baci(release_dir, data_dir=tmp_path / "h", progress=quiet)


# ------------------------------------------------------------------------ atomic replace
def test_reingest_replaces_the_release(release_dir, home):
    ingest.ingest_baci(release_dir, data_dir=home, progress=quiet)
    p = release_dir / Y2023
    p.write_text(p.read_text().replace("2023,156,699,850511,800,40", "2023,156,699,850511,900,45"))
    (release_dir / "BACI_HS92_Y2022_V202601.csv").unlink()
    res = ingest.ingest_baci(release_dir, data_dir=home, progress=quiet)
    df = flows(res.path)
    assert df["year"].unique().tolist() == [2023]  # the old 2022 partition is gone, not merged
    assert df[(df.importer == "IND") & (df.exporter == "CHN")]["value_usd"].tolist() == [900_000]
    assert sorted(p.name for p in home.iterdir()) == [NAME]


def test_failure_mid_ingest_leaves_previous_data(release_dir, home, monkeypatch):
    ingest.ingest_baci(release_dir, data_dir=home, progress=quiet)
    before = snapshot(home / NAME)
    seen = []

    def boom(con, folder, *a, **k):
        seen.append(sorted(p.name for p in folder.iterdir()))
        # while the new copy is being written the query layer still sees the old one only
        assert folder.name.startswith(".tmp-") and (home / NAME).exists()
        assert db.table_sources(home.resolve())  # '.tmp-*' is never a table
        raise RuntimeError("disk full (injected)")
    monkeypatch.setattr(baci, "derive_tables", boom)
    with pytest.raises(RuntimeError, match="injected"):
        ingest.ingest_baci(release_dir, data_dir=home, progress=quiet)
    assert seen and "trade_flows" in seen[0]
    assert snapshot(home / NAME) == before and not leftovers(home)


def test_failure_during_swap_restores_previous_data(release_dir, home, monkeypatch):
    ingest.ingest_baci(release_dir, data_dir=home, progress=quiet)
    before = snapshot(home / NAME)
    real_replace = storage.os.replace
    calls = []

    def flaky(src, dst):
        calls.append((Path(src).name, Path(dst).name))
        if len(calls) == 2:  # old -> .old-* worked; tmp -> final fails
            raise OSError("rename failed (injected)")
        return real_replace(src, dst)
    monkeypatch.setattr(storage.os, "replace", flaky)
    with pytest.raises(OSError, match="injected"):
        ingest.ingest_baci(release_dir, data_dir=home, progress=quiet)
    monkeypatch.setattr(storage.os, "replace", real_replace)
    assert snapshot(home / NAME) == before and not leftovers(home)


# ------------------------------------------------------------------------ real 2024 extract
def _real_release(real_dir: Path, out: Path) -> Path:
    """Test scaffolding: the real extract rewritten as a BACI release (ISO3 -> numeric codes from
    pycountry; S19 -> BACI 490), so it goes through the same ingest path as a CEPII download."""
    out.mkdir()
    src = real_dir / "baci2024_bilateral_850511_810411_810820.csv"
    with open(src, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    codes = {}
    for r in rows:
        for iso, name in ((r["exporter"], r["exporter_name"]), (r["importer"], r["importer_name"])):
            if iso not in codes:
                num = 490 if iso == "S19" else int(pycountry.countries.get(alpha_3=iso).numeric)
                codes[iso] = (num, name)
    with open(out / "country_codes_V202601.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["country_code", "country_name", "country_iso2", "country_iso3"])
        for iso, (num, name) in sorted(codes.items(), key=lambda kv: kv[1][0]):
            c = pycountry.countries.get(alpha_3=iso)
            w.writerow([num, name, c.alpha_2 if c else "N/A", iso])
    with open(out / "product_codes_HS92_V202601.csv", "w", newline="", encoding="utf-8") as f:
        f.write("code,description\n850511,Permanent magnets\n810411,Unwrought magnesium\n810820,Unwrought titanium\n")
    with open(out / "BACI_HS92_Y2024_V202601.csv", "w", newline="", encoding="utf-8") as f:
        f.write("t,i,j,k,v,q\n")
        for r in rows:
            q = r["qty_t"].strip() or "NA"
            f.write(f"{r['year']},{codes[r['exporter']][0]},{codes[r['importer']][0]},{int(r['hs6'])},"
                    f"{r['value_kusd']},{q}\n")
    return out


@pytest.mark.real
def test_real_2024_extract_gives_the_published_figures(real_dir, tmp_path):
    release = _real_release(real_dir, tmp_path / "real_release")
    res = ingest.ingest_baci(release, data_dir=tmp_path / "home", progress=quiet)
    assert res.rows == 5745 and res.years == [2024] and res.unmapped == {}

    by_value = db.run_query("exposure_supplier_shares", data_dir=res.path, importer="IND",
                            hs6_list=["850511"], year=2024, basis="value").set_index("supplier")
    by_qty = db.run_query("exposure_supplier_shares", data_dir=res.path, importer="IND",
                          hs6_list=["850511"], year=2024, basis="quantity").set_index("supplier")
    assert round(by_value.loc["CHN", "share"] * 100, 1) == 84.2
    assert round(by_qty.loc["CHN", "share"] * 100, 1) == 88.0
    assert round(by_value["quantity_t"].sum()) == 21_887
    assert by_value.index[0] == "CHN"
    profile = db.run_query("exposure_profile", data_dir=res.path, importer="IND", year=2024, basis="value")
    assert round(profile.set_index("hs6").loc["850511", "china_share"] * 100, 1) == 84.2

    series = db.run_query("exposure_china_export_share_series", data_dir=res.path,
                          hs6_list=["850511", "810411", "810820"]).set_index("hs6")
    assert set(series["series_basis"]) == {"published world series"}  # the derived trade_series
    assert round(series.loc["850511", "world_quantity_t"]) == 187_827
    assert round(series.loc["850511", "world_value_usd"] / 1e9, 2) == 4.96
    assert round(series.loc["810411", "world_quantity_t"]) == 290_304
    assert round(series.loc["810820", "world_quantity_t"]) == 105_886
    # the Overview query on the derived series agrees with the bilateral flows
    world = db.run_query("china_export_share_series", data_dir=res.path, hs6_list=["850511"])
    assert round(world["world_quantity_t"][0]) == 187_827
    # S19 (Other Asia, nes) arrives as Taiwan
    assert "TWN" in set(db.run_query("exposure_bilateral_shares", data_dir=res.path, hs6_list=["850511"],
                                     year=2024, basis="value")["supplier"])
