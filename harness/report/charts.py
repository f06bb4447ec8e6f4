"""The post-mortem's two charts, drawn with matplotlib (Agg, no display) from the run's facts.

`timechart.png`, Grafana-like on one m:ss axis: a lane of bands (the chaos, the alert pending and
firing) with every milestone labelled, orders per interval coloured by what the diner got (ok,
slow, bad pizza, failed), and the order latency's p50 and p95. `logerrors.png`: failed orders and
the service's error log lines per interval (the seed's logErrors).
Both are drawn 8 inches wide at 150 dpi with 11-point text: at 700 px a label is still ~12 px.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.report.facts import Facts
from harness.report.marks import Band, Label, bands, labels, marks
from harness.report.series import Series, failed_per_bin, mmss, series

TIMECHART, LOGERRORS = "timechart.png", "logerrors.png"
COLOURS = {"ok": "#3b8b4c", "slow": "#e0a100", "bad pizza": "#8e44ad", "failed": "#c8372d"}
LOG_COLOUR = "#6b4c9a"
WIDTH_IN, DPI, FONT = 8.0, 150, 11.0
LEFT, RIGHT = 0.1, 0.98  # axes edges, as fractions of the figure width
LANE_IN = 0.27


def _pyplot() -> Any:
    """matplotlib, loaded when a chart is drawn: every `harness` command (servers included)
    imports this package, and matplotlib costs about a second to import."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def chart_end(facts: Facts, data: Series) -> float:
    """The x axis's end: the last bin, or a later milestone."""
    times = [data.starts[-1] + data.width]
    times += [b.end or b.start for b in bands(facts)] + [m.at for m in marks(facts)]
    return max(times)


def _time_axis(ax: Any, end: float) -> None:
    """m:ss ticks, at most about ten."""
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    step = next((s for s in (15, 30, 60, 120, 300, 600, 900) if end / s <= 10), 1800)
    ax.set_xlim(0, end)
    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: mmss(v)))


def _shade(ax: Any, found: list[Band], end: float, lines: list[tuple[float, str]]) -> None:
    for band in found:
        ax.axvspan(band.start, band.end or end, color=band.colour, alpha=0.1, linewidth=0)
    for at, colour in lines:
        ax.axvline(at, color=colour, linestyle="--", linewidth=1)


def _lanes(ax: Any, facts: Facts, placed: list[Label], end: float) -> None:
    """The top lane: band rows `chaos` and `alert`, and the labels below them."""
    rows = {"chaos": 0, "alert": 1}
    for band in bands(facts):
        stop = band.end if band.end is not None else end
        ax.barh(rows[band.row], stop - band.start, left=band.start, height=0.7, color=band.colour)
    for label in placed:
        ax.text(
            label.at,
            2 + label.lane,
            f" {label.text} ",
            color=label.colour,
            ha="right" if label.right else "left",
            va="center",
            fontweight="bold",
        )
    ax.set_ylim(2 + max((lbl.lane for lbl in placed), default=0) + 0.6, -0.6)
    ax.set_yticks([0, 1], ["chaos", "alert"])
    ax.tick_params(axis="x", labelbottom=False, length=0)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)


def _orders(ax: Any, data: Series) -> None:
    from matplotlib.ticker import MaxNLocator

    bottom = [0] * len(data.starts)
    for name, colour in COLOURS.items():
        counts = data.counts[name]
        ax.bar(
            data.starts,
            counts,
            width=data.width * 0.9,
            align="edge",
            bottom=bottom,
            color=colour,
            label=f"{name} ({sum(counts)})",
        )
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    ax.set_ylim(0, max([*bottom, 1]) * 1.45)  # headroom for the legend
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(f"orders / {data.width:g} s")
    ax.legend(loc="upper left", ncol=4, frameon=False, fontsize=FONT - 1)
    ax.tick_params(axis="x", labelbottom=False)


