"""Aggregations, many-to-one matching, label and sort functions, checked against Prometheus's
documentation examples (querying/operators and querying/functions)."""

from __future__ import annotations

import math

import pytest

from harness.alerting import TSDB, EvalError, evaluate
from harness.alerting.promtool import load_series


def db_with(*series: tuple[str, str]) -> TSDB:
    db = TSDB(retention_s=10**9)
    for name, values in series:
        load_series(db, name, values, 60)
    return db


def run(db: TSDB, expr: str, t: float = 0.0) -> list[tuple[tuple[tuple[str, str], ...], float]]:
    value = evaluate(expr, db, t)
    assert isinstance(value, list), f"{expr} gave a scalar"
    return value


def labels(**kv: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(kv.items()))


CPU = tuple(
    (f'cpu{{app="{app}", proc="{proc}"}}', str(v))
    for app, proc, v in [("a", "1", 5), ("a", "2", 1), ("b", "1", 9), ("b", "2", 3), ("c", "1", 7)]
)


def test_topk_and_bottomk_keep_the_series_largest_or_smallest_first() -> None:
    db = db_with(*CPU)
    top = run(db, "topk(3, cpu)")
    assert [v for _, v in top] == [9, 7, 5]
    assert top[0][0] == labels(__name__="cpu", app="b", proc="1")
    assert [v for _, v in run(db, "bottomk(2, cpu)")] == [1, 3]
    assert dict(run(db, "topk(1, cpu) by (app)")) == {
        labels(__name__="cpu", app="a", proc="1"): 5,
        labels(__name__="cpu", app="b", proc="1"): 9,
        labels(__name__="cpu", app="c", proc="1"): 7,
    }
    assert run(db, "topk(0, cpu)") == []


def test_topk_counts_nan_as_the_smallest() -> None:
    db = db_with(('x{i="1"}', "NaN"), ('x{i="2"}', "1"))
    assert [v for _, v in run(db, "topk(1, x)")] == [1]
    assert [v for _, v in run(db, "bottomk(1, x)")] == [1]


def test_quantile_stddev_stdvar_count_values() -> None:
    db = db_with(*CPU)
    assert dict(run(db, "quantile(0.5, cpu)")) == {(): 5}
    assert dict(run(db, "quantile(0.9, cpu) by (proc)")) == {
        labels(proc="1"): pytest.approx(8.6),
        labels(proc="2"): pytest.approx(2.8),
    }
    assert dict(run(db, "stdvar(cpu)")) == {(): pytest.approx(8.0)}
    assert dict(run(db, "stddev(cpu)")) == {(): pytest.approx(math.sqrt(8.0))}
    db = db_with(
        ('build_version{i="1"}', "1.5"),
        ('build_version{i="2"}', "1.5"),
        ('build_version{i="3"}', "2"),
    )
    assert dict(run(db, 'count_values("version", build_version)')) == {
        labels(version="1.5"): 2,
        labels(version="2"): 1,
    }


ERRORS = (
    ('method_code:http_errors:rate5m{method="get", code="500"}', "24"),
    ('method_code:http_errors:rate5m{method="get", code="404"}', "30"),
    ('method_code:http_errors:rate5m{method="put", code="501"}', "3"),
    ('method_code:http_errors:rate5m{method="post", code="500"}', "6"),
    ('method_code:http_errors:rate5m{method="post", code="404"}', "21"),
    ('method:http_requests:rate5m{method="get"}', "600"),
    ('method:http_requests:rate5m{method="del"}', "34"),
    ('method:http_requests:rate5m{method="post"}', "120"),
)


def test_the_documented_one_to_one_and_group_left_examples() -> None:
    db = db_with(*ERRORS)
    one = 'method_code:http_errors:rate5m{code="500"} / ignoring(code) method:http_requests:rate5m'
    assert dict(run(db, one)) == {labels(method="get"): 0.04, labels(method="post"): 0.05}
    many = "method_code:http_errors:rate5m / ignoring(code) group_left method:http_requests:rate5m"
    assert dict(run(db, many)) == {
        labels(method="get", code="500"): 0.04,
        labels(method="get", code="404"): 0.05,
        labels(method="post", code="500"): 0.05,
        labels(method="post", code="404"): 0.175,
    }


def test_group_left_copies_the_listed_labels_and_group_right_mirrors_it() -> None:
    db = db_with(
        ('requests{instance="i1", job="api"}', "10"),
        ('requests{instance="i2", job="api"}', "20"),
        ('node_info{instance="i1", version="v1"}', "1"),
        ('node_info{instance="i2", version="v2"}', "1"),
    )
    joined = "requests * on(instance) group_left(version) node_info"
    assert dict(run(db, joined)) == {
        labels(instance="i1", job="api", version="v1"): 10,
        labels(instance="i2", job="api", version="v2"): 20,
    }
    mirrored = "node_info * on(instance) group_right(version) requests"
    assert dict(run(db, mirrored)) == dict(run(db, joined))


def test_group_left_needs_a_unique_one_side() -> None:
    db = db_with(('a{x="1", j="1"}', "1"), ('b{y="1", j="1"}', "1"), ('b{y="2", j="1"}', "1"))
    with pytest.raises(EvalError, match="on the right hand-side"):
        run(db, "a * on(j) group_left b")


def test_label_replace_documented_examples() -> None:
    db = db_with(('up{job="api-server", service="a:c"}', "1"))
    expected = {labels(__name__="up", job="api-server", service="a:c", foo="a"): 1}
    assert dict(run(db, 'label_replace(up, "foo", "$1", "service", "(.*):.*")')) == expected
    named = 'label_replace(up, "foo", "$name", "service", "(?P<name>.*):(?P<version>.*)")'
    assert dict(run(db, named)) == expected
    untouched = 'label_replace(up, "foo", "$1", "service", "nomatch(.*)")'
    assert dict(run(db, untouched)) == {labels(__name__="up", job="api-server", service="a:c"): 1}


def test_label_join_documented_example() -> None:
    db = db_with(('up{job="api-server", src1="a", src2="b", src3="c"}', "1"))
    got = dict(run(db, 'label_join(up, "foo", ",", "src1", "src2", "src3")'))
    assert got == {
        labels(__name__="up", job="api-server", src1="a", src2="b", src3="c", foo="a,b,c"): 1
    }


def test_label_replace_refuses_a_bad_regex_at_evaluation() -> None:
    db = db_with(('up{job="a"}', "1"))
    with pytest.raises(EvalError, match="invalid regular expression in label_replace"):
        run(db, 'label_replace(up, "dst", "$1", "job", "(.*")')


def test_sort_and_sort_desc_put_nan_last() -> None:
    db = db_with(('x{i="1"}', "3"), ('x{i="2"}', "NaN"), ('x{i="3"}', "1"), ('x{i="4"}', "2"))
    assert [v for _, v in run(db, "sort(x)")][:3] == [1, 2, 3]
    assert [v for _, v in run(db, "sort_desc(x)")][:3] == [3, 2, 1]
    assert math.isnan(run(db, "sort(x)")[-1][1]) and math.isnan(run(db, "sort_desc(x)")[-1][1])
