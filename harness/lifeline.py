"""`python -m harness.lifeline CMD [ARG...]`: runs a command that is not ours (a team's service
under `/bin/sh -c`) so that it ends with the harness, whole process tree included.

The parent-death signal (harness.procs) reaches only the process we start: `sh -c "cd x && node
index.js"` would die and leave node running. The lifeline is that process instead: it starts
CMD in its own process group (the one ManagedProcess stops), and when the harness dies it gets
SIGTERM and passes it to the whole group, then SIGKILL after a grace period.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import suppress
from types import FrameType

GRACE_S = 5.0


def _end_group(child: subprocess.Popen[bytes]) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # ours comes back to us through the group
    with suppress(ProcessLookupError):
        os.killpg(0, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_S
    while child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    with suppress(ProcessLookupError):
        os.killpg(0, signal.SIGKILL)  # last: it ends us too


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m harness.lifeline CMD [ARG...]", file=sys.stderr)
        return 2
    started: list[subprocess.Popen[bytes]] = []

    def stop(_signum: int, _frame: FrameType | None) -> None:
        if started:
            _end_group(started[0])
        else:  # the harness died before the command started: do not start it
            sys.exit(128 + signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    started.append(subprocess.Popen(argv))  # our process group: ManagedProcess stops all of it
    return started[0].wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
