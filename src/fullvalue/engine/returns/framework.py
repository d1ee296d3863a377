"""Funders' frameworks: what a funder asks for, over which periods, as data in TOML.

A framework names its funder, its reporting period (``month``, ``quarter``, ``half-year`` or
``year``) aligned to a year start (``year_start = "04-01"`` for financial years; default
``"01-01"``), the breakdowns it wants (``sex``, ``ethnicity``, ``age_band``, ``area``) and its
indicators, each with an ``id``, a ``label``, a ``measure`` and the vocabulary ``codes`` it
counts. ``docs/framework.schema.json`` documents the format as a JSON Schema; this module checks
the same rules by hand (so the engine needs no schema library) and names every problem.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fullvalue.engine.returns.vocabulary import load_vocabulary
from fullvalue.errors import FullvalueError, Problem

Measure = Literal["participants", "records", "sum", "share", "mean_change"]
MEASURES: tuple[str, ...] = ("participants", "records", "sum", "share", "mean_change")
#: Months in each reporting period.
PERIOD_MONTHS: dict[str, int] = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}
BREAKDOWNS: tuple[str, ...] = ("sex", "ethnicity", "age_band", "area")
FIELDS = frozenset({"id", "funder", "title", "period", "year_start", "breakdowns", "indicators"})
INDICATOR_FIELDS = frozenset({"id", "label", "measure", "codes"})
IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
YEAR_START = re.compile(r"^(\d\d)-(\d\d)$")


@dataclass(frozen=True)
class Indicator:
    """One figure a funder asks for: ``measure`` over the records with one of ``codes``."""

    id: str
    label: str
    measure: Measure
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Framework:
    """A funder's framework.

    ``year_start`` is ``(month, day)``; reporting periods are ``PERIOD_MONTHS[period]`` calendar
    months long and one of them starts on that day every year.
    """

    id: str
    funder: str
    title: str
    period: str
    year_start: tuple[int, int]
    breakdowns: tuple[str, ...]
    indicators: tuple[Indicator, ...]

    @property
    def months(self) -> int:
        """Months in one reporting period."""
        return PERIOD_MONTHS[self.period]


def add_months(start: dt.date, months: int) -> dt.date:
    """Return ``start`` moved by whole calendar months (the day must exist in every month).

    Examples
    --------
    >>> add_months(dt.date(2025, 4, 1), 11)
    datetime.date(2026, 3, 1)
    >>> add_months(dt.date(2025, 4, 1), -4)
    datetime.date(2024, 12, 1)

    """
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, start.day)


def period_index(framework: Framework, day: dt.date) -> int:
    r"""Return the number of the reporting period containing ``day``.

    Notes
    -----
    With year start month :math:`M_0` and day :math:`D_0` and periods of :math:`n` months, a
    date :math:`(y, m, d)` lies :math:`u = 12y + m - M_0 - [d < D_0]` months after the start of
    month 0 of year 0, and in period :math:`\lfloor u / n \rfloor`. Period :math:`k` starts on
    day :math:`D_0` of month :math:`M_0 + kn` and ends the day before period :math:`k + 1`.

    Examples
    --------
    >>> fy = Framework("f", "Funder", "", "year", (4, 1), (), ())
    >>> period_index(fy, dt.date(2025, 3, 31)), period_index(fy, dt.date(2025, 4, 1))
    (2024, 2025)

    """
    month, first = framework.year_start
    months = 12 * day.year + day.month - month - (1 if day.day < first else 0)
    return months // framework.months


def period_bounds(framework: Framework, index: int) -> tuple[dt.date, dt.date]:
    """Return the first and last day of reporting period ``index``.

    Examples
    --------
    >>> half = Framework("f", "Funder", "", "half-year", (4, 1), (), ())
    >>> period_bounds(half, period_index(half, dt.date(2025, 12, 25)))
    (datetime.date(2025, 10, 1), datetime.date(2026, 3, 31))

    """
    month, first = framework.year_start
    months = month - 1 + index * framework.months
    start = dt.date(months // 12, months % 12 + 1, first)
    end = add_months(start, framework.months) - dt.timedelta(days=1)
    return start, end


def periods_within(
    framework: Framework, start: dt.date, end: dt.date
) -> Iterator[tuple[int, dt.date, dt.date]]:
    """Yield ``(index, first day, last day)`` of every period inside ``start`` to ``end``.

    A period is inside when it starts on or after ``start`` and ends on or before ``end``.

    Examples
    --------
    >>> quarters = Framework("f", "Funder", "", "quarter", (4, 1), (), ())
    >>> [(s.isoformat(), e.isoformat()) for _, s, e in periods_within(
    ...     quarters, dt.date(2025, 3, 1), dt.date(2025, 12, 31))]
    [('2025-04-01', '2025-06-30'), ('2025-07-01', '2025-09-30'), ('2025-10-01', '2025-12-31')]

    """
    index = period_index(framework, start)
    while True:
        first, last = period_bounds(framework, index)
        if last > end:
            return
        if first >= start:
            yield index, first, last
        index += 1


def _year_start(value: Any, problems: list[Problem]) -> tuple[int, int]:
    match = YEAR_START.match(value) if isinstance(value, str) else None
    month, day = (int(match[1]), int(match[2])) if match else (0, 0)
    if not (1 <= month <= 12 and 1 <= day <= 28):
        problems.append(
            Problem(
                f'{value!r} is not a year start: give it as "MM-DD" with a day from 01 to 28 '
                '(so that every month has it), e.g. "04-01"',
                "year_start",
            )
        )
        return 1, 1
    return month, day


def _text(data: Mapping[str, Any], key: str, where: str, problems: list[Problem]) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(f"{key} is missing or not text", f"{where}{key}"))
        return ""
    return value


def _unknown(data: Mapping[str, Any], known: frozenset[str], where: str) -> list[Problem]:
    return [
        Problem(f"unknown field (fields are: {', '.join(sorted(known))})", f"{where}{key}")
        for key in data
        if key not in known
    ]


def _indicator(entry: Any, where: str, problems: list[Problem]) -> Indicator | None:
    if not isinstance(entry, dict):
        problems.append(Problem("an indicator is a table (id, label, measure, codes)", where))
        return None
    where += "."
    problems += _unknown(entry, INDICATOR_FIELDS, where)
    identifier = _text(entry, "id", where, problems)
    if identifier and not IDENTIFIER.match(identifier):
        problems.append(
            Problem("use lower-case letters, digits, '_', '-' and '.' only", f"{where}id")
        )
    label = _text(entry, "label", where, problems)
    measure = entry.get("measure")
    if measure not in MEASURES:
        problems.append(
            Problem(
                f"unknown measure {measure!r} (measures: {', '.join(MEASURES)})", f"{where}measure"
            )
        )
    codes = entry.get("codes")
    vocabulary = load_vocabulary().codes
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        problems.append(Problem("codes is missing or not a list of codes", f"{where}codes"))
        return None
    for code in codes:
        if code not in vocabulary:
            close = difflib.get_close_matches(code, list(vocabulary), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(
                Problem(f"{code!r} is not in the shared vocabulary{hint}", f"{where}codes")
            )
    if len(set(codes)) != len(codes):
        problems.append(Problem("a code is listed twice", f"{where}codes"))
    if measure == "mean_change":
        if len(codes) != 1:
            problems.append(
                Problem(
                    f"a mean_change indicator takes one code only, not {len(codes)} "
                    "(the change of one scale)",
                    f"{where}codes",
                )
            )
        elif codes[0] in vocabulary and vocabulary[codes[0]].value == "none":
            problems.append(
                Problem(f"{codes[0]!r} carries no value to take a change of", f"{where}codes")
            )
    if measure == "sum":
        valueless = [c for c in codes if c in vocabulary and vocabulary[c].value == "none"]
        if valueless:
            problems.append(
                Problem(f"{', '.join(valueless)} carry no value to add up", f"{where}codes")
            )
    return Indicator(identifier, label, measure, tuple(codes))  # type: ignore[arg-type]


def validate_framework(data: Mapping[str, Any]) -> Framework:
    """Check a framework read from TOML and build it, listing every problem at once.

    Raises
    ------
    FullvalueError
        Code ``invalid-framework``: one problem per broken rule, each at its field
        (``indicators[2].measure``).

    """
    problems = _unknown(data, FIELDS, "")
    identifier = _text(data, "id", "", problems)
    if identifier and not IDENTIFIER.match(identifier):
        problems.append(Problem("use lower-case letters, digits, '_', '-' and '.' only", "id"))
    funder = _text(data, "funder", "", problems)
    title = data.get("title", "")
    if not isinstance(title, str):
        problems.append(Problem("title is not text", "title"))
    period = data.get("period")
    if period not in PERIOD_MONTHS:
        problems.append(
            Problem(f"unknown period {period!r} (periods: {', '.join(PERIOD_MONTHS)})", "period")
        )
    year_start = _year_start(data.get("year_start", "01-01"), problems)
    breakdowns = data.get("breakdowns", [])
    if not isinstance(breakdowns, list) or any(b not in BREAKDOWNS for b in breakdowns):
        problems.append(Problem(f"breakdowns are a list of: {', '.join(BREAKDOWNS)}", "breakdowns"))
        breakdowns = []
    entries = data.get("indicators")
    indicators: list[Indicator] = []
    if not isinstance(entries, list) or not entries:
        problems.append(Problem("a framework has at least one [[indicators]] table", "indicators"))
        entries = []
    for number, entry in enumerate(entries):
        indicator = _indicator(entry, f"indicators[{number}]", problems)
        if indicator is not None:
            if any(i.id == indicator.id for i in indicators):
                problems.append(
                    Problem(
                        f"indicator id {indicator.id!r} is used twice", f"indicators[{number}].id"
                    )
                )
            indicators.append(indicator)
    if problems:
        raise FullvalueError.from_problems(
            "The framework has errors.", problems, code="invalid-framework"
        )
    return Framework(
        identifier,
        funder,
        title,
        str(period),
        year_start,
        tuple(dict.fromkeys(breakdowns)),
        tuple(indicators),
    )


def parse_framework(text: str, source: str = "framework") -> Framework:
    """Read a framework from TOML text, and validate it.

    Examples
    --------
    >>> framework = parse_framework('''
    ... id = "pcc-2025"
    ... funder = "Police and Crime Commissioner"
    ... period = "quarter"
    ... year_start = "04-01"
    ... [[indicators]]
    ... id = "housed"
    ... label = "People moved into settled accommodation"
    ... measure = "participants"
    ... codes = ["accommodation.settled"]
    ... ''')
    >>> framework.period, framework.year_start, framework.indicators[0].codes
    ('quarter', (4, 1), ('accommodation.settled',))
    >>> try:
    ...     parse_framework('''
    ... id = "x"
    ... funder = "F"
    ... period = "fortnight"
    ... [[indicators]]
    ... id = "a"
    ... label = "A"
    ... measure = "mean_change"
    ... codes = ["star.work", "star.home"]
    ... ''', source="x.toml")
    ... except FullvalueError as exc:
    ...     print(exc)
    The framework has errors.
      - x.toml: period: unknown period 'fortnight' (periods: month, quarter, half-year, year)
      - x.toml: indicators[0].codes: a mean_change indicator takes one code only, not 2 (the
        change of one scale)

    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FullvalueError.from_problems(
            "The framework is not valid TOML.",
            [Problem(reason=str(exc), location=source, source=source)],
            code="invalid-framework",
        ) from exc
    try:
        return validate_framework(data)
    except FullvalueError as exc:
        exc.problems = [
            Problem(p.reason, f"{source}: {p.location}", p.row, p.column, source=source)
            for p in exc.problems
        ]
        raise


def load_framework(path: str | Path) -> Framework:
    """Read a framework from a TOML file, and validate it (problems name the file)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FullvalueError.from_problems(
            "The framework cannot be read.",
            [Problem(reason=exc.strerror or str(exc), location=str(path), source=path.name)],
            code="not-found",
        ) from exc
    return parse_framework(text, source=path.name)
