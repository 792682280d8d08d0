"""Datasets across hosts: two data homes stand for two hosts. A dataset ingested on host A
is installed on host B with `ingest sync` (whole-folder copy into a staging folder, digest check,
atomic swap); a reader on B never sees a half-copied folder, even when the copy is SIGKILLed.
The BACI release is the generated fixture of tests/fixtures (INVENTED values)."""
from __future__ import annotations

import random
import signal
import subprocess
import sys
import time

from chokepoint import cli, ingest
from chokepoint.ingest.sync import sync_dataset, tree_digest
from tests import fault_harness as fh

SYNC = ("import sys\nfrom chokepoint.ingest.sync import sync_dataset\nprint('READY', flush=True)\n"
        "sync_dataset(sys.argv[1], sys.argv[2])\nprint('DONE', flush=True)\n")


def _ingested(homes):
    return [i for i in ingest.list_datasets(homes) if i.kind != "built-in"]


def test_sync_installs_an_identical_dataset_on_the_other_host(tmp_path, capsys):
    home_a, home_b = tmp_path / "host-a", tmp_path / "host-b"
    res = ingest.ingest_baci(fh.BACI_FIXTURE, data_dir=home_a, progress=lambda m: None)
    assert cli.main(["ingest", "sync", str(res.path), "--data-dir", str(home_b)]) == 0
    assert "installed" in capsys.readouterr().out
    a, b = _ingested(home_a), _ingested(home_b)
    assert [(i.name, i.rows, i.release) for i in a] == [(i.name, i.rows, i.release) for i in b] and b
    assert tree_digest(a[0].path) == tree_digest(b[0].path)
    assert not [p for p in home_b.iterdir() if p.name.startswith(".")], "no staging folder left behind"
    # not a dataset: refused with a message, nothing installed
    assert cli.main(["ingest", "sync", str(tmp_path), "--data-dir", str(tmp_path / "host-c")]) == 2
    assert "not a complete dataset folder" in capsys.readouterr().err


def test_a_reader_never_sees_a_half_copied_folder_even_when_the_copy_is_killed(tmp_path):
    home_a, home_b = tmp_path / "host-a", tmp_path / "host-b"
    small = ingest.ingest_baci(fh.BACI_FIXTURE, data_dir=home_a, progress=lambda m: None)
    sync_dataset(small.path, home_b)                                   # version 1 on both hosts
    v1 = tree_digest(small.path)
    big = ingest.ingest_baci(fh.make_release(tmp_path / "rel", rows=300_000), data_dir=home_a,
                             progress=lambda m: None)                 # version 2 on host A
    v2 = tree_digest(big.path)
    assert v1 != v2
    rnd, seen, kills, finished = random.Random(14), set(), 0, 0
    for run in range(6):
        proc = subprocess.Popen([sys.executable, "-c", SYNC, str(big.path), str(home_b)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=fh.ROOT, env=fh._env())
        assert proc.stdout.readline().strip() == b"READY"
        deadline = time.monotonic() + rnd.uniform(0.02, 1.0)
        while time.monotonic() < deadline and proc.poll() is None:   # a reader on host B, while it copies
            for info in _ingested(home_b):
                try:
                    seen.add(tree_digest(info.path))
                except FileNotFoundError:      # swapped out under the reader: it re-lists next round
                    continue
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(30)
        finished += b"DONE" in proc.stdout.read()
        proc.stdout.close()
        proc.stderr.close()
        listed = _ingested(home_b)
        assert len(listed) == 1 and tree_digest(listed[0].path) in (v1, v2), run
    assert seen <= {v1, v2}, "a reader saw a dataset folder that is neither version"
    assert kills > 0, "no copy was ever killed: the test tested nothing"
    print(f"\n6 syncs, {kills} SIGKILLed mid-copy, {finished} finished; the reader saw only complete versions")
