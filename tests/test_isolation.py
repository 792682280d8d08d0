"""Tenant isolation with login: one analyst's stockpile never reaches another.

* Browser: a `streamlit run` with an [auth] section pointing at a local OIDC provider
  (tests/oidc_mock.py). User A signs in, uploads a file with canary values, sees them (positive
  control: the canary is findable in pages and downloads) and saves it to the workspace. User B,
  in a second browser context, signs in as another subject, visits every page, downloads every
  table export (CSV, XLSX), every SVG chart, the workspace's "Original file" and a briefing pack,
  and never meets a canary string in page text or in a file. An anonymous visitor to /company is
  sent to the provider, never to a shared "local" tenant. Download names of A and B never collide.
* Caches: Streamlit's st.cache_data / st.cache_resource are global to the server process (and
  hash large DataFrames from a sample), so **the rule is: a cached function takes only plain values
  that identify public data (query name, dataset folder, parameters of the built-in or ingested
  trade data) -- never an upload, a parsed frame, a snapshot, a tenant or a user**. Uploads live in
  st.session_state and in the tenant-filtered workspace. Checked statically (every decorated
  function's parameters) and dynamically (after a canary upload runs through the Company page in
  AppTest, no cached value in the process holds a canary).

Canary values are INVENTED.
"""
from __future__ import annotations

import ast
import io
import struct
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.oidc_mock import auth_secrets, login, mock_provider

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")   # authlib inside the mock provider

ROOT = Path(__file__).resolve().parent.parent
SITE = "CANARY-A-7f3e"
SNAP = "CANARY-SNAP-7f3e"
FILE = "canary-7f3e.csv"
CANARY_CSV = (f"site,site_country,material,on_hand,monthly_use,supplier_country,supplier_share\n"
              f"{SITE},DE,Dysprosium oxide,123456.789,4321.5,CN,80%\n"
              f"{SITE},DE,Dysprosium oxide,,,AU,20%\n").encode()
CANARIES = [SITE, SNAP, "canary-7f3e", "123456.789", "123,456.789", "123456,789", "123 456.789", "4321.5",
            "4,321.5"]
PAGES = {"/": "China's chokehold", "/exposure": "Exposure", "/cover": None, "/regimes": None,
         "/company": "Company stockpiles", "/briefing": "Briefing pack", "/data_methods": "Data and methods"}
TABLE_EXPORTS = ("CSV", "XLSX", "SVG", "Original file")


# ---------------------------------------------------------------------------- helpers
def _text_of(name: str, data: bytes) -> str:
    """Searchable text of a downloaded file (zip members for XLSX/PPTX, text layer for PDF)."""
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "\n".join(z.read(m).decode("utf-8", "replace") for m in z.namelist())
    if data[:5] == b"%PDF-":
        from pypdf import PdfReader
        return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
    for enc in ("utf-8-sig", "utf-16"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _leaks(text: str) -> list[str]:
    return [c for c in CANARIES if c in text]


#: What the canary looks like on the wire: text in JSON/protobuf, UTF-8 strings and little-endian
#: doubles in Arrow tables (st.dataframe draws on a canvas, so page text alone would miss it).
# the stock as typed and as the grid sends it (rounded by size: 123,457 t, labels.tidy)
NUMBERS = [struct.pack(f"{order}d", x) for x in (123456.789, 123457.0) for order in "<>"]
WIRE = [SITE.encode(), SNAP.encode(), b"canary-7f3e", *NUMBERS, b"123456.789"]


def _record_frames(page) -> list[bytes]:
    """Every websocket frame the page receives from the server (all app content travels there)."""
    frames: list[bytes] = []

    def on_ws(ws):
        ws.on("framereceived", lambda p: frames.append(p if isinstance(p, bytes) else p.encode()))
    page.on("websocket", on_ws)
    return frames


def _wire_hits(frames: list[bytes]) -> list[bytes]:
    return sorted({n for f in frames for n in WIRE if n in f})


def _settle(page, heading: str | None) -> None:
    if heading:
        page.get_by_role("heading", name=heading).first.wait_for(timeout=60_000)
    else:
        page.locator("h1").first.wait_for(timeout=60_000)
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stStatusWidget']\")"
        " || !/Running/.test(document.querySelector(\"[data-testid='stStatusWidget']\").innerText)",
        timeout=90_000)
    page.wait_for_timeout(500)


