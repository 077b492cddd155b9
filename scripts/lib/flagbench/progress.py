"""One progress line on stderr: phase, counts, ETA and what is being done."""
from __future__ import annotations

import sys
import threading
import time


def fmt_duration(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.5))
    return f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    """Steps counted as done/total; the ETA extrapolates the work done, where a
    step may weigh more than one unit of work (a build against a kernel's
    check), so that steps of unequal length do not mislead it."""

    ETA_AFTER = 0.25    # share of the work done before an ETA is shown

    def __init__(self, phase: str, total: int, stream=sys.stderr, total_work: float | None = None):
        self.phase, self.total, self.done = phase, total, 0
        self.total_work, self.work = (total if total_work is None else total_work), 0.0
        self.stream = stream
        self.tty = stream.isatty()
        self.start = time.monotonic()
        self.last_print = 0.0
        self.lock = threading.Lock()
        self.current = ""

    def step(self, what: str = "", count: int = 1, work: float | None = None) -> None:
        """count steps done, weighing `work` units (default: one a step)."""
        with self.lock:
            self.done += count
            self.work += count if work is None else work
            self.current = what
            self._print()

    def note(self, what: str) -> None:
        with self.lock:
            self.current = what
            self._print()

    def _print(self, final: bool = False) -> None:
        now = time.monotonic()
        # On a terminal the line is redrawn; in a log, one line every 10 s.
        if not final and not self.tty and now - self.last_print < 10 and self.done < self.total:
            return
        self.last_print = now
        elapsed = now - self.start
        eta = "?"
        # No ETA from the first steps: they are the slowest (builds come
        # first, the longest first), and extrapolating them overstates the
        # rest, even weighed.
        if 0 < self.work and self.total_work * self.ETA_AFTER <= self.work and self.done < self.total:
            eta = fmt_duration(elapsed / self.work * max(0.0, self.total_work - self.work))
        elif self.done >= self.total:
            eta = "0:00"
        line = (f"[{self.phase}] {self.done}/{self.total}  elapsed {fmt_duration(elapsed)}  "
                f"ETA {eta}  {self.current}")
        if self.tty:
            width = 120
            self.stream.write("\r" + line[:width].ljust(width))
            if final:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def finish(self) -> None:
        with self.lock:
            self.current = "done"
            self._print(final=True)
