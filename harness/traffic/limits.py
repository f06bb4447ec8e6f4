"""Open-file limits of the Locust process: each diner holds a socket to the service (two when its
journey also reads the menu or its history), so 10,000 diners need more descriptors than a
shell's usual soft limit of 1,024. This module does not import locust.

Locust raises the soft limit to 10,000 itself when it can; we raise it to what the diners need,
and the hard limit too when we may (root, up to the kernel's fs.nr_open). When the limit cannot
reach the need, the Locust log says so, with the fix (`ulimit -n`, or LimitNOFILE in a unit).
"""

from __future__ import annotations

import resource
from dataclasses import dataclass

SPARE = 256
"""Log files, the events file, the master's sockets, the JWKS fetch: a margin above the diners'."""


@dataclass(frozen=True)
class FdLimit:
    needed: int
    soft: int
    hard: int

    @property
    def enough(self) -> bool:
        return self.soft >= self.needed

    def describe(self) -> str:
        text = f"open files: diners need {self.needed}, limit {self.soft} (hard {self.hard})"
        if self.enough:
            return text
        return (
            f"{text}: NOT ENOUGH, diners beyond the limit fail to connect; raise it with "
            f"`ulimit -n {self.needed}` before starting the harness (or LimitNOFILE= in a unit)"
        )


def needed_for(diners: int, sockets_per_diner: int) -> int:
    return diners * sockets_per_diner + SPARE


def raise_open_files(diners: int, sockets_per_diner: int) -> FdLimit:
    """Raise RLIMIT_NOFILE towards what `diners` need; return what it is now."""
    need = needed_for(diners, sockets_per_diner)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    unlimited = hard == resource.RLIM_INFINITY
    if soft != resource.RLIM_INFINITY and soft < need:
        if not unlimited and hard < need:
            try:  # only root may raise the hard limit
                resource.setrlimit(resource.RLIMIT_NOFILE, (need, need))
            except (ValueError, OSError):
                resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        else:
            resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    big = 1 << 62
    return FdLimit(
        need,
        big if soft == resource.RLIM_INFINITY else soft,
        big if hard == resource.RLIM_INFINITY else hard,
    )
