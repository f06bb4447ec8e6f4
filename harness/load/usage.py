"""What each part of a load test costs the machine while it runs: CPU seconds and resident memory
of the diners' processes (the traffic supervisor and every Locust process under it), the service
and the factory, read from /proc, and the whole machine's busy time. A step's usage is the
difference of two readings, so the figures belong to that step alone.

Why /proc and not psutil: three numbers per process from two files, and the bench already reads
them this way (harness/bench); psutil would add a dependency for nothing more.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
PARTS = ("diners", "service", "factory")
"""The parts a reading names; `diners` is the traffic process tree."""


@dataclass(frozen=True)
class Reading:
    """CPU seconds so far and resident bytes now, per part; `machine`: busy CPU seconds."""

    t: float
    cpu_s: dict[str, float]
    rss: dict[str, int]
    machine_s: float
    available_mb: float  # the machine's MemAvailable


@dataclass
class StepUsage:
    """Usage over one window: % of one core per part and of the machine, memory now."""

    seconds: float
    cpu_percent: dict[str, float] = field(default_factory=dict)  # of one core
    machine_percent: float = 0.0  # of every core together (2 cores busy = 100 %)
    rss_mb: dict[str, float] = field(default_factory=dict)
    available_mb: float = 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "seconds": self.seconds,
            "cpu_percent_of_core": self.cpu_percent,
            "machine_percent": self.machine_percent,
            "rss_mb": self.rss_mb,
            "available_mb": self.available_mb,
        }


def machine_busy_s() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat: everything but idle and iowait)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / CLK_TCK


def available_mb() -> float:
    """The machine's MemAvailable in MB (0 when /proc/meminfo cannot be read)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _stat(pid: int) -> tuple[int, int, int] | None:
    """(parent pid, CPU ticks user+system, resident pages) of `pid`; None once it ended."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[21])


def process_tree(roots: dict[str, int]) -> dict[int, tuple[str, int, int]]:
    """Every live process under each root pid (the root included): pid -> (part, ticks, pages)."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                stats[int(entry.name)] = stat
    part_of = {pid: part for part, pid in roots.items() if pid in stats}
    changed = True
    while changed:  # children of known processes, until no more are found
        changed = False
        for pid, (ppid, _, _) in stats.items():
            if pid not in part_of and ppid in part_of:
                part_of[pid] = part_of[ppid]
                changed = True
    return {pid: (part, stats[pid][1], stats[pid][2]) for pid, part in part_of.items()}


def read(roots: dict[str, int], now: float) -> Reading:
    cpu = dict.fromkeys(roots, 0.0)
    rss = dict.fromkeys(roots, 0)
    for part, ticks, pages in process_tree(roots).values():
        cpu[part] += ticks / CLK_TCK
        rss[part] += pages * PAGE
    return Reading(now, cpu, rss, machine_busy_s(), available_mb())


def between(before: Reading, after: Reading) -> StepUsage:
    """The usage from `before` to `after` (a process that ended in between counts only its
    time up to `before`: the window's figures are then a lower bound)."""
    span = max(after.t - before.t, 1e-9)
    cpu = {
        part: max(0.0, 100 * (after.cpu_s[part] - before.cpu_s.get(part, 0.0)) / span)
        for part in after.cpu_s
    }
    machine = 100 * (after.machine_s - before.machine_s) / span / (os.cpu_count() or 1)
    rss = {part: after.rss[part] / 2**20 for part in after.rss}
    return StepUsage(span, cpu, max(0.0, machine), rss, after.available_mb)
