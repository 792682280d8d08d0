"""One-off: draw favicon.png (a broken chain link in the house China vermillion), shipped in the
repo so the browser tab icon never comes from an internet font host (the app must work offline).
Run: python chokepoint/assets/make_favicon.py"""
from pathlib import Path

from PIL import Image, ImageDraw

VERMILLION = (213, 94, 0, 255)
SIZE, SCALE = 64, 4          # drawn at 4x, then downsampled for smooth edges


def draw() -> Image.Image:
    s = SIZE * SCALE
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    w = 7 * SCALE
    # two links of a chain, pulled apart along the diagonal
    d.rounded_rectangle((3 * SCALE, 20 * SCALE, 30 * SCALE, 44 * SCALE), radius=12 * SCALE, outline=VERMILLION, width=w)
    d.rounded_rectangle((34 * SCALE, 20 * SCALE, 61 * SCALE, 44 * SCALE), radius=12 * SCALE, outline=VERMILLION, width=w)
    # the break: short strokes flying off the gap
    for x0, y0, x1, y1 in ((30, 8, 27, 14), (34, 8, 37, 14), (30, 56, 27, 50), (34, 56, 37, 50)):
        d.line((x0 * SCALE, y0 * SCALE, x1 * SCALE, y1 * SCALE), fill=VERMILLION, width=3 * SCALE)
    return img.resize((SIZE, SIZE), Image.LANCZOS)


if __name__ == "__main__":
    out = Path(__file__).with_name("favicon.png")
    draw().save(out, optimize=True)
    print(f"wrote {out} ({out.stat().st_size} bytes)")
