"""Resident memory and CPU time of a service and its worker processes, read from /proc.

A ``brobygger run`` with ``WEB_PROCESSES`` > 1 is a supervisor with one child per web process;
each is measured on its own (the target is per process) and the children are found through
``/proc/PID/task/PID/children``. Linux only, like the rest of the benchmarks.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from bench.service import rss_of

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def processes(pid: int) -> list[int]:
    """``pid`` and its descendants, parents first; vanished processes are skipped."""
    found: list[int] = []
    queue = [pid]
    while queue:
        current = queue.pop(0)
        found.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        queue.extend(int(child) for child in children)
    return found


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time one process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the command name: state is field 3, utime 14 and stime 15 (1-based, see proc(5)).
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def tree_cpu_seconds(pid: int) -> float:
    return sum(cpu_seconds(each) for each in processes(pid))


def memory_by_process(pid: int) -> dict[int, float]:
    """VmRSS in MB of ``pid`` and of each descendant."""
    return {each: rss_of(each) for each in processes(pid)}


class PeakMemory:
    """Samples the resident memory of a process tree every ``interval`` seconds in a thread;
    ``peak`` holds the largest value seen per process."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.peak: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            for each, mb in memory_by_process(self.pid).items():
                self.peak[each] = max(self.peak.get(each, 0.0), mb)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
