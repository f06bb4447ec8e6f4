"""The bench's scale rows: one `harness load` ramp of thinking diners (think time 10-30 s) by steps
of 2,500 up to 10,000, fresh factory and service, on this machine with everything else. It runs
once, after the interleaved rounds (it takes about three minutes), and its ratios divide figures
of that one run, or the service row's median of the same bench.

Rows: the most diners held at p95 < 1 s (of 2,500, 5,000, 10,000); ok orders/s at the top step;
that over the smaller of what the think time predicts (diners / mean think) and the service
row's capacity; the diners' processes' CPU as % of the machine, CPU ms per ok order and per diner
per minute, and memory per diner (the resident-memory slope between the first and top steps);
the CPU an ok order costs each part and the orders/s the machine's cores could pay for at that.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from harness.bench.report import Row
from harness.errors import ServerError
from harness.load.config import Load
from harness.load.measure import StepResult
from harness.load.ramp import ConfigResult, Ramp
from harness.load.usage import PARTS
from harness.traffic.steps import StepPlan

DINERS = (2_500, 5_000, 10_000)
"""The sizes whose largest held step is reported; the ramp also runs 7,500 on its way."""
THINK_S = (10.0, 30.0)
STEP_S = 40.0
SPAWN_RATE = 160.0
"""Diners started per second (one registration each): 2,500 new diners start within 16 s."""
MACHINE_SHARE_MAX = 25.0
RATIO_MIN = 0.9


@dataclass
class ScaleRun:
    result: ConfigResult
    service_capacity: float | None

    @property
    def top(self) -> StepResult | None:
        return self.result.steps[-1] if self.result.steps else None


def run_scale(folder: Path, service_capacity: float | None) -> ScaleRun:
    """The ramp, its run folder (logs, orders, Locust report) kept in `folder`."""
    load = Load(think_time=THINK_S, degradations={})
    plan = StepPlan(
        start=DINERS[0], step=DINERS[0], max=DINERS[-1], step_s=STEP_S, spawn_rate=SPAWN_RATE
    )
    shutil.rmtree(folder, ignore_errors=True)  # only the last run's
    result = Ramp("healthy", None, load, plan, folder, progress=_say).run()
    if result.status not in ("held", "broke"):
        raise ServerError(f"the scale ramp failed: {result.detail} (run folder {folder})")
    return ScaleRun(result, service_capacity)


def _say(text: str) -> None:
    if "step" in text and " s in:" not in text:  # the judged steps, not the 5 s lines
        print(f"bench: {text}", flush=True)


def predicted(step: StepResult) -> float:
    return step.diners / (sum(THINK_S) / 2)


def scale_rows(run: ScaleRun) -> list[Row]:
    steps, top = run.result.steps, run.top
    if top is None:
        return []
    held = [s.diners for s in steps if s.held and s.diners in DINERS]
    rows = [
        Row("scale_held", "diners held, p95 < 1 s, think 10-30 s", "diners", [max(held, default=0)],
            target=DINERS[-1]),
        Row("scale_ok", f"  ok orders/s at {top.diners:,} diners", "orders/s", [top.good_per_s]),
        Row("scale_predicted", "  predicted: diners / mean think", "orders/s", [predicted(top)]),
    ]  # fmt: skip
    bound = predicted(top)
    if run.service_capacity:
        bound = min(bound, run.service_capacity)
    label = "  ok / min(predicted, service row)" if run.service_capacity else "  ok / predicted"
    rows.append(Row("scale_ratio", label, "ratio", [top.good_per_s / bound], target=RATIO_MIN))
    usage = top.usage
    if usage is not None:
        diners_cpu = usage.cpu_percent.get("diners", 0.0)
        share = diners_cpu / max(1, _cores())
        per_order = 10 * diners_cpu / top.good_per_s if top.good_per_s else 0.0
        per_diner_min = diners_cpu / 100 * 60_000 / top.diners
        rows += [
            Row("scale_cpu", "  diners' CPU, % of the machine", "%", [share],
                target=MACHINE_SHARE_MAX, at_most=True),
            Row("scale_cpu_order", "  diners' CPU per ok order", "ms", [per_order]),
            Row("scale_cpu_diner", "  diners' CPU per diner-minute", "ms", [per_diner_min]),
        ]  # fmt: skip
        rows += ceiling_rows(top)
    first = steps[0].usage
    if usage is not None and first is not None and top.diners > steps[0].diners:
        grown = usage.rss_mb.get("diners", 0.0) - first.rss_mb.get("diners", 0.0)
        per_diner = 1024 * grown / (top.diners - steps[0].diners)
        rows.append(Row("scale_memory", "  diners' memory per diner", "KB", [per_diner]))
        rows.append(
            Row("scale_rss", "  diners' memory at the top step", "MB", [usage.rss_mb["diners"]])
        )
    return rows


def ceiling_rows(top: StepResult) -> list[Row]:
    """Why the machine, not the diners, sets the limit: the CPU one ok order costs each part at
    the top step, and the orders/s every core together could pay for at that cost."""
    assert top.usage is not None
    if not top.good_per_s:
        return []
    cost = {p: 10 * top.usage.cpu_percent.get(p, 0.0) / top.good_per_s for p in PARTS}
    ceiling = 1000 * _cores() / max(sum(cost.values()), 1e-9)
    need = DINERS[-1] / (sum(THINK_S) / 2)
    return [
        Row("scale_cost", "  CPU per ok order, all parts", "ms", [sum(cost.values())]),
        *(Row(f"scale_cost_{p}", f"    {p}", "ms", [cost[p]]) for p in PARTS),
        Row("scale_ceiling", "  this machine's ceiling: cores / that", "orders/s", [ceiling]),
        Row("scale_ceiling_need", f"  ceiling / what {DINERS[-1]:,} diners order",
            "ratio", [ceiling / need]),
    ]  # fmt: skip


def _cores() -> int:
    return os.cpu_count() or 1


def legend(run: ScaleRun) -> str:
    top = run.top
    text = (
        f"Scale: one ramp of {DINERS[0]:,} to {DINERS[-1]:,} diners by {DINERS[0]:,} "
        f"({STEP_S:g} s steps, think {THINK_S[0]:g}-{THINK_S[1]:g} s, {SPAWN_RATE:g} started/s), "
        f"factory 2 workers, service 1 process, diners 1 Locust process, all on this machine."
    )
    if top is not None and top.usage is not None:
        cpu = top.usage.cpu_percent
        text += (
            f" Top step: service {cpu.get('service', 0):.0f}%, factory {cpu.get('factory', 0):.0f}%"
            f", diners {cpu.get('diners', 0):.0f}% of a core; machine "
            f"{top.usage.machine_percent:.0f}% busy; {run.result.detail}."
        )
    return text
