"""wrk as the load generator of the factory rows, when it is installed (`make bench` installs it).

The factory rows measure a server that needs a whole core; a Python load generator on the same
2 cores takes about 0.4 ms of CPU per request (a third of a core at 800 orders/s) and so caps
the two-worker row. wrk is C and costs a fraction of that. Its Lua `done` hook prints the counts
as one JSON line, so nothing is scraped from its human-readable report.
"""

from __future__ import annotations

import json
import math
import resource
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

from harness.bench.load import Req, Sample, cpu_now, cpu_percent

MARK = "WRK_JSON "
DONE_HOOK = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('%s{"requests":%d,"duration_us":%d,"status":%d,"connect":%d,'
    .. '"read":%d,"write":%d,"timeout":%d}\\n', "MARK", summary.requests, summary.duration,
    e.status, e.connect, e.read, e.write, e.timeout))
end
"""


def available() -> bool:
    return shutil.which("wrk") is not None


def lua_script(req: Req) -> str:
    """The request as wrk's Lua globals, plus the JSON-printing `done` hook."""
    lines = [f"wrk.method = [[{req.method}]]"]
    if req.body is not None:
        lines.append(f"wrk.body = [[{req.body.decode()}]]")
    lines += [f"wrk.headers[ [[{k}]] ] = [[{v}]]" for k, v in req.headers.items()]
    return "\n".join(lines) + DONE_HOOK.replace("MARK", MARK)


def parse(stdout: str) -> dict[str, int]:
    line = next((ln for ln in stdout.splitlines() if ln.startswith(MARK)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{stdout[-500:]}")
    counts: dict[str, int] = json.loads(line.removeprefix(MARK))
    return counts


def to_sample(counts: dict[str, int], cpu: dict[str, float]) -> Sample:
    """Answers that were not a non-2xx status nor a socket error count as good."""
    errors = Counter({k: counts[k] for k in ("status", "connect", "read", "write", "timeout")})
    errors = +errors  # drop zero counts
    good = counts["requests"] - errors["status"] - errors["read"] - errors["timeout"]
    return Sample(max(0, good) / (counts["duration_us"] / 1e6), errors, cpu)


def drive_wrk(req: Req, *, seconds: float, sessions: dict[str, int], in_flight: int = 64) -> Sample:
    """One wrk thread keeping `in_flight` connections busy for `seconds` (whole seconds, >= 1)."""
    duration = max(1, math.ceil(seconds))
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        script = Path(tmp) / "request.lua"
        script.write_text(lua_script(req))
        argv = ["wrk", "-t1", f"-c{in_flight}", f"-d{duration}s", "--timeout", "10s"]
        before, children = cpu_now(sessions), resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            [*argv, "-s", str(script), req.url],
            capture_output=True,
            text=True,
            timeout=duration + 30,
            check=False,
        )
        after, children_after = cpu_now(sessions), resource.getrusage(resource.RUSAGE_CHILDREN)
    counts = parse(done.stdout)
    span = counts["duration_us"] / 1e6
    cpu = cpu_percent(before, after, span)
    wrk_s = (children_after.ru_utime + children_after.ru_stime) - (
        children.ru_utime + children.ru_stime
    )
    cpu.pop("bench", None)
    cpu["wrk"] = 100 * wrk_s / span
    cpu["others"] = max(0.0, cpu.get("others", 0.0) - cpu["wrk"])
    return to_sample(counts, cpu)
