"""Briefing packs: the files open, hold the expected slides, and carry the pages' exact numbers."""
import subprocess
import sys

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pypdf import PdfReader

from chokepoint import briefing, charts, dataset, export, exposure, regimes, scenarios
from chokepoint.stockpile_csv import parse_stockpile_csv
from tests.conftest import ROOT

needs_chromium = pytest.mark.skipif(export.image_export_problem() is not None, reason="Chromium missing")
FIXTURE = ROOT / "tests" / "fixtures" / "company_stockpile_fixture.csv"
REGIMES = "apr-2025-licensing,oct-2025-expansion"


@pytest.fixture(scope="module")
def ind():
    return briefing.country_briefing("IND", regimes=briefing.resolve_regimes(REGIMES))


@pytest.fixture(scope="module")
def ind_files(ind, tmp_path_factory):
    d = tmp_path_factory.mktemp("pack")
    pptx, pdf = d / "ind.pptx", d / "ind.pdf"
    pptx.write_bytes(export.pack_pptx(ind))
    pdf.write_bytes(export.pack_pdf(ind))
    return pptx, pdf


def _texts(slide) -> list[str]:
    return [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame]


# ---------------------------------------------------------------- the pack as data
def test_country_pack_has_title_findings_charts_and_methods(ind):
    kinds = [k for k, _ in ind.outline()]
    assert kinds[0] == "title" and kinds[1] == "findings" and kinds[-1] == "methods"
    assert set(kinds[2:-1]) == {"chart"} and len(kinds) - 3 >= 8
    assert all(s.title and s.source.startswith("Source: ") and s.notes for s in ind.slides[2:-1])
    assert len(ind.findings) == 3


def test_findings_are_the_numbers_the_pages_show(ind):
    """Same functions, same rounding: Exposure page (pct, 1 decimal) and Cover page (cover_label)."""
    exp = exposure.exposure("IND", "permanent_magnets")
    lib = regimes.load_library()
    regs = [lib["apr-2025-licensing"], lib["oct-2025-expansion"]]
    rows = scenarios.country_cover("permanent_magnets", regs)
    mine = rows[(rows["holder"] == "IND") & (rows["state"] == "exhausted")]
    worst = mine.loc[mine["months"].idxmin()]
    assert [f.value for f in ind.findings] == [
        charts.pct(exp.summary["china_share_direct"], 1), charts.pct(exp.summary["china_share_total"], 1),
        charts.cover_label(worst["months"], worst["state"], 36) + " months"]


def test_unknown_regime_names_the_closest():
    with pytest.raises(briefing.BriefingInputError, match="did you mean 'apr-2025-licensing'"):
        briefing.resolve_regimes("apr-2025")


# ---------------------------------------------------------------- files
@needs_chromium
def test_pptx_reads_back_with_slides_titles_pictures_sources_and_notes(ind, ind_files):
    deck = Presentation(str(ind_files[0]))
    slides = list(deck.slides)
    assert len(slides) == len(ind.slides)
    assert deck.slide_width == 12192000 and deck.slide_height == 6858000  # 13.333 x 7.5 in
    assert slides[0].shapes.title.text == ind.title and "India" in ind.title
    findings = "\n".join(_texts(slides[1]))
    for f in ind.findings:
        assert f.value in findings and f.label in findings
    for spec_slide, s in zip(ind.slides[2:-1], slides[2:-1]):
        assert s.shapes.title.text == spec_slide.title
        pics = [sh for sh in s.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pics) == 1 and pics[0].image.content_type == "image/png"
        assert pics[0].image.size == (2400, 1030)  # export.figure_bytes at the slide size, 2x
        assert any(t.startswith("Source: ") and "Chokepoint" in t for t in _texts(s))
        notes = s.notes_slide.notes_text_frame.text
        assert "Finding:" in notes and "Scope:" in notes and "Assumption:" in notes
    methods = "\n".join(_texts(slides[-1]))
    prov = dataset.load_provenance()
    for t in {t for c in ind.charts for t in c.tables}:
        assert prov[t]["title"] in methods and prov[t]["licence"] in methods and prov[t]["accessed"] in methods
    assert "regime" in slides[5].notes_slide.notes_text_frame.text.lower()


