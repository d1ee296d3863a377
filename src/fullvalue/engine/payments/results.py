"""Measured results and payments already made, read from CSV and checked against a contract.

A results file has one row per measured quantity:

========== ==========================================================================
column     meaning
========== ==========================================================================
period     the settlement period the result is settled in (a name from the contract)
cohort     the cohort (a name from the contract, ``all`` for all cohorts, or blank)
measure    what was measured: a tariff measure (``starts``, ``job_outcome`` ...), a volume
           measure, or a reoffending result (``reoffending_binary`` ...)
group      the payment group, for tariffs with group prices (blank otherwise)
count      a whole number: events for a tariff or volume; people in the cohort for reoffending
treated    reoffending: the cohort's rate (binary, 0-1) or reoffences per person (frequency)
comparison reoffending: the baseline or matched comparison group's rate or frequency
p_value    reoffending: the one-sided p-value of the difference (needed for significance)
========== ==========================================================================

A paid file (the payments ledger) has ``period``, ``cohort``, ``component`` and ``amount`` (GBP);
a settlement's own CSV output can be appended to it once paid.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import polars as pl

from fullvalue.engine.payments.spec import (
    ALL_COHORTS,
    ContractSpec,
    FeeForService,
    Reoffending,
    Tariff,
)
from fullvalue.errors import FullvalueError, Problem

RESULT_COLUMNS = (
    "period",
    "cohort",
    "measure",
    "group",
    "count",
    "treated",
    "comparison",
    "p_value",
)
PAID_COLUMNS = ("period", "cohort", "component", "amount")
REQUIRED_COLUMNS = ("period", "measure", "component", "amount")
#: At most this many problems are listed one by one; the rest are counted.
MAX_LISTED_PROBLEMS = 50


@dataclass(frozen=True)
class ReoffendingResult:
    """One reoffending result: a cohort (or ``all``) against its baseline or comparison.

    ``size``: people in the cohort; ``treated`` and ``comparison``: rate (0-1) or reoffences per
    person; ``p_value``: one-sided p-value of the difference, if measured.
    """

    period: str
    cohort: str
    measure: str
    size: int
    treated: Decimal
    comparison: Decimal
    p_value: Decimal | None
    row: int


CountKey = tuple[str, str, str, str]
#: The columns of a table of summed counts (see :func:`counts_table`).
COUNT_COLUMNS = ("period", "cohort", "measure", "group", "count")


class Counts(Mapping[CountKey, int]):
    """Counts summed by ``(period, cohort, measure, group)``, kept as a polars table.

    A million counts make a million keys; the settlement works on :attr:`table` directly, and
    the mapping is only made if someone looks a count up.
    """

    __slots__ = ("_mapping", "table")

    def __init__(self, table: pl.DataFrame) -> None:
        self.table = table.select(COUNT_COLUMNS)
        self._mapping: dict[CountKey, int] | None = None

    def _dict(self) -> dict[CountKey, int]:
        if self._mapping is None:
            self._mapping = {(p, c, m, g): n for p, c, m, g, n in self.table.iter_rows()}
        return self._mapping

    def __getitem__(self, key: CountKey) -> int:
        return self._dict()[key]

    def __iter__(self) -> Iterator[CountKey]:
        return iter(self._dict())

    def __len__(self) -> int:
        return self.table.height

    def __repr__(self) -> str:
        return f"Counts({self._dict()!r})"


def counts_table(counts: Mapping[CountKey, int]) -> pl.DataFrame:
    """Return counts as a table with :data:`COUNT_COLUMNS`, in the mapping's order."""
    if isinstance(counts, Counts):
        return counts.table
    keys = list(counts)
    return pl.DataFrame(
        {
            "period": [k[0] for k in keys],
            "cohort": [k[1] for k in keys],
            "measure": [k[2] for k in keys],
            "group": [k[3] for k in keys],
            "count": [counts[k] for k in keys],
        },
        schema={**dict.fromkeys(COUNT_COLUMNS[:4], pl.String), "count": pl.Int64},
    )


