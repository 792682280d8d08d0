"""Screenshots of every page as a user sees them (Chromium at 1440x900), for review and the README.

    python -m docs.make_screenshots [--out DIR] [--readme] [--full-page]

Starts `streamlit run app.py` on a free port (a throwaway workspace), opens each page, waits for
its title and first chart, and writes one PNG per page to DIR (default /tmp/chokepoint-shots).
``--readme`` also refreshes the README's images in docs/ (Overview and Months of cover).
Needs Debian's Chromium (/usr/bin/chromium) and the playwright package (requirements-dev.txt).
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.conftest import Server

ROOT = Path(__file__).resolve().parent.parent
PAGES = [("overview", "", "Overview"), ("exposure", "exposure", "Exposure"),
         ("cover", "cover", "Months of cover"), ("company", "company", "Company"),
         ("regimes", "regimes", "Control regimes"), ("briefing", "briefing", "Briefing"),
         ("data_methods", "data_methods", "Data and methods")]
README_SHOTS = {"overview": "screenshot-overview.png", "cover": "screenshot-cover.png"}
README_HEIGHT = 1750   # the README images: the first 1750 px of the whole page (controls and first chart)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def shoot(out: Path, *, full_page: bool = False) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    shots = []
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                # Streamlit scrolls inside its own container, so "the whole page" is a tall viewport
                page = browser.new_page(viewport={"width": 1440, "height": 7000 if full_page else 900})
                for name, path, _title in PAGES:
                    page.goto(f"{server.url}/{path}")
                    page.wait_for_selector("h1", timeout=60_000)
                    try:
                        page.wait_for_selector(".js-plotly-plot, [data-testid='stDataFrame']", timeout=30_000)
                    except Exception:  # noqa: BLE001 - a page without a chart (e.g. before an upload)
                        pass
                    page.wait_for_timeout(1500)   # let plotly finish its transitions
                    target = out / f"{name}.png"
                    page.screenshot(path=str(target), timeout=120_000)
                    shots.append(target)
                browser.close()
        finally:
            server.stop()
    return shots


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "chokepoint-shots")
    ap.add_argument("--readme", action="store_true", help="also refresh the README's images in docs/")
    ap.add_argument("--full-page", action="store_true", help="the whole scrolled page, not the first screen")
    args = ap.parse_args()
    shots = shoot(args.out, full_page=args.full_page or args.readme)
    for s in shots:
        print(s)
    if args.readme:
        from PIL import Image  # (pillow comes with streamlit)
        for name, file in README_SHOTS.items():
            with Image.open(args.out / f"{name}.png") as im:
                im.crop((0, 0, im.width, min(im.height, README_HEIGHT))).save(ROOT / "docs" / file, optimize=True)
            print("README image:", ROOT / "docs" / file)


if __name__ == "__main__":
    main()
