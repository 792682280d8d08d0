"""The protocol-level load generator (bench/bench_load_protocol.py) speaks Streamlit's protocol.

One session at a time (N=1) against a real `streamlit run app.py`: the BackMsg it encodes run the
pages, the ForwardMsg it decodes yield the widgets it then sets (ids from the element protos), the
upload goes through the file_uploader's endpoint and the CSV export it downloads holds that upload.
Asserts correctness only, never a time (figures: `make bench`).
"""
from __future__ import annotations

import asyncio

from bench import bench_load_protocol as blp
from tests.conftest import Server


async def _change_country(url: str):
    async with blp.ProtocolSession(url) as s:
        first = await s.rerun("exposure")
        box = s.widget("selectbox", "Country (importer)").proto
        assert s.session_id and box.id and len(box.options) > 2
        pick = next(o for i, o in enumerate(box.options) if i != box.default)
        changed = await s.set_widget("selectbox", "Country (importer)", string_value=pick)
        try:
            s.widget("slider", "no such slider")
            missing = None
        except blp.JourneyError as e:
            missing = str(e)
        return first, changed, pick, list(s.headings), missing



def _run(coro):
    """asyncio.run in a thread of its own: a browser test earlier in the session (playwright's sync
    API) can leave an event loop running in this thread, and asyncio.run refuses to nest."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()

def test_protocol_sessions_run_the_journey_and_drive_widgets(tmp_path):
    server = Server(tmp_path)
    try:
        res = _run(blp.journey(server.url, 0))
        first, changed, pick, headings, missing = _run(_change_country(server.url))
    finally:
        server.stop()
    assert res["errors"] == []
    assert list(res["times"]) == blp.STEPS                  # every step reached its end message
    assert res["reruns"] == 9                               # 4 page opens + 4 widget changes + the upload
    assert first.status == changed.status == "FINISHED_SUCCESSFULLY"
    country = pick.rsplit(" (", 1)[0]                       # "Germany (DEU)" -> the page's subheader
    assert any(h.startswith(f"{country}:") for h in headings), (pick, headings)
    assert missing and "no slider 'no such slider'" in missing