@dataclass(frozen=True)
class Results:
    """Checked results: tariff and volume counts summed by key, and reoffending results.

    ``counts`` maps ``(period, cohort, measure, group)`` to a whole-number count (``cohort`` and
    ``group`` are ``""`` when not given), in the order the keys first appear in the results.
    """

    counts: Mapping[CountKey, int]
    reoffending: tuple[ReoffendingResult, ...]
    rows: int


def _frame_from(
    source: str | Path | pl.DataFrame | Sequence[Mapping[str, Any]], columns: Sequence[str]
) -> tuple[pl.DataFrame, str]:
    if isinstance(source, pl.DataFrame):
        frame, origin = source, "results"
    elif isinstance(source, str | Path):
        origin = str(source)
        try:
            frame = pl.read_csv(source, infer_schema=False)
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise FullvalueError.from_problems(
                "The file cannot be read as CSV.", [Problem(reason=str(exc), location=origin)]
            ) from exc
    else:
        origin = "results"
        names = list(dict.fromkeys(key for row in source for key in row))
        data = {name: [_text(row.get(name)) for row in source] for name in names}
        frame = pl.DataFrame(data, schema=dict.fromkeys(names, pl.String))
    frame = frame.rename({c: c.strip().lower() for c in frame.columns})
    required = [c for c in columns if c in REQUIRED_COLUMNS and c not in frame.columns]
    if required and frame.height:
        raise FullvalueError.from_problems(
            f"The file {origin} lacks a required column.",
            [Problem(reason=f"The column {c!r} is missing.", location=origin) for c in required],
        )
    for column in columns:
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit("").alias(column))
    frame = frame.select(
        [pl.col(c).cast(pl.String).fill_null("").str.strip_chars().alias(c) for c in columns]
    )
    return frame, origin


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _raise_if(problems: list[Problem], what: str, extra: int = 0) -> None:
    if not problems:
        return
    total = len(problems) + extra
    listed = problems[:MAX_LISTED_PROBLEMS]
    if total > len(listed):
        listed.append(Problem(reason=f"... and {total - len(listed)} more problems."))
    raise FullvalueError.from_problems(
        f"The {what} file has {total} problem{'s' if total != 1 else ''}.", listed
    )


def _flag(
    frame: pl.DataFrame, mask: pl.Expr, origin: str, column: str, reason: str
) -> tuple[list[Problem], int]:
    bad = frame.with_row_index("_row").filter(mask)
    rows = bad.head(MAX_LISTED_PROBLEMS)
    problems = [
        Problem(
            reason=reason.format(value=value),
            location=f"{origin} row {index + 2}, column {column}",
            row=index + 2,
            column=column,
            source=origin,
        )
        for index, value in zip(rows["_row"], rows[column], strict=True)
    ]
    return problems, bad.height - rows.height


