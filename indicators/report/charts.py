"""matplotlib charts (Agg backend, no pyplot state) rendered to base64 PNG for inline <img>."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # headless; must precede any pyplot import anywhere in the process

from matplotlib.figure import Figure  # noqa: E402

PALETTE = ["#1f5f8b", "#e07b39", "#3a9a5b", "#a23b72", "#7f7f7f", "#c9a227"]


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def grouped_bars_with_ci(
    categories: Sequence[str],
    series: dict[str, tuple[Sequence[float | None], Sequence[float | None], Sequence[float | None]]],
    *,
    title: str,
    ylabel: str,
) -> str:
    """Grouped bars (one group per category, one bar per series) with CI error bars.

    series: name -> (estimates, ci_lows, ci_highs) aligned with categories; None = no value."""
    figure = Figure(figsize=(max(6.0, 0.9 * len(categories) * max(1, len(series)) * 0.45 + 3), 3.6))
    axes = figure.add_subplot()
    width = 0.8 / max(1, len(series))
    for k, (name, (estimates, lows, highs)) in enumerate(series.items()):
        xs, ys, err_low, err_high = [], [], [], []
        for i, (value, low, high) in enumerate(zip(estimates, lows, highs)):
            if value is None:
                continue
            xs.append(i - 0.4 + width * (k + 0.5))
            ys.append(value)
            err_low.append(max(0.0, value - low) if low is not None else 0.0)
            err_high.append(max(0.0, high - value) if high is not None else 0.0)
        axes.bar(xs, ys, width=width * 0.95, label=name, color=PALETTE[k % len(PALETTE)])
        axes.errorbar(xs, ys, yerr=[err_low, err_high], fmt="none", ecolor="black", capsize=2, linewidth=0.8)
    # Long labels (model names and variants) are slanted so that neighbours do not overlap.
    slanted = max((len(str(c)) for c in categories), default=0) > 12
    tick_style = {"rotation": 20, "ha": "right", "fontsize": 7} if slanted else {}
    axes.set_xticks(range(len(categories)), [str(c) for c in categories], **tick_style)
    axes.set_ylabel(ylabel)
    axes.set_title(title, fontsize=10)
    axes.set_ylim(0, 100)
    axes.grid(axis="y", alpha=0.3)
    if len(series) > 1:
        # Below the axes (and the slanted labels), so the legend never hides a bar near 100%.
        axes.legend(fontsize=7, ncols=min(5, len(series)), loc="upper center",
                    bbox_to_anchor=(0.5, -0.45 if slanted else -0.1), frameon=False)
    return _png(figure)


def bars(categories: Sequence[str], values: Sequence[float], *, title: str, ylabel: str,
         ylim: tuple[float, float] | None = None) -> str:
    figure = Figure(figsize=(max(5.0, 0.6 * len(categories) + 2), 3.2))
    axes = figure.add_subplot()
    axes.bar(range(len(categories)), values, color=PALETTE[0])
    axes.set_xticks(range(len(categories)), [str(c) for c in categories], rotation=30 if len(categories) > 6 else 0, ha="right" if len(categories) > 6 else "center")
    axes.set_ylabel(ylabel)
    axes.set_title(title, fontsize=10)
    if ylim:
        axes.set_ylim(*ylim)
    axes.grid(axis="y", alpha=0.3)
    return _png(figure)


def stacked_bars(categories: Sequence[str], stacks: dict[str, Sequence[float]], *, title: str,
                 ylabel: str) -> str:
    figure = Figure(figsize=(max(5.0, 0.6 * len(categories) + 3), 3.4))
    axes = figure.add_subplot()
    bottom = [0.0] * len(categories)
    for k, (name, values) in enumerate(stacks.items()):
        axes.bar(range(len(categories)), values, bottom=bottom, label=name, color=PALETTE[k % len(PALETTE)])
        bottom = [b + v for b, v in zip(bottom, values)]
    axes.set_xticks(range(len(categories)), [str(c) for c in categories])
    axes.set_ylabel(ylabel)
    axes.set_title(title, fontsize=10)
    axes.legend(fontsize=7, frameon=False)
    axes.grid(axis="y", alpha=0.3)
    return _png(figure)