@needs_chromium
def test_pdf_has_one_page_per_slide_with_the_titles(ind, ind_files):
    pdf = PdfReader(str(ind_files[1]))
    assert len(pdf.pages) == len(ind.slides)
    box = pdf.pages[0].mediabox
    assert float(box.width) / float(box.height) == pytest.approx(16 / 9, rel=0.01)
    text = [" ".join(p.extract_text().split()) for p in pdf.pages]
    assert "India" in text[0] and "Key findings" in text[1]
    for f in ind.findings:
        assert f.value in text[1]
    for i, s in enumerate(ind.slides[2:-1], 2):
        assert s.title.split(" ")[0] in text[i] and "Source:" in text[i]
    assert "Methods and sources" in text[-1]
    assert [o.title for o in pdf.outline] == [s.title for s in ind.slides]


# ---------------------------------------------------------------- company pack (fixture CSV)
@needs_chromium
def test_company_pack_from_the_fixture_csv(tmp_path):
    res = parse_stockpile_csv(FIXTURE.read_bytes())
    assert res.ok
    regs = briefing.resolve_regimes(REGIMES)
    pack = briefing.company_briefing(res.lines, regs, name="FIXTURE company")
    table = briefing.company_cover(res.lines, regs)
    ex = table[table["state"] == "exhausted"]
    first = ex.loc[ex["months"].idxmin()]
    assert pack.findings[0].value == charts.months_label(first["months"])
    assert first["label"] in pack.findings[0].label
    assert set(table.loc[table["holder"] == "FIXTURE plant A", "destination"]) == {"DEU"}
    out = tmp_path / "co.pptx"
    out.write_bytes(export.pack_pptx(pack))
    deck = Presentation(str(out))
    assert len(deck.slides) == len(pack.slides)
    assert pack.findings[0].value in "\n".join(_texts(deck.slides[1]))


# ---------------------------------------------------------------- CLI
def _cli(*args, timeout=180):
    return subprocess.run([sys.executable, "-m", "chokepoint", "brief", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


@needs_chromium
@pytest.mark.parametrize("ext", ["pptx", "pdf"])
def test_cli_writes_the_pack(tmp_path, ext):
    out = tmp_path / f"ind.{ext}"
    r = _cli("--country", "IND", "--regimes", REGIMES, "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert out.stat().st_size > 10_000 and "wrote" in r.stdout
    if ext == "pdf":
        assert len(PdfReader(str(out)).pages) >= 11
    else:
        assert len(Presentation(str(out)).slides) >= 11


def test_cli_bad_regime_is_one_line_with_a_suggestion(tmp_path):
    r = _cli("--country", "IND", "--regimes", "apr-2025", "--out", str(tmp_path / "x.pptx"))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "did you mean 'apr-2025-licensing'" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "x.pptx").exists()


def test_cli_bad_out_extension(tmp_path):
    r = _cli("--country", "IND", "--out", str(tmp_path / "x.docx"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and ".pptx or .pdf" in r.stderr


def test_cli_invalid_company_csv_lists_every_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("site,material,on_hand,monthly_use\nA,unobtainium,5,x\nB,NdFeB magnets,-1,2\n")
    r = _cli("--company", str(bad), "--out", str(tmp_path / "x.pdf"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 3  # one line per error (the same contract as `company`)
    assert any("row 2" in ln and "material" in ln for ln in lines)
    assert any("row 3" in ln and "on_hand" in ln for ln in lines)


@needs_chromium
def test_cli_company_pack(tmp_path):
    out = tmp_path / "co.pdf"
    r = _cli("--company", str(FIXTURE), "--regimes", REGIMES, "--out", str(out))
    assert r.returncode == 0, r.stderr
    pages = PdfReader(str(out)).pages
    assert "FIXTURE" in pages[0].extract_text() or "company" in pages[0].extract_text()


# ---------------------------------------------------------------- the page (AppTest)
def test_briefing_page_builds_a_pack_with_the_exposure_numbers():
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/briefing.py").run()
    assert not at.exception
    at.button(key="brief_build").click().run()
    assert not at.exception
    exp = exposure.exposure("IND", "permanent_magnets")
    values = [m.value for m in at.metric]
    assert charts.pct(exp.summary["china_share_direct"], 1) in values
    assert charts.pct(exp.summary["china_share_total"], 1) in values
    assert any("Methods and sources" in m.value for m in at.markdown)