def load_results(
    spec: ContractSpec, source: str | Path | pl.DataFrame | Sequence[Mapping[str, Any]]
) -> Results:
    """Read and check measured results for a contract.

    Parameters
    ----------
    spec : ContractSpec
        The contract the results are for.
    source : path, polars DataFrame or sequence of mappings
        Rows with the columns described in this module's docstring.

    Raises
    ------
    FullvalueError
        Listing each bad row with its row number (the CSV line number, header = 1), column and
        reason: an unknown period, cohort, measure or payment group, a count that is not a whole
        number of 0 or more, a missing rate, or a missing p-value where significance is required.

    Notes
    -----
    Counts with the same ``(period, cohort, measure, group)`` are added up:
    ``n_key = Σ count`` over the rows with that key. A reoffending row is one cohort's result
    (or ``all`` cohorts'): its ``count`` is the cohort size ``N`` and ``treated`` and
    ``comparison`` the rates ``r_T`` and ``r_C`` that the settlement compares.

    References
    ----------
    Ministry of Justice, *Justice Data Lab* methodology and *Proven reoffending statistics:
    definitions and measurement* (binary rate and frequency per offender in a cohort, with a
    one-sided test of the difference); Ministry of Justice (2014), *Transforming
    Rehabilitation: payment mechanism* (results published quarterly per cohort).

    Examples
    --------
    >>> from fullvalue.engine.payments.spec import validate_spec
    >>> spec = validate_spec({
    ...     "contract": {"name": "Work Programme"},
    ...     "periods": [{"name": "Y1", "start": "2025-04-01", "end": "2026-03-31"}],
    ...     "components": [{"type": "outcome", "name": "job", "measure": "job_outcome",
    ...                     "price": 1200}],
    ... })
    >>> results = load_results(spec, [
    ...     {"period": "Y1", "measure": "job_outcome", "count": "40"},
    ...     {"period": "Y1", "measure": "job_outcome", "count": "2"},
    ... ])
    >>> dict(results.counts)
    {('Y1', '', 'job_outcome', ''): 42}
    >>> try:
    ...     load_results(spec, [{"period": "Y9", "measure": "job_outcome", "count": "-1"}])
    ... except FullvalueError as exc:
    ...     print(len(exc.problems), exc.problems[0].location)
    2 results row 2, column period
    """
    frame, origin = _frame_from(source, RESULT_COLUMNS)
    periods = set(spec.period_names())
    cohorts = {c.name for c in spec.cohorts} | {ALL_COHORTS, ""}
    reoffending = {c.result: c for c in spec.components if isinstance(c, Reoffending)}
    tariff_measures: set[str] = set()
    groups: dict[str, set[str]] = {}
    for component in spec.components:
        if isinstance(component, Tariff):
            tariff_measures.add(component.measure)
            groups.setdefault(component.measure, set()).update(component.prices)
            if component.sustainment:
                tariff_measures.add(component.sustainment.measure)
                groups.setdefault(component.sustainment.measure, set()).update(
                    component.sustainment.prices
                )
        if isinstance(component, FeeForService) and component.volume:
            tariff_measures.add(component.volume.measure)
    measures = tariff_measures | set(reoffending)
    problems: list[Problem] = []
    extra = 0
    is_count_row = pl.col("measure").is_in(sorted(tariff_measures))
    checks = [
        (
            ~pl.col("period").is_in(sorted(periods)),
            "period",
            "{value!r} is not one of the contract's periods.",
        ),
        (
            ~pl.col("measure").is_in(sorted(measures)),
            "measure",
            "No component of the contract pays for the measure {value!r}.",
        ),
        (
            is_count_row & ~pl.col("count").str.contains(r"^\d+$"),
            "count",
            "The count must be a whole number, 0 or more; got {value!r}.",
        ),
    ]
    if spec.cohorts:
        checks.append(
            (
                ~pl.col("cohort").is_in(sorted(cohorts)),
                "cohort",
                "{value!r} is not one of the contract's cohorts.",
            )
        )
    for measure, names in groups.items():
        if names:
            checks.append(
                (
                    (pl.col("measure") == measure) & ~pl.col("group").is_in(sorted(names)),
                    "group",
                    f"{{value!r}} is not a payment group with a price for {measure!r}.",
                )
            )
    for mask, column, reason in checks:
        found, more = _flag(frame, mask, origin, column, reason)
        problems.extend(found)
        extra += more
    counts = Counts(counts_table({}))
    if not problems:
        counts = Counts(
            frame.filter(is_count_row)
            .group_by("period", "cohort", "measure", "group", maintain_order=True)
            .agg(pl.col("count").cast(pl.Int64).sum())
        )
    problems.extend(_sustainment_problems(spec, counts.table, origin))
    results: list[ReoffendingResult] = []
    seen: dict[tuple[str, str, str], int] = {}
    rows = frame.with_row_index("_row").filter(pl.col("measure").is_in(sorted(reoffending)))
    for row in rows.iter_rows(named=True):
        line = int(row["_row"]) + 2
        component = reoffending[row["measure"]]
        result, found = _reoffending_row(row, line, origin, component)
        problems.extend(found)
        if result is None:
            continue
        key = (result.period, result.cohort, result.measure)
        if key in seen:
            problems.append(
                Problem(
                    reason=f"A result for cohort {result.cohort!r} and {result.measure!r} in "
                    f"period {result.period!r} was already given on row {seen[key]}.",
                    location=f"{origin} row {line}",
                    row=line,
                    source=origin,
                )
            )
        seen[key] = line
        results.append(result)
    _raise_if(problems, "results", extra)
    return Results(counts=counts, reoffending=tuple(results), rows=frame.height)


