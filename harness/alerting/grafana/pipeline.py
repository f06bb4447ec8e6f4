"""One evaluation of a Grafana rule at scenario time t: its queries over the TSDB, then its
server-side expressions in order, then its condition turned into per-instance results.

What the condition yields (Grafana's eval.go): each number is one alert instance, Alerting when
non-zero (NaN included), Normal when 0, NoData when null; no number at all is one NoData result
without labels; a series (not reduced) or two numbers with one label set is an Error. Any failing
query or expression makes the whole evaluation an Error (`Outcome.error`).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field

from harness.alerting.grafana.gotemplate import Captured
from harness.alerting.grafana.mathexpr import evaluate_math
from harness.alerting.grafana.reducers import (
    classic_evaluate,
    classic_reduce,
    reduce_points,
    threshold,
)
from harness.alerting.grafana.rule import (
    ClassicNode,
    GrafanaRule,
    MathNode,
    QueryNode,
    ReduceNode,
    Step,
    ThresholdNode,
)
from harness.alerting.grafana.values import (
    Item,
    Number,
    PipelineError,
    Results,
    Series,
    describe_value,
    format_labels,
    is_subset,
)
from harness.alerting.promql import EvalError, evaluate
from harness.alerting.tsdb import TSDB, Labels, drop_name


@dataclass(frozen=True)
class InstanceResult:
    labels: Labels  # the series' labels (rule labels are added by the state machine)
    state: str  # Alerting | Normal | NoData
    value: float | None
    captured: dict[str, Captured] = field(default_factory=dict)
    value_string: str = ""


@dataclass(frozen=True)
class Outcome:
    instances: list[InstanceResult]
    error: PipelineError | None = None

    @property
    def no_data(self) -> bool:
        return (
            self.error is None
            and len(self.instances) == 1
            and not self.instances[0].labels
            and self.instances[0].state == "NoData"
        )


def run_rule(rule: GrafanaRule, tsdb: TSDB, t: float, loaded: Collection[Labels] = ()) -> Outcome:
    """`loaded`: series labels of instances now Alerting/Recovering (the recovery threshold)."""
    try:
        results: dict[str, Results] = {}
        for step in rule.steps:
            results[step.ref_id] = run_step(step, results, tsdb, t, loaded)
        return Outcome(_instances(rule, results))
    except PipelineError as exc:
        return Outcome([], exc)


def run_step(
    step: Step, results: dict[str, Results], tsdb: TSDB, t: float, loaded: Collection[Labels] = ()
) -> Results:
    if isinstance(step, QueryNode):
        return _query(step, tsdb, t)
    if isinstance(step, ReduceNode):
        return [_reduce(step, item) for item in results[step.input]]
    if isinstance(step, MathNode):
        out = evaluate_math(step.expr, {k: results[k] for k in step.inputs}, step.ref_id)
        return out if isinstance(out, list) else [Number((), out)]
    if isinstance(step, ThresholdNode):
        return [_threshold(step, item, loaded) for item in results[step.input]]
    return [_classic(step, results)]


def _query(q: QueryNode, tsdb: TSDB, t: float) -> Results:
    try:
        if q.instant:
            return _numbers(evaluate(q.expr, tsdb, t - q.to_s))
        start = math.floor((t - q.from_s) / q.step_s) * q.step_s
        points: dict[Labels, list[tuple[float, float | None]]] = {}
        at = start
        while at <= t - q.to_s + 1e-9:
            for item in _numbers(evaluate(q.expr, tsdb, at)):
                assert isinstance(item, Number)
                points.setdefault(item.labels, []).append((at, item.value))
            at += q.step_s
    except EvalError as exc:
        raise PipelineError(q.ref_id, f"query failed: {exc}", query_failed=True) from None
    return [Series(labels, tuple(p)) for labels, p in points.items()]


def _numbers(value: object) -> Results:
    if isinstance(value, float):
        return [Number((), value)]
    assert isinstance(value, list)
    return [Number(drop_name(labels), v) for labels, v in value]


def _reduce(step: ReduceNode, item: Item) -> Item:
    if isinstance(item, Number):
        return item
    value = reduce_points([v for _, v in item.points], step.reducer, step.mode, step.replace_with)
    return Number(item.labels, value)


def _threshold(step: ThresholdNode, item: Item, loaded: Collection[Labels]) -> Item:
    if not isinstance(item, Number):
        raise PipelineError(
            step.ref_id,
            f"threshold needs a number; ${step.input} is a series "
            "(add a reduce before the threshold)",
        )
    if step.recovery is not None and item.labels in loaded:
        # a firing instance keeps firing until its recovery threshold is met
        met = threshold(step.recovery.kind, step.recovery.params, item.value)
        return Number(item.labels, None if met is None else 1.0 - met)
    return Number(item.labels, threshold(step.evaluator.kind, step.evaluator.params, item.value))


def _classic(step: ClassicNode, results: dict[str, Results]) -> Item:
    verdict: bool | None = None
    found = False
    for cond in step.conditions:
        firing = False
        for item in results[cond.input]:
            found = True
            points = [item.value] if isinstance(item, Number) else [v for _, v in item.points]
            reduced = classic_reduce(points, cond.reducer)
            firing = firing or classic_evaluate(cond.evaluator.kind, cond.evaluator.params, reduced)
        if verdict is None:
            verdict = firing
        else:
            verdict = (verdict or firing) if cond.operator == "or" else (verdict and firing)
    if not found:
        return Number((), None)
    return Number((), 1.0 if verdict else 0.0)


def _instances(rule: GrafanaRule, results: dict[str, Results]) -> list[InstanceResult]:
    items = results[rule.condition]
    if not items:
        return [InstanceResult((), "NoData", None)]
    seen: set[Labels] = set()
    out = []
    for item in items:
        if isinstance(item, Series):
            raise PipelineError(
                rule.condition,
                "the condition is a series, not numbers: reduce it first (add a reduce expression)",
            )
        if item.labels in seen:
            raise PipelineError(
                rule.condition, f"two results with labels {format_labels(item.labels)}"
            )
        seen.add(item.labels)
        captured = _captured(rule, results, item.labels)
        state = "NoData" if item.value is None else "Normal" if item.value == 0 else "Alerting"
        out.append(
            InstanceResult(item.labels, state, item.value, captured, _value_string(captured))
        )
    return out


def _captured(
    rule: GrafanaRule, results: dict[str, Results], labels: Labels
) -> dict[str, Captured]:
    """The numbers an instance's templates can read: every expression's number whose labels are
    the instance's (or a subset of them), as Grafana fills `$values`."""
    out = {}
    for step in rule.steps:
        if isinstance(step, QueryNode):
            continue
        numbers = [i for i in results[step.ref_id] if isinstance(i, Number)]
        match = [n for n in numbers if is_subset(n.labels, labels)]
        if match or len(numbers) == 1:
            n = (match or numbers)[0]
            out[step.ref_id] = Captured(dict(n.labels), n.value)
    return out


def _value_string(captured: dict[str, Captured]) -> str:
    return ", ".join(
        f"[ var='{ref}' labels={format_labels(tuple(sorted(c.labels.items())))} "
        f"value={describe_value(c.value)} ]"
        for ref, c in sorted(captured.items())
    )
