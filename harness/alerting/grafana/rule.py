"""A Grafana rule as the harness understood it: its queries and expressions, compiled and in
evaluation order, its condition, timings and no-data/error handling, all in scenario seconds.
`describe` turns each step back into one line as the team wrote it (for `harness grafana check`
and the post-mortem)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from harness.alerting.grafana.gotemplate import GrafanaTemplate
from harness.alerting.grafana.mathparse import Expr
from harness.alerting.grafana.reducers import THRESHOLD_TEXT
from harness.alerting.nodes import Node
from harness.durations import format_duration


@dataclass(frozen=True)
class QueryNode:
    ref_id: str
    datasource_uid: str
    expr_text: str
    expr: Node
    instant: bool
    from_s: float
    to_s: float
    step_s: float


@dataclass(frozen=True)
class ReduceNode:
    ref_id: str
    input: str
    reducer: str
    mode: str = ""
    replace_with: float = 0.0


@dataclass(frozen=True)
class MathNode:
    ref_id: str
    text: str
    expr: Expr
    inputs: frozenset[str]


@dataclass(frozen=True)
class Evaluator:
    kind: str
    params: tuple[float, ...]


@dataclass(frozen=True)
class ThresholdNode:
    ref_id: str
    input: str
    evaluator: Evaluator
    recovery: Evaluator | None = None  # Grafana's "unloadEvaluator"


@dataclass(frozen=True)
class ClassicCondition:
    input: str
    reducer: str
    evaluator: Evaluator
    operator: str  # and | or (with the conditions before it)


@dataclass(frozen=True)
class ClassicNode:
    ref_id: str
    conditions: tuple[ClassicCondition, ...]


Step = QueryNode | ReduceNode | MathNode | ThresholdNode | ClassicNode


@dataclass(frozen=True)
class Routing:
    """A rule's own contact point (simplified routing), if it names one."""

    receiver: str
    group_by: tuple[str, ...] | None = None
    group_wait_s: float | None = None
    group_interval_s: float | None = None
    repeat_interval_s: float | None = None


@dataclass(frozen=True)
class GrafanaRule:
    uid: str
    title: str
    folder: str
    group: str
    interval_s: float
    condition: str
    steps: tuple[Step, ...]  # evaluation order: every step after the steps it reads
    for_s: float = 0.0
    keep_firing_for_s: float = 0.0
    no_data_state: str = "NoData"
    exec_err_state: str = "Error"
    labels: Mapping[str, GrafanaTemplate] = field(default_factory=dict)
    annotations: Mapping[str, GrafanaTemplate] = field(default_factory=dict)
    paused: bool = False
    routing: Routing | None = None
    missing_series_evals: int = 2
    where: str = ""  # file and rule, for messages

    def step(self, ref_id: str) -> Step:
        return next(s for s in self.steps if s.ref_id == ref_id)

    def queries(self) -> list[QueryNode]:
        return [s for s in self.steps if isinstance(s, QueryNode)]


def inputs_of(step: Step) -> set[str]:
    """The refIds a step reads."""
    if isinstance(step, QueryNode):
        return set()
    if isinstance(step, MathNode):
        return set(step.inputs)
    if isinstance(step, ClassicNode):
        return {c.input for c in step.conditions}
    return {step.input}


def _evaluator(ref: str, ev: Evaluator) -> str:
    return THRESHOLD_TEXT.get(ev.kind, ev.kind + " {1}").format(ref, *(f"{p:g}" for p in ev.params))


def describe(step: Step, condition: str = "") -> str:
    """One line per step, e.g. `B = reduce last(A)`, `C = threshold B > 3 (condition)`."""
    text = f"{step.ref_id} = " + _body(step)
    return text + ("   <- condition" if step.ref_id == condition else "")


def _body(step: Step) -> str:
    if isinstance(step, QueryNode):
        kind = "instant" if step.instant else f"range, step {format_duration(step.step_s)}"
        window = f"last {format_duration(step.from_s)}" if not step.instant else "at evaluation"
        if step.to_s:
            window += f" until {format_duration(step.to_s)} ago"
        return f"query `{step.expr_text}` ({kind}, {window}; data source {step.datasource_uid})"
    if isinstance(step, ReduceNode):
        mode = {"dropNN": ", drop non-numeric", "replaceNN": f", replace non-numeric with "
                f"{step.replace_with:g}"}.get(step.mode, ", strict")  # fmt: skip
        return f"reduce {step.reducer}({step.input}){mode}"
    if isinstance(step, MathNode):
        return f"math {step.text}"
    if isinstance(step, ThresholdNode):
        text = f"threshold {_evaluator(step.input, step.evaluator)}"
        if step.recovery is not None:
            text += f", recovers when {_evaluator(step.input, step.recovery)}"
        return text
    parts = []
    for i, c in enumerate(step.conditions):
        joint = f" {c.operator.upper()} " if i else ""
        parts.append(f"{joint}{_evaluator(f'{c.reducer}({c.input})', c.evaluator)}")
    return "classic condition " + "".join(parts)