def _sustainment_problems(spec: ContractSpec, counts: pl.DataFrame, origin: str) -> list[Problem]:
    """Sustainment payments cannot outnumber ``max_payments`` for each outcome in a group."""
    problems = []
    by_group = {
        (measure, group): count
        for measure, group, count in counts.group_by("measure", "group")
        .agg(pl.col("count").cast(pl.Int128).sum())
        .iter_rows()
    }
    for component in spec.components:
        if not isinstance(component, Tariff) or component.sustainment is None:
            continue
        sus = component.sustainment
        outcomes = {g: n for (m, g), n in by_group.items() if m == component.measure}
        sustained = {
            g: n for (m, g), n in by_group.items() if m == sus.measure and m != component.measure
        }
        for group, count in sorted(sustained.items()):
            most = sus.max_payments * outcomes.get(group, 0)
            if count > most:
                where = f" in payment group {group!r}" if group else ""
                problems.append(
                    Problem(
                        reason=f"{count:,} {sus.measure} are claimed{where}, but "
                        f"{outcomes.get(group, 0):,} {component.measure} allow at most {most:,} "
                        f"({sus.max_payments} each).",
                        location=f"{origin}, measure {sus.measure}",
                        column="count",
                        source=origin,
                    )
                )
    return problems


def _reoffending_row(
    row: Mapping[str, Any], line: int, origin: str, component: Reoffending
) -> tuple[ReoffendingResult | None, list[Problem]]:
    problems: list[Problem] = []

    def bad(column: str, reason: str) -> None:
        problems.append(
            Problem(
                reason=reason,
                location=f"{origin} row {line}, column {column}",
                row=line,
                column=column,
                source=origin,
            )
        )

    values: dict[str, Decimal | None] = {}
    for column in ("treated", "comparison", "p_value"):
        text = row[column]
        if text == "":
            values[column] = None
            continue
        try:
            value = Decimal(text)
        except InvalidOperation:
            bad(column, f"This must be a number; got {text!r}.")
            continue
        if not value.is_finite() or value < 0:
            bad(column, f"This must be a number, 0 or more; got {text!r}.")
            continue
        values[column] = value
    for column in ("treated", "comparison"):
        if column in values and values[column] is None:
            bad(column, "A reoffending result needs this value.")
    for column in ("treated", "comparison", "p_value"):
        given = values.get(column)
        if (
            given is not None
            and given > 1
            and (column == "p_value" or component.measure == "binary")
        ):
            bad(
                column,
                f"A {'p-value' if column == 'p_value' else 'binary rate'} is a proportion 0-1; "
                f"got {given}.",
            )
    comparison = values.get("comparison")
    if comparison is not None and comparison == 0:
        bad("comparison", "The comparison rate is 0, so no reduction can be measured.")
    if component.require_significance and values.get("p_value") is None and "p_value" in values:
        bad(
            "p_value",
            f"Component {component.name!r} pays only for significant results, "
            "so a p-value is needed.",
        )
    if not str(row["count"]).isdigit() or int(row["count"]) < 1:
        bad(
            "count",
            "The count (people in the cohort) must be a whole number, 1 or more; "
            f"got {row['count']!r}.",
        )
    if problems:
        return None, problems
    treated, p_value = values["treated"], values.get("p_value")
    assert treated is not None and comparison is not None
    return (
        ReoffendingResult(
            period=row["period"],
            cohort=row["cohort"],
            measure=row["measure"],
            size=int(row["count"]),
            treated=treated,
            comparison=comparison,
            p_value=p_value,
            row=line,
        ),
        [],
    )


