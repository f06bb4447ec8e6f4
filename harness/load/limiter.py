"""What limited a load test's configuration, in one sentence for `capacity.md`: the service, the
factory, the diners' CPU, memory, the whole machine, the configuration's fault, or nothing but
the ramp's top. Read from the usage of the step that broke (or the last step that held)."""

from __future__ import annotations

import os

from harness.load.measure import StepResult
from harness.load.ramp import ConfigResult

SATURATED = 90.0
"""A part counts as the limit at this % of what it can use (a core per process)."""
MEMORY_LOW_MB = 512


def what_limited(result: ConfigResult, factory_workers: int, processes: int = 1) -> str:
    step = result.breaking or (result.steps[-1] if result.steps else None)
    if step is None:
        return f"{result.name}: nothing measured ({result.status})"
    why = _cause(step, factory_workers, processes, held=result.breaking is None)
    fault = "" if result.degradation is None else f" (fault: {result.fault_text()})"
    return f"{result.name}{fault}, step {step.index + 1} ({step.diners} diners): {why}"


def _diners(processes: int) -> str:
    if processes == 1:
        return "the diners' CPU (one Locust process)"
    return f"the diners' CPU ({processes} Locust workers)"


def _cause(step: StepResult, factory_workers: int, processes: int, *, held: bool) -> str:
    u = step.usage
    if u is None:
        return "no usage was read in the step's window (too short?)"
    cpu = u.cpu_percent
    parts = ", ".join(f"{p} {cpu.get(p, 0):.0f}%" for p in ("service", "factory", "diners"))
    figures = f"CPU of a core: {parts}; machine {u.machine_percent:.0f}% of {os.cpu_count()} cores"
    share = {
        "the service (one process)": cpu.get("service", 0.0),
        f"the factory ({factory_workers} workers)": cpu.get("factory", 0.0) / factory_workers,
        _diners(processes): cpu.get("diners", 0.0) / processes,
    }
    busiest, level = max(share.items(), key=lambda kv: kv[1])
    if 0 < u.available_mb < MEMORY_LOW_MB:
        return f"memory: {u.available_mb:,.0f} MB left on the machine ({figures})"
    if level >= SATURATED:
        return f"{busiest}, at {level:.0f}% of what it can use ({figures})"
    if u.machine_percent >= SATURATED:
        return (
            f"the machine's CPU, shared: no part saturated on its own, {busiest} used most "
            f"({figures})"
        )
    if held:
        return f"nothing saturated: the ramp ended at its top step ({figures})"
    return f"latency or errors without a saturated part ({figures}): {step.broken}"