def _downloads(page, tmp: Path, labels=TABLE_EXPORTS) -> list[tuple[str, bytes]]:
    # Charts (and their export buttons) can arrive after the page's heading and status settle:
    # give the first export button time to appear before counting (pages without exports, such
    # as an empty Company page, just wait it out; the count is asserted by the caller).
    try:
        page.get_by_role("button", name=labels[0], exact=True).first.wait_for(timeout=20_000)
    except PlaywrightTimeoutError:
        pass
    out = []
    for label in labels:
        buttons = page.get_by_role("button", name=label, exact=True)
        for i in range(buttons.count()):
            b = buttons.nth(i)
            if not b.is_visible() or b.is_disabled():
                continue
            with page.expect_download(timeout=90_000) as info:
                b.click()
            dl = info.value
            path = tmp / f"{len(out)}-{dl.suggested_filename}"
            dl.save_as(path)
            out.append((dl.suggested_filename, path.read_bytes()))
    return out


# ---------------------------------------------------------------------------- live, with login
@pytest.fixture(scope="module")
def login_server(tmp_path_factory):
    from tests.conftest import Server
    with mock_provider() as issuer:
        server = Server(tmp_path_factory.mktemp("login-server"), secrets=auth_secrets(issuer))
        server.issuer = issuer
        yield server
        server.stop()


def _context(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 2400}, accept_downloads=True)
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    return ctx, page


@pytest.mark.browser
def test_user_b_never_sees_user_a_stockpile(browser, login_server, tmp_path):
    url = login_server.url
    # ---- user A: sign in, upload the canary file, see it, export it, save it
    ctx_a, a = _context(browser)
    a_frames = _record_frames(a)
    login(a, url, "alice@example.org")
    a.goto(url + "/company")
    _settle(a, "Company stockpiles")
    a.locator("input[type=file]").set_input_files(files=[{"name": FILE, "mimeType": "text/csv",
                                                          "buffer": CANARY_CSV}])
    a.get_by_text("Detected:").first.wait_for()
    _settle(a, "Company stockpiles")
    name = a.get_by_label("Snapshot name")
    name.fill(SNAP)
    name.press("Enter")
    a.get_by_role("button", name="Save to workspace").click()
    a.get_by_text(f"Saved to the workspace as '{SNAP}'").wait_for()
    _settle(a, "Company stockpiles")
    a_text = a.inner_text("body")
    assert SITE in a_text and SNAP in a_text            # positive control: the canary is findable
    (tmp_path / "a").mkdir()
    a_files = _downloads(a, tmp_path / "a", labels=("CSV",))
    assert any(SITE in _text_of(n, d) for n, d in a_files), "A's own export lacks the canary"
    a_hits = _wire_hits(a_frames)
    assert SITE.encode() in a_hits and struct.pack("<d", 123457.0) in a_hits, a_hits   # the probe works

    # ---- an anonymous visitor to /company is sent to the provider, not to a shared tenant
    ctx_anon, anon = _context(browser)
    anon.goto(url + "/company")
    anon.wait_for_url(lambda u: u.startswith(login_server.issuer), timeout=60_000)
    assert not _leaks(anon.inner_text("body"))
    ctx_anon.close()

    # ---- user B: every page, every export it can open
    ctx_b, b = _context(browser)
    b_frames = _record_frames(b)
    login(b, url, "bob@example.org")
    (tmp_path / "b").mkdir()
    seen_pages, b_files, leaks = [], [], []
    for path, heading in PAGES.items():
        b.goto(url + path)
        _settle(b, heading)
        assert b.locator("[data-testid='stException']").count() == 0, path
        text = b.inner_text("body")
        leaks += [(path, c) for c in _leaks(text)]
        if path == "/company":
            assert "No saved snapshots yet" in text
        if path == "/briefing":
            b.get_by_role("button", name="Build the pack").click()
            b.get_by_text("Key findings").first.wait_for(timeout=120_000)
            _settle(b, heading)
            files = _downloads(b, tmp_path / "b", labels=("Download PPTX deck", "Download PDF"))
        else:
            files = _downloads(b, tmp_path / "b")
        b_files += files
        for n, d in files:
            leaks += [(f"{path} {n}", c) for c in _leaks(_text_of(n, d))]
        seen_pages.append(path)
    assert not leaks, leaks
    assert b_frames and not _wire_hits(b_frames), _wire_hits(b_frames)
    assert len(b_files) >= 10, [n for n, _ in b_files]
    # export names are per download (timestamp + random token): A's and B's never collide
    assert not {n for n, _ in a_files} & {n for n, _ in b_files}
    print(f"\nisolation: B visited {len(seen_pages)} pages, opened {len(b_files)} exports "
          f"({', '.join(sorted({n.rsplit('.', 1)[-1] for n, _ in b_files}))}), received "
          f"{len(b_frames)} websocket frames ({sum(map(len, b_frames)) / 1e6:.1f} MB); canary hits: 0")

    # ---- A still has the snapshot (B's visit changed nothing)
    a.goto(url + "/company")
    _settle(a, "Company stockpiles")
    value = a.get_by_role("combobox", name="Snapshot", exact=True).input_value()
    assert value.startswith(SNAP), value
    for ctx in (ctx_a, ctx_b):
        ctx.close()


