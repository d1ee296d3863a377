"""Small SVG line charts drawn on the server: a median line, its 5-95% band, a reference line.

Inline SVG scales with the page (readable from 320 px: few, large labels), needs no script and
no image request, and is drawn in well under a millisecond. Each chart goes with a data table
on the page (for screen readers and for exact figures); the SVG itself is ``role="img"`` with a
title and a short description.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from html import escape

WIDTH, HEIGHT = 400, 250
LEFT, RIGHT, TOP, BOTTOM = 62, 10, 12, 44
FONT = 13
BLUE, BLACK, GREY, RED = "#1d70b8", "#0b0c0c", "#505a5f", "#d4351c"


def short_pounds(value: float) -> str:
    """An axis label in pounds, the minus sign before the pound: ``−£20k``, ``£1.5m``, ``£0``.

    >>> short_pounds(-20000), short_pounds(1_500_000), short_pounds(750), short_pounds(0)
    ('−£20k', '£1.5m', '£750', '£0')
    """
    sign = "−" if value < 0 else ""
    size = abs(value)
    if size >= 1_000_000:
        text = f"{size / 1_000_000:,.1f}".removesuffix(".0") + "m"
    elif size >= 1_000:
        text = f"{size / 1_000:,.0f}k"
    else:
        text = f"{size:,.0f}"
    return f"{sign}£{text}" if text != "0" else "£0"


def _ticks(low: float, high: float, count: int = 4) -> list[float]:
    span = high - low or abs(high) or 1.0
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 1e-9:
        ticks.append(round(value, 6))
        value += step
    if ticks[-1] < high:
        ticks.append(ticks[-1] + step)
    return ticks


def band_chart(
    *,
    title: str,
    description: str,
    labels: Sequence[str],
    median: Sequence[Decimal | float],
    low: Sequence[Decimal | float] | None = None,
    high: Sequence[Decimal | float] | None = None,
    projected_from: int | None = None,
    reference: tuple[float, str] | None = None,
    chart_id: str | None = None,
) -> str:
    """An SVG chart of amounts by period: median line, 5-95% band, zero and a reference line.

    ``projected_from`` is the index of the first projected period: points before it are drawn
    as a solid "actual" line, from it as a dashed "projected" line with the band (``None``: all
    one kind, no distinction). ``reference`` is a value and its label (the budget line).
    The markup is escaped; the caller marks it safe.
    """
    ident = chart_id or _id(title)
    n = len(labels)
    values = [float(v) for v in median]
    lows = [float(v) for v in low] if low is not None else values
    highs = [float(v) for v in high] if high is not None else values
    extent = values + lows + highs + [0.0] + ([reference[0]] if reference else [])
    ticks = _ticks(min(extent), max(extent))
    y_min, y_max = ticks[0], ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w * (i + 0.5) / n if n else 0)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - (v - y_min) / ((y_max - y_min) or 1))

    def path(points: list[tuple[float, float]]) -> str:
        return " ".join(
            f"{'M' if k == 0 else 'L'}{px:.1f},{py:.1f}" for k, (px, py) in enumerate(points)
        )

    parts = [
        f'<svg class="fv-svg-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d" font-size="{FONT}" '
        'font-family="GDS Transport, arial, sans-serif">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<desc id="{ident}-d">{escape(description)}</desc>',
    ]
    for tick in ticks:
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{"#b1b4b6" if tick else GREY}" stroke-width="{1 if tick else 1.5}"/>'
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="{BLACK}">'
            f"{escape(short_pounds(tick))}</text>"
        )
    step = max(1, math.ceil(n * 62 / plot_w))
    for i, label in enumerate(labels):
        if i % step == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" '
                f'fill="{BLACK}">{escape(label)}</text>'
            )
    start = 0 if projected_from is None else max(projected_from - 1, 0)
    if low is not None and high is not None and n:
        band = [(x(i), y(highs[i])) for i in range(start, n)]
        band += [(x(i), y(lows[i])) for i in reversed(range(start, n))]
        parts.append(f'<path d="{path(band)} Z" fill="{BLUE}" fill-opacity="0.2" stroke="none"/>')
    if reference is not None:
        ry = y(reference[0])
        label_y = ry - 5 if ry - 5 > TOP + FONT else ry + FONT + 3
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ry:.1f}" y2="{ry:.1f}" stroke="{RED}" '
            f'stroke-width="2" stroke-dasharray="2 3"/>'
            f'<text x="{WIDTH - RIGHT}" y="{label_y:.1f}" text-anchor="end" fill="{RED}">'
            f"{escape(reference[1])}</text>"
        )
    points = [(x(i), y(values[i])) for i in range(n)]
    if projected_from is None:
        parts.append(_line(path(points), dashed=False))
    else:
        if projected_from > 0:
            parts.append(_line(path(points[:projected_from]), dashed=False))
        if projected_from < n:
            parts.append(_line(path(points[start:]), dashed=True))
    for i, (px, py) in enumerate(points):
        hollow = projected_from is not None and i >= projected_from
        parts.append(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{"white" if hollow else BLUE}" '
            f'stroke="{BLUE}" stroke-width="2"/>'
        )
    parts.append(_legend(projected_from is not None, low is not None))
    parts.append("</svg>")
    return "".join(parts)


def _line(d: str, *, dashed: bool) -> str:
    dash = ' stroke-dasharray="7 4"' if dashed else ""
    return f'<path d="{d}" fill="none" stroke="{BLUE}" stroke-width="2.5"{dash}/>'


def _legend(actual_and_projected: bool, band: bool) -> str:
    y0 = HEIGHT - 8
    items = []
    if actual_and_projected:
        items += [("Actual", False), ("Projected (median)", True)]
    else:
        items += [("Median", False)]
    out, xpos = [], LEFT
    for label, dashed in items:
        dash = ' stroke-dasharray="7 4"' if dashed else ""
        out.append(
            f'<line x1="{xpos}" x2="{xpos + 22}" y1="{y0 - 4}" y2="{y0 - 4}" stroke="{BLUE}" '
            f'stroke-width="2.5"{dash}/><text x="{xpos + 26}" y="{y0}" fill="{BLACK}">'
            f"{escape(label)}</text>"
        )
        xpos += 34 + len(label) * 7
    if band:
        out.append(
            f'<rect x="{xpos}" y="{y0 - 10}" width="22" height="12" fill="{BLUE}" '
            f'fill-opacity="0.2"/><text x="{xpos + 26}" y="{y0}" fill="{BLACK}">5-95%</text>'
        )
    return "".join(out)


def _id(title: str) -> str:
    return "chart-" + "".join(c if c.isalnum() else "-" for c in title.lower())[:40]


def paired_bars(
    *,
    title: str,
    description: str,
    labels: Sequence[str],
    first: Sequence[Decimal | float],
    second: Sequence[Decimal | float],
    legend: tuple[str, str],
    chart_id: str | None = None,
) -> str:
    """An SVG chart of two amounts side by side for each label (what each agency puts in and gets).

    Bars are horizontal, each group under its label written in full, so long names fit a phone.
    The first series is blue, the second black; both start from £0 (a negative amount is drawn
    to the left of the zero line). The markup is escaped; the caller marks it safe.
    """
    ident = chart_id or _id(title)
    values = [float(v) for v in first] + [float(v) for v in second]
    ticks = _ticks(min([0.0, *values]), max([0.0, *values]))
    low, high = ticks[0], ticks[-1]
    left, right, bar, gap, label_h, legend_h, axis_h = 28, 30, 14, 3, 20, 26, 22
    group = label_h + 2 * bar + gap + 12
    height = legend_h + group * len(labels) + axis_h
    plot_w = WIDTH - left - right

    def x(v: float) -> float:
        return left + plot_w * (v - low) / ((high - low) or 1)

    parts = [
        f'<svg class="fv-svg-chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d" font-size="{FONT}" '
        'font-family="GDS Transport, arial, sans-serif">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<desc id="{ident}-d">{escape(description)}</desc>',
    ]
    xpos = 4
    for name, colour in zip(legend, (BLUE, BLACK), strict=True):
        parts.append(
            f'<rect x="{xpos}" y="4" width="14" height="14" fill="{colour}"/>'
            f'<text x="{xpos + 20}" y="16" fill="{BLACK}">{escape(name)}</text>'
        )
        xpos += 40 + len(name) * 7
    bottom = legend_h + group * len(labels)
    for tick in ticks:
        parts.append(
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{legend_h}" y2="{bottom}" '
            f'stroke="{"#b1b4b6" if tick else GREY}" stroke-width="{1 if tick else 1.5}"/>'
            f'<text x="{x(tick):.1f}" y="{bottom + 16}" text-anchor="middle" fill="{BLACK}">'
            f"{escape(short_pounds(tick))}</text>"
        )
    for i, label in enumerate(labels):
        top = legend_h + group * i
        parts.append(f'<text x="4" y="{top + 15}" fill="{BLACK}">{escape(label)}</text>')
        for k, (series, colour) in enumerate(((first, BLUE), (second, BLACK))):
            value = float(series[i])
            x0, x1 = sorted((x(0.0), x(value)))
            y0 = top + label_h + k * (bar + gap)
            parts.append(
                f'<rect x="{x0:.1f}" y="{y0}" width="{max(x1 - x0, 0.5):.1f}" height="{bar}" '
                f'fill="{colour}"/>'
            )
    parts.append("</svg>")
    return "".join(parts)


def tornado(
    *,
    title: str,
    description: str,
    base: Decimal | float,
    base_label: str,
    rows: Sequence[tuple[str, Decimal | float, Decimal | float]],
    chart_id: str | None = None,
) -> str:
    """An SVG tornado chart: how far one figure moves when each assumption is moved on its own.

    Each row is (what is moved, the figure at one end, the figure at the other); its bar runs
    between the two, across a vertical line at ``base`` (the figure as the case stands). Rows
    are drawn widest first. The markup is escaped; the caller marks it safe.
    """
    ident = chart_id or _id(title)
    ordered = sorted(rows, key=lambda r: -abs(float(r[2]) - float(r[1])))
    values = [float(base)] + [float(v) for _, a, b in ordered for v in (a, b)]
    ticks = _ticks(min([0.0, *values]), max([0.0, *values]))
    low, high = ticks[0], ticks[-1]
    left, right, bar, label_h, top_h, axis_h = 28, 30, 16, 20, 26, 22
    group = label_h + bar + 12
    height = top_h + group * len(ordered) + axis_h
    plot_w = WIDTH - left - right

    def x(v: float) -> float:
        return left + plot_w * (v - low) / ((high - low) or 1)

    bottom = top_h + group * len(ordered)
    parts = [
        f'<svg class="fv-svg-chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d" font-size="{FONT}" '
        'font-family="GDS Transport, arial, sans-serif">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<desc id="{ident}-d">{escape(description)}</desc>',
    ]
    for tick in ticks:
        parts.append(
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top_h}" y2="{bottom}" '
            f'stroke="{"#b1b4b6" if tick else GREY}" stroke-width="{1 if tick else 1.5}"/>'
            f'<text x="{x(tick):.1f}" y="{bottom + 16}" text-anchor="middle" fill="{BLACK}">'
            f"{escape(short_pounds(tick))}</text>"
        )
    for i, (label, one, other) in enumerate(ordered):
        top = top_h + group * i
        x0, x1 = sorted((x(float(one)), x(float(other))))
        parts.append(
            f'<text x="4" y="{top + 15}" fill="{BLACK}">{escape(label)}</text>'
            f'<rect x="{x0:.1f}" y="{top + label_h}" width="{max(x1 - x0, 0.5):.1f}" '
            f'height="{bar}" fill="{BLUE}"/>'
        )
    bx = x(float(base))
    parts.append(
        f'<line x1="{bx:.1f}" x2="{bx:.1f}" y1="{top_h - 6}" y2="{bottom}" stroke="{RED}" '
        f'stroke-width="2" stroke-dasharray="2 3"/>'
        f'<text x="{min(max(bx, 60), WIDTH - 60):.1f}" y="{top_h - 10}" text-anchor="middle" '
        f'fill="{RED}">{escape(base_label)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
