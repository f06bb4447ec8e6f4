"""A new diner's first pause, drawn so that diners who join a running ramp order at the steady
rate at once (diners / mean think time), instead of all ordering the moment they arrive and
thinking in step afterwards. This module does not import locust.

With think times T uniform on [a, b], a diner seen at a random moment of its steady life is
in the middle of a pause picked with probability proportional to its length, at a uniform point
of it: the time left is U * T', where T' has density t / E[T] on [a, b] (the length-biased
pause). Drawing the first pause that way makes each diner's orders a stationary renewal process
from its start (renewal theory's equilibrium first interval).
"""

from __future__ import annotations

import math
import random


def first_pause(think_s: tuple[float, float], rng: random.Random) -> float:
    """Seconds a new diner waits before its first order (0 with no think time)."""
    low, high = think_s
    if high <= 0:
        return 0.0
    pause = math.sqrt(low * low + rng.random() * (high * high - low * low))
    return rng.random() * pause
