"""Chart images through kaleido + Chromium: PNG (2x), SVG and PDF at briefing sizes.

One persistent kaleido server per process (``kaleido.start_sync_server``) driving Debian's
Chromium; every call goes through one lock, because concurrent calls on the sync server can swap
images. If Chromium is missing, ``ExportUnavailable`` carries a one-line message for the user.
"""
from __future__ import annotations

import threading

import plotly.graph_objects as go

#: Image sizes in CSS pixels; PNG is rendered at scale 2 (so 2560x1440 for 16:9).
SIZES = {"16:9": (1280, 720), "square": (1000, 1000),
         "slide": (1200, 515)}  # the chart area of a 16:9 deck slide under its title (PNG 2400x1030)
FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
_lock = threading.Lock()
_server_started = False


class ExportUnavailable(RuntimeError):
    """Image export cannot run here (e.g. Chromium missing); the message says what to install."""


def _ensure_server() -> None:
    global _server_started
    if _server_started:
        return
    import kaleido
    try:
        kaleido.start_sync_server(n=1, timeout=90, mathjax=False, silence_warnings=True)
    except Exception as e:  # noqa: BLE001 - any failure to start Chromium becomes one clear message
        raise ExportUnavailable(
            "Chart image export needs Chromium: install it with "
            "'apt-get install -y --no-install-recommends chromium fonts-liberation' "
            f"({type(e).__name__}: {e})") from e
    _server_started = True


def image_export_problem() -> str | None:
    """None when a Chromium for kaleido is installed, else the one-line message to show."""
    import shutil
    if any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome", "chrome")):
        return None
    return ("Chart images (PNG/SVG/PDF) need Chromium on the server: "
            "apt-get install -y --no-install-recommends chromium fonts-liberation")


def canvas(fig: go.Figure, size: str = "16:9", *, grow: bool = True) -> tuple[int, int]:
    """(width, height) in CSS pixels for ``fig`` at ``size``. With ``grow`` the height grows to the
    figure's own height when its drawer asked for more than the size gives (a heatmap with one row
    per country): at 720 px Plotly would drop every second row label, so the image gets taller
    rather than lose names. Packs pass ``grow=False``: their slide and page geometry is fixed."""
    width, height = SIZES[size]
    own = fig.layout.height
    if grow and own is not None and own > height:
        height = int(own)
    return width, height


def figure_bytes(fig: go.Figure, fmt: str = "png", size: str = "16:9", *, grow: bool = True) -> bytes:
    """The figure as PNG (2x), SVG or PDF bytes at a briefing size ('16:9' or 'square'), taller
    when the figure needs it to keep every label (see :func:`canvas`)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; use one of {sorted(FORMATS)}")
    width, height = canvas(fig, size, grow=grow)
    opts = {"format": fmt, "width": width, "height": height, "scale": 2 if fmt == "png" else 1}
    import kaleido
    with _lock:
        _ensure_server()
        try:
            return kaleido.calc_fig_sync(fig, opts=opts)
        except ExportUnavailable:
            raise
        except Exception as e:  # noqa: BLE001 - a browser that died mid-render: say so, plainly
            msg = str(e)
            if "chrom" in msg.lower() or "browser" in msg.lower():
                raise ExportUnavailable(f"Chart image export failed in Chromium: {msg}") from e
            raise