@dataclass(frozen=True)
class Payment:
    """A payment already made: ``amount`` in GBP for a period, cohort and component."""

    period: str
    cohort: str
    component: str
    amount: Decimal


PaidSource = str | Path | pl.DataFrame | Sequence[Mapping[str, Any]] | Iterable[Payment]
#: A plain decimal amount; anything else (``1e3``, ``1_000``) is read by :class:`~decimal.Decimal`.
_PLAIN_AMOUNT = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$"
#: Payments are added up exactly as whole numbers of ``10**-scale`` pounds in 128-bit integers;
#: an amount with more digits than this (whole digits plus the ledger's scale) is refused.
MAX_PAID_DIGITS = 36


def load_paid(spec: ContractSpec, source: PaidSource) -> dict[tuple[str, str, str], Decimal]:
    """Read the payments already made and sum them by ``(period, cohort, component)``.

    Raises
    ------
    FullvalueError
        If a row names an unknown period or component, or its amount is not a number.

    Notes
    -----
    ``paid_key = Σ amount`` over the ledger's rows with that key, added exactly (no rounding:
    the ledger holds what was paid). The settlement then pays ``due - paid`` for each line, so
    a ledger that includes a settlement's own output makes settling again pay nothing more.

    References
    ----------
    HM Treasury, *Managing Public Money* (regularity: each payment traceable to what it pays
    for, and nothing paid twice).

    Examples
    --------
    >>> from fullvalue.engine.payments.spec import validate_spec
    >>> spec = validate_spec({
    ...     "contract": {"name": "Attachment only"},
    ...     "periods": [{"name": "Q1", "start": "2025-04-01", "end": "2025-06-30"}],
    ...     "components": [{"type": "attachment", "name": "attachment", "price": 400}],
    ... })
    >>> load_paid(spec, [
    ...     {"period": "Q1", "component": "attachment", "amount": "4000.00"},
    ...     {"period": "Q1", "component": "attachment", "amount": "800"},
    ... ])
    {('Q1', '', 'attachment'): Decimal('4800.00')}
    """
    checked = _checked_paid(spec, source)
    totals: dict[tuple[str, str, str], Decimal] = {}
    for period, cohort, component, amount in checked.select(
        "period", "cohort", "component", "cleaned"
    ).iter_rows():
        key = (period, cohort, component)
        totals[key] = totals.get(key, Decimal(0)) + Decimal(amount)
    return totals


def paid_table(spec: ContractSpec, source: PaidSource) -> tuple[pl.DataFrame, int]:
    """Read the payments already made and sum them by key, exactly, as whole numbers.

    Returns
    -------
    (polars.DataFrame, int)
        The columns ``period``, ``cohort``, ``component`` and ``paid``, one row per key in the
        order keys first appear; ``paid`` is the total in units of ``10**-scale`` GBP
        (a 128-bit integer), and ``scale`` (2 or more) is the second item.

    Raises
    ------
    FullvalueError
        As :func:`load_paid`.

    """
    checked = _checked_paid(spec, source)
    body = pl.col("number").str.strip_chars_start("+-").str.split_exact(".", 1)
    parts = checked.select(
        "period",
        "cohort",
        "component",
        negative=pl.col("number").str.starts_with("-"),
        whole=body.struct.field("field_0"),
        fraction=body.struct.field("field_1").fill_null(""),
    )
    scale = max(2, int(parts.select(pl.col("fraction").str.len_chars().max()).item() or 0))
    whole = pl.when(pl.col("whole") == "").then(pl.lit("0")).otherwise(pl.col("whole"))
    magnitude = whole.cast(pl.Int128) * 10**scale + pl.col("fraction").str.pad_end(scale, "0").cast(
        pl.Int128
    )
    table = (
        parts.select(
            "period",
            "cohort",
            "component",
            paid=pl.when(pl.col("negative")).then(0 - magnitude).otherwise(magnitude),
        )
        .group_by("period", "cohort", "component", maintain_order=True)
        .agg(pl.col("paid").sum())
    )
    return table, scale


