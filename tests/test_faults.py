"""Crashes: kill -9 at random points never leaves a partial snapshot or dataset visible.

Reduced form for CI (a few kills each, fixed seeds); ``make bench`` runs bench/bench_faults.py with
50 kills of each kind. The harness and what it checks are in tests/fault_harness.py.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from chokepoint import db, ingest
from tests import fault_harness as fh

SAVER_KILLS = 6
INGEST_KILLS = 4


def test_killed_saver_leaves_only_whole_snapshots(workspace_target):
    """On both backends (the PostgreSQL one on a throwaway cluster): a killed saver loses nothing it reported."""
    ws_path = workspace_target
    saved_total = 0
    for seed in range(SAVER_KILLS):
        out = fh.kill_saver(ws_path, seed=100 + seed, max_delay_s=1.2)
        assert not out.problems, (seed, out.killed_after_s, out.problems)
        saved_total += len(out.saved)
    print(f"\n{SAVER_KILLS} savers killed with SIGKILL; {saved_total} saves reported, all whole; "
          f"{out.listed} snapshots ({out.rows_checked} lines) checked at the end")
    assert saved_total > 0, "the savers never got to save anything: the kills test nothing"


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return fh.make_release(tmp_path_factory.mktemp("baci"), rows=400_000)


def test_killed_ingest_never_exposes_a_partial_dataset(release, tmp_path):
    home = tmp_path / "datasets"
    ingest.ingest_baci(release, data_dir=home, progress=lambda m: None)
    before = fh.snapshot_dataset(home)
    assert list(before) == ["baci-hs92-v202601"] and before["baci-hs92-v202601"]["rows"] > 300_000
    took = fh.ingest_seconds(release, home)
    assert fh.snapshot_dataset(home) == before          # a whole re-ingest swaps in the same data
    runs = [fh.kill_ingest(release, home, before, seed=200 + k, max_delay_s=took) for k in range(INGEST_KILLS)]
    for r in runs:
        assert not r["problems"], r
    killed_mid = sum(not r["finished"] for r in runs)
    print(f"\n{INGEST_KILLS} re-ingests ({took:.1f} s each) killed ({killed_mid} mid-run); dataset unchanged every time; "
          f"staging folders left behind (ignored by readers): {runs[-1]['leftover']}")


def test_half_written_parquet_in_a_staging_folder_is_never_read(release, tmp_path):
    home = tmp_path / "datasets"
    ingest.ingest_baci(release, data_dir=home, progress=lambda m: None)
    final = home / "baci-hs92-v202601"
    good = final / "trade_flows" / "year=2023" / "baci_y2023.parquet"
    # a crashed ingest's staging folder: complete-looking, but its parquet is cut in half
    stage = home / ".tmp-baci-hs92-v202601-deadbeef"
    shutil.copytree(final, stage)
    half = stage / "trade_flows" / "year=2023" / "baci_y2023.parquet"
    half.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(duckdb.Error):          # the half file is unreadable: reading it would show
        duckdb.sql(f"SELECT count(*) FROM read_parquet('{half}')").fetchall()
    names = [d.name for d in ingest.list_datasets(home)]
    assert names == [ingest.BUILTIN, "baci-hs92-v202601"]
    assert all(".tmp-" not in str(d.path) for d in ingest.list_datasets(home))
    seen = fh.snapshot_dataset(home)
    assert not fh.staging_leaks(seen)
    # the query layer reads the hive folder through its own glob; the dot folder is not matched
    con = db._make_connection(final)
    try:
        n = con.execute("SELECT count(*) FROM trade_flows").fetchone()[0]
    finally:
        con.close()
    assert n == seen["baci-hs92-v202601"]["rows"]


def test_two_processes_on_one_workspace_work_or_say_busy_never_corrupt(tmp_path):
    res = fh.two_writers(tmp_path / "workspace.duckdb", seconds=3.0, retry_s=0.2)
    assert not res["problems"], res["problems"]
    assert res["saved"] > 0 and res["listed"] == res["saved"]
    for line in res["busy"]:
        assert "in use by another process; try again in a moment" in line
    print(f"\ntwo writers for 3 s: {res['saved']} saves, {len(res['busy'])} clear 'busy' refusals, "
          f"{res['rows']} lines whole")


def test_a_swap_killed_between_its_two_renames_does_not_hide_the_dataset(tmp_path):
    """commit() moves the live folder to .old-* and then the new one in; a kill in between leaves
    only .old-*. Listing the datasets puts the complete old copy back."""
    from chokepoint.ingest import ingest_baci, list_datasets, storage
    home = tmp_path / "home"
    ingest_baci(fh.BACI_FIXTURE, data_dir=home, progress=lambda m: None)
    live = next(p for p in home.iterdir() if not p.name.startswith("."))
    before = sorted(x.relative_to(live) for x in live.rglob("*"))
    live.rename(home / f".old-{live.name}-0123abcd")          # the state right after the first rename
    assert [d.name for d in list_datasets(home)][1:] == [live.name]
    assert sorted(x.relative_to(live) for x in live.rglob("*")) == before
    assert not any(p.name.startswith(".old-") for p in home.iterdir())
    assert storage.recover(home) == []


def test_recovery_waits_for_a_swap_under_way(tmp_path):
    """While a swap holds the home's lock, a reader must not 'restore' the folder it moved aside."""
    from chokepoint.ingest import storage
    home = tmp_path / "home"
    (home / ".old-baci-hs92-v202601-0123abcd" / "trade_flows").mkdir(parents=True)
    with storage._swap_lock(home, wait=True) as held:
        assert held
        assert storage.recover(home) == []
        assert not (home / "baci-hs92-v202601").exists()
    assert storage.recover(home) == ["restored baci-hs92-v202601 from .old-baci-hs92-v202601-0123abcd"]
