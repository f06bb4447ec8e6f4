"""`histogram_quantile` and `histogram_fraction` over classic `_bucket{le=...}` series.

Buckets are grouped by their labels minus `le` (the name is dropped from the answer); within a
group they are sorted by upper bound, equal bounds merged, float noise (relative 1e-12) smoothed,
decreases flattened (monotonic envelope), then the rank q * count is located and linearly
interpolated inside its bucket, with a lower bound of 0 for the first bucket when its bound is
positive. A quantile in the +Inf bucket answers the highest finite bound. No +Inf bucket, fewer
than two buckets or no observations: NaN. q < 0: -Inf; q > 1: +Inf.
"""

from __future__ import annotations

import math
from bisect import bisect_left

from harness.alerting.tsdb import Labels, drop_name, label_value


def bucket_quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """buckets: (upper bound, cumulative count) pairs in any order."""
    if math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    ordered = sorted(buckets, key=lambda b: b[0])
    if not ordered or ordered[-1][0] != math.inf:
        return math.nan
    merged = _coalesce(ordered)
    bounds = [b for b, _ in merged]
    counts = _monotonic(_smooth_precision([c for _, c in merged], 1e-12))
    if len(merged) < 2:
        return math.nan
    observations = counts[-1]
    if observations == 0:
        return math.nan
    rank = q * observations
    b = bisect_left(counts, rank, hi=len(counts) - 1)  # first bucket whose count >= rank
    if b == len(counts) - 1:
        return bounds[-2]
    if b == 0 and bounds[0] <= 0:
        return bounds[0]
    start, end, count = 0.0, bounds[b], counts[b]
    if b > 0:
        start = bounds[b - 1]
        count -= counts[b - 1]
        rank -= counts[b - 1]
    return start + (end - start) * (rank / count)


def _coalesce(ordered: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out = [ordered[0]]
    for bound, count in ordered[1:]:
        if bound == out[-1][0]:
            out[-1] = (bound, out[-1][1] + count)
        else:
            out.append((bound, count))
    return out


def _smooth_precision(counts: list[float], tolerance: float) -> list[float]:
    out = list(counts)
    prev = out[0]
    for i in range(1, len(out)):
        delta = abs(out[i] - prev)
        if delta == 0:
            continue
        if (delta / out[i] if out[i] else math.inf) <= tolerance:
            out[i] = prev
        else:
            prev = out[i]
    return out


def _monotonic(counts: list[float]) -> list[float]:
    out, top = list(counts), counts[0]
    for i, c in enumerate(counts):
        if c > top:
            top = c
        elif c < top:
            out[i] = top
    return out


def bucket_fraction(lower: float, upper: float, buckets: list[tuple[float, float]]) -> float:
    """The estimated fraction of observations in [lower, upper] (Prometheus's BucketFraction)."""
    ordered = sorted(buckets, key=lambda b: b[0])
    if ordered[-1][0] != math.inf:
        return math.nan
    merged = _coalesce(ordered)
    count = merged[-1][1]
    if count == 0 or math.isnan(lower) or math.isnan(upper):
        return math.nan
    if lower >= upper:
        return 0.0
    lower_rank, upper_rank = _rank_below(lower, merged), _rank_below(upper, merged)
    return (min(upper_rank, count) - min(lower_rank, count)) / count


def _rank_below(v: float, buckets: list[tuple[float, float]]) -> float:
    """How many observations lie below v, interpolating linearly inside its bucket."""
    rank = 0.0
    low = 0.0 if buckets[0][0] > 0 else -math.inf  # positive buckets only: the first starts at 0
    for i, (up, count) in enumerate(buckets):
        if i > 0:
            low = buckets[i - 1][0]
        if low >= v:
            return rank
        if low < v < up:
            return count if low == -math.inf else rank + (count - rank) * (v - low) / (up - low)
        rank = count
    return math.inf  # above every bucket: the caller caps it at the total count


def classic_histograms(
    vector: list[tuple[Labels, float]],
) -> dict[Labels, list[tuple[float, float]]]:
    """Buckets grouped by all labels but `le` (the name included); non-buckets ignored."""
    groups: dict[Labels, list[tuple[float, float]]] = {}
    for labels, value in vector:
        try:
            bound = float(label_value(labels, "le"))
        except ValueError:
            continue  # no `le`, or not a number: not a bucket (Prometheus ignores it too)
        key = tuple(kv for kv in labels if kv[0] != "le")
        groups.setdefault(key, []).append((bound, value))
    return groups


def histogram_quantile(q: float, vector: list[tuple[Labels, float]]) -> list[tuple[Labels, float]]:
    """One answer per histogram, the name dropped (two histograms differing only in name
    collide, as in Prometheus)."""
    groups = classic_histograms(vector)
    return [(drop_name(key), bucket_quantile(q, buckets)) for key, buckets in groups.items()]


def histogram_fraction(
    lower: float, upper: float, vector: list[tuple[Labels, float]]
) -> list[tuple[Labels, float]]:
    groups = classic_histograms(vector)
    return [(drop_name(k), bucket_fraction(lower, upper, b)) for k, b in groups.items()]
