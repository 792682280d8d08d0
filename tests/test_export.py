"""Exports open as what they claim: valid PNG/SVG/PDF of the right size; CSV/XLSX formula-safe."""
import io
import struct

import openpyxl
import pandas as pd
import plotly.graph_objects as go
import pytest
from pypdf import PdfReader

from chokepoint import db, export
from chokepoint.views import overview

needs_chromium = pytest.mark.skipif(export.image_export_problem() is not None, reason="Chromium missing")


@pytest.fixture(scope="module")
def fig():
    return overview.production_concentration(db.run_query("production_concentration")).figure()


def _png_size(b: bytes) -> tuple[int, int]:
    assert b[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", b[16:24])


@needs_chromium
@pytest.mark.parametrize("size,expected", [("16:9", (2560, 1440)), ("square", (2000, 2000))])
def test_png_is_2x_at_the_briefing_size(fig, size, expected):
    assert _png_size(export.figure_bytes(fig, "png", size)) == expected


@needs_chromium
def test_svg_and_pdf_are_valid_and_carry_the_title(fig):
    svg = export.figure_bytes(fig, "svg").decode()
    assert svg.startswith("<svg") and "China produces" in svg and "Source:" in svg
    pdf = PdfReader(io.BytesIO(export.figure_bytes(fig, "pdf")))
    assert len(pdf.pages) == 1
    box = pdf.pages[0].mediabox
    assert float(box.width) / float(box.height) == pytest.approx(16 / 9, rel=0.01)


@needs_chromium
def test_concurrent_exports_do_not_swap_images():
    """Two threads exporting different figures each get their own figure back."""
    from concurrent.futures import ThreadPoolExecutor
    figs = {t: go.Figure(go.Bar(x=[1], y=[1])).update_layout(title=t) for t in ("ALPHA-ONE", "BRAVO-TWO")}
    with ThreadPoolExecutor(4) as ex:
        results = list(ex.map(lambda t: (t, export.figure_bytes(figs[t], "svg").decode()), list(figs) * 3))
    for title, svg in results:
        assert title in svg and (set(figs) - {title}).pop() not in svg


def test_csv_neutralises_formula_strings_and_keeps_numbers():
    df = pd.DataFrame({"site": ["=HYPERLINK(\"x\")", "+1", "-cmd", "@SUM(A1)", "\tx", "\rx", "plain"],
                       "stock_t": [1.5, -2.0, 3, 4, 5, 6, 7]})
    text = export.to_csv_bytes(df).decode("utf-8-sig")
    back = pd.read_csv(io.StringIO(text))
    assert all(not str(v).startswith(("=", "+", "-", "@")) for v in back["site"])
    assert back["stock_t"].tolist() == [1.5, -2.0, 3, 4, 5, 6, 7]


def test_xlsx_with_a_formula_looking_cell_contains_no_formula():
    df = pd.DataFrame({"site": ["=1+1", "=HYPERLINK(\"http://x\",\"y\")", "ok"], "n": [1, 2, 3]})
    wb = openpyxl.load_workbook(io.BytesIO(export.to_xlsx_bytes(df, notes=["=cmd|' /C calc'!A0"])))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    assert [c.value for c in wb["data"]["B"]][1:] == [1, 2, 3]


def test_file_names_never_collide():
    names = {export.file_name("Same chart", "png") for _ in range(200)}
    assert len(names) == 200
    assert all(n.startswith("chokepoint-same-chart-") and n.endswith(".png") for n in names)


@pytest.fixture(scope="module")
def cover_heatmap_spec():
    """The Months-of-cover heatmap for NdFeB magnets under the default regimes, as the page builds it."""
    from chokepoint import constants, regimes, scenarios
    from chokepoint.views import cover as view_cover
    library = regimes.load_library()
    regs = scenarios.choose(library, regimes.flagged(library, "default"))
    table = scenarios.country_cover("permanent_magnets", regs, run=scenarios.default_runner())
    shown = table[table["holder"] != constants.CONTROLLER]
    return view_cover.heatmap(shown, material="permanent magnets", material_id="permanent_magnets", selected="USA")


@needs_chromium
@pytest.mark.parametrize("size", ["16:9", "square"])
def test_exported_cover_heatmap_names_every_country(cover_heatmap_spec, size):
    """Issue 15: at 16:9 (720 px) Plotly dropped every second row label (the United States row had
    no name). The export grows the canvas instead; every row label is in the SVG's text."""
    import html
    import re
    fig = cover_heatmap_spec.figure()
    names = list(dict.fromkeys(cover_heatmap_spec.data["holder_name"]))
    assert len(names) > 25 and "United States" in names
    width, height = export.canvas(fig, size)
    assert width == export.SIZES[size][0] and height >= export.SIZES[size][1]
    svg = export.figure_bytes(fig, "svg", size).decode()
    assert f'width="{width}"' in svg and f'height="{height}"' in svg
    texts = {html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg)}
    texts |= {html.unescape(re.sub(r"<[^>]+>", "", t)) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg)}
    missing = [n for n in names if n not in texts]
    assert not missing, f"row labels missing from the {size} SVG: {missing}"
