"""Progress of an ingest, file by file, for the CLI.

An ingest reports plain messages (``Progress``: a callable taking a string). ``FileProgress`` is
such a callable that also knows the release's trade files: ``begin(files, total_bytes)`` before the
first one, ``file_done(nbytes, message)`` after each. On a terminal it draws a tqdm bar on stderr
(files done, bytes, rate, time left) with the messages printed above it; elsewhere (a pipe, a log,
CI) it writes one line per message, so logs stay readable.
"""
from __future__ import annotations

import sys
from typing import IO, Any


class FileProgress:
    def __init__(self, stream: IO[str] | None = None, bar: bool | None = None):
        self.stream = stream or sys.stderr
        self.bar_wanted = self.stream.isatty() if bar is None else bar
        self._bar: Any = None
        self.files = 0

    def __call__(self, message: str) -> None:
        if self._bar is not None:
            self._bar.write(message, file=self.stream)
        else:
            print(message, file=self.stream, flush=True)

    def begin(self, files: int, total_bytes: int) -> None:
        """Before the first trade file: how many there are and their size in bytes."""
        self.files = files
        if self.bar_wanted and files:
            from tqdm import tqdm
            self._bar = tqdm(total=total_bytes, unit="B", unit_scale=True, unit_divisor=1024, file=self.stream,
                             desc=f"0/{files} files", dynamic_ncols=True, leave=True)

    def file_done(self, n: int, nbytes: int, message: str) -> None:
        """After trade file ``n`` (1-based) of ``nbytes`` bytes: its message, and the bar moves on."""
        self(message)
        if self._bar is not None:
            self._bar.set_description_str(f"{n}/{self.files} files")
            self._bar.update(nbytes)
            if n >= self.files:
                self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