def test_export_file_names_never_collide():
    from chokepoint import export
    names = {export.file_name("company-cover", "csv") for _ in range(5000)}
    assert len(names) == 5000


# ---------------------------------------------------------------------------- caches
FORBIDDEN_PARAMS = {"raw", "data", "upload", "uploaded", "file", "lines", "holdings", "df", "frame", "result",
                    "snapshot", "snap", "tenant", "user", "claims", "store", "ws", "workspace", "parsed"}
ALLOWED_ANNOTATIONS = {"str", "int", "float", "bool", "tuple", "None", "str | None", "int | None"}
FORBIDDEN_IN_BODY = {"session_state", "current_tenant", "Workspace(", "st.user", "file_uploader", ".raw("}


def _cached_functions() -> list[tuple[str, ast.FunctionDef, bool]]:
    out = []
    files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "chokepoint").rglob("*.py"))]
    for f in files:
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for dec in node.decorator_list:
                src = ast.unparse(dec)
                if "cache_data" in src or "cache_resource" in src:
                    out.append((f"{f.relative_to(ROOT)}:{node.name}", node, "cache_data" in src))
    return out


def test_cached_functions_take_only_plain_public_keys():
    found = _cached_functions()
    assert found, "no cached functions found: the scan is broken"
    problems = []
    for where, fn, is_data in found:
        args = fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs
        if fn.args.vararg or fn.args.kwarg:
            problems.append(f"{where}: *args/**kwargs cannot be checked")
        for a in args:
            ann = ast.unparse(a.annotation) if a.annotation is not None else None
            if a.arg.lstrip("_") in FORBIDDEN_PARAMS:
                problems.append(f"{where}: parameter {a.arg!r} looks like user data")
            if ann not in ALLOWED_ANNOTATIONS:
                problems.append(f"{where}: parameter {a.arg!r} has annotation {ann!r}, not a plain value")
        body = "\n".join(ast.unparse(stmt) for stmt in fn.body)
        for word in FORBIDDEN_IN_BODY if is_data else ():
            if word in body:
                problems.append(f"{where}: reads {word!r} inside a cached function")
    assert not problems, "\n".join(problems)
    print(f"\ncached functions checked: {', '.join(w for w, _, _ in found)}")


def _cached_bytes() -> list[bytes]:
    """Every value held by st.cache_data (pickled bytes) and st.cache_resource (pickled here, where
    it can be: connections and pools cannot, and hold no rows) in this process."""
    import pickle

    from streamlit.runtime.caching import cache_data_api, cache_resource_api
    out = []
    for caches in cache_data_api._data_caches._function_caches.values():
        for cache in caches.values():
            storage = cache.storage
            mem = getattr(storage, "_mem_cache", None)
            assert mem is not None, f"unknown cache storage {type(storage).__name__}: update this test"
            out += [bytes(v) for v in mem.values()]
    for caches in cache_resource_api._resource_caches._function_caches.values():
        for cache in caches.values():
            for result in list(cache._mem_cache.values()):
                try:
                    out.append(pickle.dumps(result.value))
                except (TypeError, AttributeError, pickle.PicklingError):
                    continue
    return out


def test_no_cached_value_holds_an_upload(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("CHOKEPOINT_WORKSPACE", str(tmp_path / "ws.duckdb"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/company.py").run()
    at.file_uploader(key="company_upload").set_value((FILE, CANARY_CSV, "text/csv")).run()
    assert not at.exception, at.exception
    at.text_input(key="company_save_name").set_value(SNAP).run()
    at.button(key="company_save").click().run()
    assert not at.exception, at.exception
    assert any(SNAP in s.value for s in at.success), [s.value for s in at.success]
    at.button(key="company_open").click().run()          # the snapshot path too
    assert not at.exception, at.exception
    values = _cached_bytes()
    assert values, "no cached values at all: the scan is broken"
    needles = [s.encode() for s in (SITE, SNAP, FILE)] + [SITE.encode("utf-16-le")]
    needles += NUMBERS
    hits = [n for v in values for n in needles if n in v]
    assert not hits, f"a cached value holds upload data: {hits[:3]}"
    print(f"\ncache scan: {len(values)} cached values, no canary")