def _latency(ax: Any, data: Series) -> None:
    mids = [s + data.width / 2 for s in data.starts]
    nan = float("nan")
    for name, values, style in (("p50", data.p50, "-"), ("p95", data.p95, "--")):
        ys = [nan if v is None else v for v in values]
        ax.plot(mids, ys, style, marker="o", markersize=3, color="#1f5fa8", label=name)
    if all(v is None for v in data.p95):
        ax.text(0.5, 0.5, "no timed order", transform=ax.transAxes, ha="center", color="grey")
    ax.set_ylim(bottom=0)
    ax.set_ylabel("latency (s)")
    ax.legend(loc="upper left", ncol=2, frameon=False, fontsize=FONT - 1)
    ax.set_xlabel("scenario time (m:ss)")


def draw_timechart(facts: Facts, path: Path) -> None:
    plt = _pyplot()
    data = series(facts)
    end = chart_end(facts, data)
    width_px = WIDTH_IN * DPI * (RIGHT - LEFT)
    placed = labels(facts, width_px / end, width_px, FONT, DPI)
    lanes_in = LANE_IN * (2 + 1 + max((lbl.lane for lbl in placed), default=0))
    heights = [lanes_in, 2.4, 1.5]
    total = sum(heights) + 1.3
    with plt.rc_context({"font.size": FONT}):
        fig = plt.figure(figsize=(WIDTH_IN, total))
        grid = fig.add_gridspec(3, 1, height_ratios=heights, hspace=0.12)
        fig.subplots_adjust(left=LEFT, right=RIGHT, top=1 - 0.45 / total, bottom=0.5 / total)
        top = fig.add_subplot(grid[0])
        orders = fig.add_subplot(grid[1], sharex=top)
        wait = fig.add_subplot(grid[2], sharex=top)
        _time_axis(top, end)
        _lanes(top, facts, placed, end)
        lines = [(m.at, m.colour) for m in marks(facts)]
        for ax in (top, orders, wait):
            _shade(ax, [] if ax is top else bands(facts), end, lines)
        _orders(orders, data)
        _latency(wait, data)
        top.set_title(f"{facts.scenario}: orders and order latency", loc="left")
        _save(fig, path)


def draw_logerrors(facts: Facts, path: Path) -> None:
    plt = _pyplot()
    data = series(facts)
    end = chart_end(facts, data)
    failed = failed_per_bin(data)
    with plt.rc_context({"font.size": FONT}):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, 3.0))
        fig.subplots_adjust(left=LEFT, right=RIGHT, top=0.86, bottom=0.2)
        half = data.width * 0.45
        ax.bar(
            data.starts,
            failed,
            width=half,
            align="edge",
            color=COLOURS["failed"],
            label=f"failed orders ({sum(failed)})",
        )
        ax.bar(
            [s + half for s in data.starts],
            data.log_errors,
            width=half,
            align="edge",
            color=LOG_COLOUR,
            label=f"error log lines ({sum(data.log_errors)})",
        )
        _shade(ax, [b for b in bands(facts) if b.row == "chaos"], end, [])
        _time_axis(ax, end)
        ax.set_ylim(0, max([*failed, *data.log_errors, 1]) * 1.45)
        ax.legend(loc="upper left", ncol=2, frameon=False, fontsize=FONT - 1)
        ax.set_title(f"failed orders and error log lines per {data.width:g} s", loc="left")
        ax.set_xlabel("scenario time (m:ss)")
        _save(fig, path)


def _save(fig: Any, path: Path) -> None:
    fig.savefig(path, format="png", dpi=DPI, metadata={"Software": None})
    _pyplot().close(fig)


def draw(facts: Facts, run_dir: Path) -> list[Path]:
    paths = [run_dir / TIMECHART, run_dir / LOGERRORS]
    draw_timechart(facts, paths[0])
    draw_logerrors(facts, paths[1])
    return paths
