"""A pack as a 16:9 PowerPoint deck (python-pptx): title, key findings, one slide per chart (the
2x PNG of the chart without its title block, which the slide carries as text, and speaker notes
stating the assumptions), methods and sources."""
from __future__ import annotations

import io

from ..charts.style import CHINA
from ..export.images import SIZES, figure_bytes
from .model import Briefing, Slide

_INK, _GREY_TXT, _SUB = (0x22, 0x22, 0x22), (0x66, 0x66, 0x66), (0x55, 0x55, 0x55)
_DECK_FONT = "Arial"


def _text(frame, paragraphs, *, size: int, bold: bool = False, color=_INK, bullet: bool = False,
          space_after: int = 0) -> None:
    """Fill a text frame: one paragraph per string, one font for all (word wrap on)."""
    from pptx.dml.color import RGBColor
    from pptx.util import Pt
    frame.word_wrap = True
    for i, text in enumerate(paragraphs):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = para.add_run()
        run.text = ("• " if bullet else "") + text
        f = run.font
        f.size, f.bold, f.name, f.color.rgb = Pt(size), bold, _DECK_FONT, RGBColor(*color)
        if space_after:
            para.space_after = Pt(space_after)


def _box(slide, left, top, width, height, paragraphs, **kw):
    from pptx.util import Inches
    tb = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    _text(tb.text_frame, paragraphs, **kw)
    return tb


def _rule(slide, left, top, width, height, rgb=None) -> None:
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Inches
    shp = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(left), Inches(top), Inches(width), Inches(height))
    shp.fill.solid()
    shp.fill.fore_color.rgb = rgb or RGBColor.from_string(CHINA.lstrip("#"))
    shp.line.fill.background()


def _title(slide, text: str, *, top: float = 0.25, height: float = 0.85, size: int | None = None) -> None:
    """Use the layout's title placeholder (outline view, accessibility), placed for 16:9."""
    from pptx.enum.text import MSO_ANCHOR
    from pptx.util import Inches
    t = slide.shapes.title
    t.left, t.top, t.width, t.height = Inches(0.5), Inches(top), Inches(12.33), Inches(height)
    size = size or (26 if len(text) <= 60 else 22 if len(text) <= 95 else 19)
    t.text_frame.clear()
    _text(t.text_frame, [text], size=size, bold=True)
    t.text_frame.vertical_anchor = MSO_ANCHOR.BOTTOM
    t.text_frame.paragraphs[0].alignment = 1  # left


def _title_slide(prs, sl: Slide, stamp: str):
    from pptx.util import Inches
    s = prs.slides.add_slide(prs.slide_layouts[0])
    _rule(s, 0.5, 1.6, 0.09, 3.0)
    _title(s, sl.title, top=1.6, height=1.7, size=36 if len(sl.title) <= 70 else 30)
    sub = s.placeholders[1]
    sub.left, sub.top, sub.width, sub.height = Inches(0.8), Inches(3.45), Inches(11.9), Inches(0.9)
    sub.text_frame.clear()
    _text(sub.text_frame, [sl.subtitle], size=20, color=_SUB)
    sub.text_frame.paragraphs[0].alignment = 1
    s.shapes.title.left, s.shapes.title.width = Inches(0.8), Inches(11.9)
    _box(s, 0.8, 4.6, 11.9, 2.2, list(sl.lines), size=14, space_after=4)
    return s


def _headed(prs, sl: Slide, subtitle_size: int, subtitle_height: float = 0.5):
    """A title-only slide with the vermillion rule, the title and the subtitle."""
    s = prs.slides.add_slide(prs.slide_layouts[5])
    _rule(s, 0, 0, 13.333, 0.08)
    _title(s, sl.title)
    _box(s, 0.5, 1.1, 12.33, subtitle_height, [sl.subtitle], size=subtitle_size, color=_SUB)
    return s


def _findings_slide(prs, sl: Slide, stamp: str):
    s = _headed(prs, sl, 14)
    n = max(len(sl.findings), 1)
    w = 12.33 / n
    for i, f in enumerate(sl.findings):
        x = 0.5 + i * w
        _rule(s, x, 2.0, 0.06, 4.2)
        _box(s, x + 0.2, 1.95, w - 0.45, 1.1, [f.value], size=44 if len(f.value) <= 10 else 34, bold=True,
             color=tuple(int(CHINA[k:k + 2], 16) for k in (1, 3, 5)))
        _box(s, x + 0.2, 3.15, w - 0.45, 2.0, [f.label], size=17)
        _box(s, x + 0.2, 5.3, w - 0.45, 0.9, ["Source: " + f.source], size=10, color=_GREY_TXT)
    _box(s, 0.5, 6.9, 12.33, 0.4, [stamp], size=10, color=_GREY_TXT)
    return s


def _chart_slide(prs, sl: Slide, stamp: str):
    from pptx.util import Inches
    s = _headed(prs, sl, 12 if len(sl.subtitle) <= 150 else 11, 0.55)
    png = figure_bytes(sl.chart.figure("slide"), "png", "slide", grow=False)
    w_px, h_px = SIZES["slide"]
    width = min(12.33, 5.1 * w_px / h_px)
    s.shapes.add_picture(io.BytesIO(png), Inches(0.5 + (12.33 - width) / 2), Inches(1.68), width=Inches(width))
    _box(s, 0.5, 6.85, 12.33, 0.5, [sl.source], size=10, color=_GREY_TXT)
    return s


def _methods_slide(prs, sl: Slide, stamp: str):
    s = _headed(prs, sl, 14, 0.45)
    _box(s, 0.5, 1.65, 6.5, 0.35, ["Datasets"], size=14, bold=True)
    _box(s, 0.5, 2.0, 6.5, 4.8, list(sl.datasets), size=10 if len(sl.datasets) > 6 else 11,
         bullet=True, space_after=3)
    _box(s, 7.3, 1.65, 5.5, 0.35, ["Methods"], size=14, bold=True)
    _box(s, 7.3, 2.0, 5.5, 4.8, list(sl.lines), size=10 if len(sl.lines) > 6 else 11, bullet=True,
         space_after=3)
    _box(s, 0.5, 6.9, 12.33, 0.4, [stamp], size=10, color=_GREY_TXT)
    return s


_SLIDES = {"title": _title_slide, "findings": _findings_slide, "chart": _chart_slide, "methods": _methods_slide}


def pack_pptx(briefing: Briefing) -> bytes:
    """A 16:9 deck: title, key findings, one slide per chart (2x PNG, source line, speaker notes
    stating the assumptions), methods and sources. Raises ExportUnavailable without Chromium."""
    from pptx import Presentation
    from pptx.util import Emu
    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(12192000), Emu(6858000)  # 13.333 x 7.5 in (16:9)
    stamp = f"Chokepoint · {briefing.made.isoformat()}"
    for sl in briefing.slides:
        s = _SLIDES[sl.kind](prs, sl, stamp)
        if sl.notes:
            s.notes_slide.notes_text_frame.text = sl.notes
    props = prs.core_properties
    props.title, props.author, props.subject = briefing.title, "Chokepoint", briefing.subject
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
