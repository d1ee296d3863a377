"""Charts of a simulation: the income distribution and the cumulative cash position over time.

Drawn with matplotlib's Agg backend (no display needed), saved as PNG or SVG by the file's
extension.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter

from fullvalue.engine.payments.simulation import SimulationResult
from fullvalue.errors import FullvalueError, Problem

FORMATS = {".png": "png", ".svg": "svg"}


def _pounds(value: float, _: object) -> str:
    """An axis label, the minus sign before the pound: ``−£20k``.

    >>> _pounds(-20000, None), _pounds(1_500_000, None)
    ('−£20k', '£1.5m')
    """
    sign = "−" if value < 0 else ""
    size = abs(value)
    if size >= 1_000_000:
        return f"{sign}£{size / 1_000_000:,.1f}m"
    if size >= 1_000:
        return f"{sign}£{size / 1_000:,.0f}k"
    return f"{sign}£{size:,.0f}"


def plot_simulations(results: Sequence[SimulationResult], path: str | Path) -> Path:
    """Draw the income distribution and the cash position of one or more mechanisms.

    Parameters
    ----------
    results : sequence of SimulationResult
        One result per mechanism; they are drawn on the same axes for comparison.
    path : str or Path
        Output file ending in ``.png`` or ``.svg``.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    FullvalueError
        If the extension is not ``.png`` or ``.svg``, or the file cannot be written.

    """
    target = Path(path)
    file_format = FORMATS.get(target.suffix.lower())
    if file_format is None:
        raise FullvalueError.from_problems(
            "The chart cannot be written.",
            [Problem("The file name must end in .png or .svg.", str(target))],
        )
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained")
    low = min(float(r.income.min()) for r in results)
    high = max(float(r.income.max()) for r in results)
    edges = np.linspace(low, high if high > low else low + 1.0, 61)
    for index, result in enumerate(results):
        colour = f"C{index}"
        left.hist(
            result.income,
            bins=edges,
            weights=np.full(result.income.shape, 1.0 / result.runs),
            alpha=0.55,
            color=colour,
            label=result.contract,
        )
        steps = np.arange(len(result.periods))
        p5, p50, p95 = np.percentile(result.cash, [5, 50, 95], axis=0)
        right.fill_between(steps, p5, p95, color=colour, alpha=0.2)
        right.plot(steps, p50, color=colour, marker="o", label=f"{result.contract} (P50, P5-P95)")
    left.set_title("Provider income over the contract")
    left.set_xlabel("total income")
    left.set_ylabel("share of runs")
    left.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    left.xaxis.set_major_formatter(FuncFormatter(_pounds))
    left.legend(fontsize="small")
    right.axhline(0, color="black", linewidth=0.8)
    right.set_title("Cumulative cash position (income less delivery cost)")
    longest = max(results, key=lambda r: len(r.periods)).periods
    right.set_xticks(np.arange(len(longest)), longest, rotation=45, ha="right")
    right.yaxis.set_major_formatter(FuncFormatter(_pounds))
    right.legend(fontsize="small")
    figure.suptitle(f"{results[0].runs:,} simulated runs, seed {results[0].seed}")
    try:
        figure.savefig(target, format=file_format, dpi=110)
    except OSError as exc:
        raise FullvalueError.from_problems(
            "The chart cannot be written.", [Problem(exc.strerror or str(exc), str(target))]
        ) from exc
    finally:
        plt.close(figure)
    return target