def _checked_paid(spec: ContractSpec, source: PaidSource) -> pl.DataFrame:
    """Check a ledger of payments, listing every bad row.

    Returns its rows with two more columns: ``cleaned``, the amount without ``£`` or ``,``, and
    ``number``, the amount as plain fixed-point text.
    """
    if not isinstance(source, str | Path | pl.DataFrame):
        rows = [
            {
                "period": p.period,
                "cohort": p.cohort,
                "component": p.component,
                "amount": str(p.amount),
            }
            if isinstance(p, Payment)
            else p
            for p in source
        ]
        source = rows or pl.DataFrame(schema=dict.fromkeys(PAID_COLUMNS, pl.String))
    frame, origin = _frame_from(source, PAID_COLUMNS)
    cleaned = pl.col("amount").str.replace_all(",", "", literal=True)
    frame = frame.with_columns(cleaned=cleaned.str.replace_all("£", "", literal=True))
    number = frame["cleaned"].alias("number")
    odd = (~number.str.contains(_PLAIN_AMOUNT)).arg_true()
    if len(odd):
        number = number.scatter(odd, [_fixed_point(number[i]) for i in odd.to_list()])
    frame = frame.with_columns(number).with_row_index("_row")
    whole_digits = pl.col("number").str.extract(r"^[+-]?0*([0-9]*)").str.len_chars()
    scale = max(2, frame["number"].str.extract(r"\.([0-9]*)$").str.len_chars().max() or 0)
    periods = sorted(spec.period_names())
    components = sorted(c.name for c in spec.components)
    too_long = whole_digits + scale > MAX_PAID_DIGITS
    bad = frame.filter(
        ~pl.col("period").is_in(periods)
        | ~pl.col("component").is_in(components)
        | pl.col("number").is_null()
        | too_long
    ).with_columns(too_long=too_long)
    problems: list[Problem] = []
    for row in bad.iter_rows(named=True):
        line = row["_row"] + 2

        def problem(column: str, reason: str, line: int = line) -> None:
            problems.append(
                Problem(
                    reason=reason,
                    location=f"{origin} row {line}, column {column}",
                    row=line,
                    column=column,
                    source=origin,
                )
            )

        if row["period"] not in periods:
            problem("period", f"{row['period']!r} is not one of the contract's periods.")
        if row["component"] not in components:
            problem("component", f"{row['component']!r} is not one of the contract's components.")
        if row["number"] is None:
            problem("amount", f"This must be an amount of money; got {row['amount']!r}.")
        elif row["too_long"]:
            problem(
                "amount",
                f"This amount has more than {MAX_PAID_DIGITS} digits, too many to add up "
                f"exactly; got {row['amount']!r}.",
            )
    _raise_if(problems, "paid")
    return frame.drop("_row")


def _fixed_point(text: str) -> str | None:
    """Return an amount that is not plain decimal text as plain text, or None if it is not one.

    >>> _fixed_point("1e3"), _fixed_point("1_000.5"), _fixed_point("NaN"), _fixed_point("x")
    ('1000', '1000.5', None, None)
    """
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return f"{value:f}" if value.is_finite() else None
