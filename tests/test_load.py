"""Load, reduced: 3 concurrent real browser sessions each get their own content.

Runs bench/bench_load.py's session script (open pages, upload a CSV on /company, download the CSV
of the results) in 3 concurrent Chromium sessions (one browser process each) against one warmed-up server.
Asserts correctness only -- every session finished every step, no exception box, each export
held that session's upload -- never a time. Figures: `make bench` (bench/bench_load.py).
"""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_three_concurrent_sessions_all_get_their_content(browser, tmp_path):
    from bench import bench_load
    server = bench_load.start_server(tmp_path)
    try:
        bench_load.run_sessions(server.url, 1, 1, str(tmp_path))        # warm-up, as the bench does
        before = bench_load.rss_kib(server.proc.pid)
        res = bench_load.run_sessions(server.url, 3, 3, str(tmp_path))
        after = bench_load.rss_kib(server.proc.pid)
    finally:
        server.stop()
    assert len(res) == 3
    for r in res:
        assert not r["errors"], r
        assert set(r["times"]) == set(bench_load.STEPS), r
    print(f"\n3 concurrent sessions: all {len(bench_load.STEPS)} steps done in each; "
          f"server RSS {before / 1024:.0f} -> {after / 1024:.0f} MB")
