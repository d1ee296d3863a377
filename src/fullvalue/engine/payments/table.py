"""Settlement lines as a polars table: priced, capped and reconciled with column operations.

A tariff pays a price per event, so a million outcome events paid one by one make a million
lines. Here those lines are worked out a column at a time instead of a line at a time, in whole
pennies held in 128-bit integers, so the arithmetic is exact:

- **Pricing.** A price ``P / 10**k`` GBP times a count ``n`` is ``n P / 10**(k-2)`` pennies,
  rounded half-up: ``(n P + h) // d`` with ``d = 10**(k-2)`` and ``h = d // 2`` (``n P >= 0``,
  so floor division is rounding down).
- **Running caps.** With ``S_i`` the running total of the lines so far and a cap ``C >= 0``, the
  capped running total is ``x_i = S_i - max(0, max_{j <= i}(S_j - C))`` (a running total that
  is held down at the cap and may fall below it again), and each line keeps ``x_i - x_{i-1}``.
- **Payments already made.** Within one key, with ``a_j`` the lines' amounts (never negative for
  a tariff), ``p`` the payment and ``A_j`` the sum of the lines before line ``j``, each line but
  the last takes ``min(max(p - A_j, 0), a_j)`` and the last takes what is left.

Each gives exactly what :mod:`~fullvalue.engine.payments.settlement` works out line by line in
Decimal; ``tests/engine/payments/test_table.py`` checks it against a line-by-line reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import polars as pl

from fullvalue.engine.payments.money import format_gbp, to_pennies
from fullvalue.engine.payments.spec import Tariff
from fullvalue.errors import FullvalueError, Problem

PENNIES = pl.Int128
#: The columns that put lines in order, compared in turn; ``seq`` is the order lines were made.
ORDER = ("o_period", "o_component", "o_cohort", "o_position", "o_group", "seq")
#: The columns of a table of lines before payments are taken off (``due`` in pennies; ``draft``
#: is the position of a line worked out in Python, null for a tariff line).
DUE_SCHEMA = pl.Schema(
    {
        "period": pl.String,
        "cohort": pl.String,
        "component": pl.String,
        "detail": pl.String,
        "due": PENNIES,
        "reason": pl.String,
        "at_risk": pl.Boolean,
        "o_period": pl.Int64,
        "o_component": pl.Int64,
        "o_cohort": pl.Int64,
        "o_position": pl.Int64,
        "o_group": pl.String,
        "seq": pl.Int64,
        "draft": pl.Int64,
    }
)
#: Money is worked out in 128-bit integers; totals are kept below this many pennies (or units
#: of ``10**-scale`` GBP) so that sums cannot overflow.
LIMIT = 10**37


def thousands(number: pl.Expr, largest: int) -> pl.Expr:
    """Format whole numbers ``0 <= number <= largest`` with thousands separators (``1,234``)."""
    groups = 1
    while 1000**groups <= largest:
        groups += 1
    text = number.cast(pl.String)
    for size in range(2, groups + 1):
        parts = [(number // 1000 ** (size - 1)).cast(pl.String)]
        for group in range(size - 2, -1, -1):
            parts += [pl.lit(","), ((number // 1000**group) % 1000).cast(pl.String).str.zfill(3)]
        text = pl.when(number < 1000 ** (size - 1)).then(text).otherwise(pl.concat_str(parts))
    return text


def gbp(pennies: pl.Expr, largest: int) -> pl.Expr:
    """Format whole pennies (``|pennies| <= largest``) as :func:`~.money.format_gbp` does."""
    whole = pennies.abs()
    text = pl.concat_str(
        pl.lit("£"),
        thousands(whole // 100, largest // 100),
        pl.lit("."),
        (whole % 100).cast(pl.String).str.zfill(2),
    )
    return pl.when(pennies < 0).then(pl.lit("-") + text).otherwise(text)


def _largest(frame: pl.DataFrame, column: str) -> int:
    value = frame.select(pl.col(column).abs().max()).item()
    return int(value or 0)


def _check_size(total: float, what: str) -> None:
    if total >= LIMIT:
        raise FullvalueError.from_problems(
            "The settlement is too large to work out exactly.",
            [Problem(reason=f"{what} would exceed {LIMIT:.0e} pennies.", location=what)],
        )


def tariff_table(
    component: Tariff,
    counts: pl.DataFrame,
    *,
    period_index: Mapping[str, int],
    cohort_index: Mapping[str, int],
    component_rank: int,
) -> pl.DataFrame:
    """Price a tariff's counts: one line per count, with its reason, in :data:`DUE_SCHEMA`.

    ``counts`` has the columns ``period``, ``cohort``, ``measure``, ``group``, ``count`` and
    ``seq`` (the count's position). Rounding: each line is rounded half-up to the penny.
    Lines are in count order; the component's cap is applied once all lines are in order.
    """
    measures = [(component.measure, "", component.price, component.prices)]
    if component.sustainment is not None:
        sus = component.sustainment
        measures.append((sus.measure, "sustainment", sus.price, sus.prices))
    parts = []
    for position, (measure, label, price, prices) in enumerate(measures):
        rows = counts.filter(pl.col("measure") == measure)
        if rows.is_empty():
            continue
        units = {"": price} if price is not None else dict(prices)
        scale = max([2, *(-int(unit.as_tuple().exponent) for unit in units.values())])
        scaled = {group: int(unit.scaleb(scale)) for group, unit in units.items()}
        texts = {group: format_gbp(unit) for group, unit in units.items()}
        if price is not None:
            unit, unit_text = pl.lit(scaled[""], PENNIES), pl.lit(texts[""])
        else:
            unit = pl.col("group").replace_strict(scaled, return_dtype=PENNIES)
            unit_text = pl.col("group").replace_strict(texts, return_dtype=pl.String)
        total_count = float(rows["count"].cast(pl.Float64).sum())
        _check_size(total_count * max(scaled.values(), default=0), f"{component.name} {measure}")
        divisor = 10 ** (scale - 2)
        group = pl.col("group")
        priced = rows.with_columns(
            due=(pl.col("count").cast(PENNIES) * unit + divisor // 2) // divisor,
            unit_text=unit_text,
        )
        largest_count, largest_due = _largest(priced, "count"), _largest(priced, "due")
        who = pl.when(group == "").then(pl.lit("")).otherwise(group + ": ")
        detail = (
            pl.when(group == "")
            .then(pl.lit(label))
            .otherwise(group + f" {label}" if label else group)
        )
        cohort = pl.col("cohort")
        parts.append(
            priced.select(
                "period",
                cohort=pl.when(cohort == "").then(None).otherwise(cohort),
                component=pl.lit(component.name),
                detail=detail,
                due="due",
                reason=pl.concat_str(
                    who,
                    thousands(pl.col("count"), largest_count),
                    pl.lit(f" {measure.replace('_', ' ')} × "),
                    pl.col("unit_text"),
                    pl.lit(" = "),
                    gbp(pl.col("due"), largest_due),
                ),
                at_risk=pl.lit(component.kind == "outcome"),
                o_period=pl.col("period").replace_strict(period_index, return_dtype=pl.Int64),
                o_component=pl.lit(component_rank, pl.Int64),
                o_cohort=pl.when(cohort == "")
                .then(-1)
                .otherwise(
                    cohort.replace_strict(
                        cohort_index, default=len(cohort_index), return_dtype=pl.Int64
                    )
                ),
                o_position=pl.lit(position, pl.Int64),
                o_group=group,
                seq="seq",
                draft=pl.lit(None, pl.Int64),
            )
        )
    table = pl.concat(parts) if parts else pl.DataFrame(schema=DUE_SCHEMA)
    return table.cast(DUE_SCHEMA)


def in_order(table: pl.DataFrame) -> pl.DataFrame:
    """Sort lines by :data:`ORDER`, comparing as the drafts' order tuples compare.

    The columns are combined into one integer key when it fits in 62 bits (one sort of one
    column, about ten times faster than sorting on six); ``o_group`` is ranked first, in the
    order Python sorts strings.
    """
    if table.is_empty():
        return table
    groups = sorted(table["o_group"].unique().to_list())
    ranked = table.with_columns(
        _group=pl.col("o_group").replace_strict(groups, range(len(groups)), return_dtype=pl.Int64)
    )
    columns = ["_group" if column == "o_group" else column for column in ORDER]
    bounds = ranked.select(
        *(pl.col(c).min().alias(f"low {c}") for c in columns),
        *(pl.col(c).max().alias(f"high {c}") for c in columns),
    ).row(0, named=True)
    key, span = pl.lit(0, pl.Int64), 1
    for column in columns:
        low, size = bounds[f"low {column}"], bounds[f"high {column}"] - bounds[f"low {column}"] + 1
        key, span = key * size + (pl.col(column) - low), span * size
    return (ranked.sort(key) if span < 2**62 else ranked.sort(columns)).drop("_group")


def cap_running(table: pl.DataFrame, cap: Decimal, what: str, among: pl.Expr) -> pl.DataFrame:
    """Cap the running total of the ``due`` column (rows in order) at ``cap`` GBP.

    Only rows where ``among`` is true count. A line that is cut says so
    in its reason. The cap is rounded half-up to whole pennies and is never negative (a rule of
    the specification); credits lower the running total.
    """
    limit = to_pennies(cap)
    step = pl.when(among).then(pl.col("due")).otherwise(0)
    running = step.cum_sum()
    held = running - (running - limit).cum_max().clip(lower_bound=0)
    allowed = held - held.shift(1, fill_value=0)
    table = table.with_columns(_allowed=allowed, _cut=among & (allowed < pl.col("due")))
    cut = table.get_column("_cut").arg_true()
    if cut.is_empty():
        return table.drop("_allowed", "_cut")
    # Only the lines that are cut get a new reason, made for them alone; once the cap is
    # reached every later line is cut to £0.00, so only the others' amounts need writing out.
    rows = table.select(pl.col("reason", "_allowed").gather(cut))
    zero = rows.get_column("_allowed") == 0
    reasons = rows.select(
        pl.concat_str("reason", pl.lit(f"; limited by {what} to £0.00"))
    ).to_series()
    partial = zero.not_().arg_true()
    if not partial.is_empty():
        some = rows[partial]
        written = some.select(
            pl.concat_str(
                "reason",
                pl.lit(f"; limited by {what} to "),
                gbp(pl.col("_allowed"), _largest(some, "_allowed")),
            )
        ).to_series()
        reasons = reasons.scatter(partial, written)
    return table.with_columns(
        table.get_column("reason").scatter(cut, reasons),
        due=pl.when("_cut").then("_allowed").otherwise("due"),
    ).drop("_allowed", "_cut")


def reconcile_table(
    table: pl.DataFrame, ledger: pl.DataFrame, scale: int
) -> tuple[pl.DataFrame, dict[int, tuple[Decimal, Decimal]], pl.Series]:
    """Take payments off tariff lines (rows with a null ``draft``), key by key.

    ``table`` is in line order; ``ledger`` has ``key`` (a row number), ``period``, ``cohort``,
    ``component`` and ``paid`` in units of ``10**-scale`` GBP. Returns the table with ``paid``
    and ``amount`` (pennies) and reasons that say what was paid; the lines whose payment rounds
    to minus zero pennies (by position: due and the unrounded payment in GBP), left to be made
    in Decimal; and the ledger keys that were matched. Rounding: each line's share of a payment
    is rounded half-up to the penny.
    """
    unit = 10 ** (scale - 2)
    shares = (
        table.with_row_index("line")
        .filter(pl.col("draft").is_null())
        .select(
            "line", "period", "component", "due", "reason", cohort=pl.col("cohort").fill_null("")
        )
        .join(ledger, on=["period", "cohort", "component"], how="inner", maintain_order="left")
    )
    _check_size(float(_largest(table, "due")) * table.height * unit, "the payments")
    owed = pl.col("due") * unit
    before = owed.cum_sum().over("key") - owed
    last = pl.col("line") == pl.col("line").max().over("key")
    early = pl.min_horizontal(pl.max_horizontal(pl.col("paid") - before, 0), owed)
    shares = shares.with_columns(early=pl.when(last).then(0).otherwise(early)).with_columns(
        share=pl.when(last)
        .then(pl.col("paid") - pl.col("early").sum().over("key"))
        .otherwise(pl.col("early"))
    )
    shares = shares.with_columns(paid=_rounded(pl.col("share"), unit))
    exact = {
        line: (Decimal(due).scaleb(-2), Decimal(share).scaleb(-scale))
        for line, due, share in shares.filter((pl.col("share") < 0) & (pl.col("paid") == 0))
        .select("line", "due", "share")
        .iter_rows()
    }
    noted = with_paid_reasons(
        shares.filter(pl.col("paid") != 0).with_columns(amount=pl.col("due") - pl.col("paid"))
    )
    paid = pl.zeros(table.height, PENNIES, eager=True).scatter(shares["line"], shares["paid"])
    table = table.with_columns(
        paid=paid,
        amount=pl.col("due") - paid,
        reason=table["reason"].scatter(noted["line"], noted["reason"]),
    )
    return table, exact, shares["key"].unique()


def _rounded(amount: pl.Expr, unit: int) -> pl.Expr:
    """Round units of ``1 / (100 unit)`` GBP half-up (away from zero) to whole pennies."""
    magnitude = (amount.abs() + unit // 2) // unit
    return pl.when(amount < 0).then(0 - magnitude).otherwise(magnitude)


def with_paid_reasons(table: pl.DataFrame) -> pl.DataFrame:
    """Add "£x already paid, £y payable" to the reasons of lines with a payment."""
    largest = max(_largest(table, "paid"), _largest(table, "amount"))
    paid, amount = pl.col("paid"), pl.col("amount")
    note = pl.concat_str(
        pl.lit("; "),
        gbp(paid, largest),
        pl.lit(" already paid, "),
        gbp(amount, largest),
        pl.lit(" payable"),
        pl.when(amount < 0).then(pl.lit(" (to be recovered)")).otherwise(pl.lit("")),
    )
    return table.with_columns(
        reason=pl.when(paid != 0).then(pl.concat_str("reason", note)).otherwise("reason")
    )


def orphan_table(
    ledger: pl.DataFrame, scale: int, period_index: Mapping[str, int]
) -> tuple[pl.DataFrame, dict[int, Decimal]]:
    """Lines for payments against keys with nothing due, sorted by period, cohort and component.

    Returns the lines (``due`` 0, ``amount`` minus what was paid) and, by position among them,
    the unrounded payments (GBP) that round to minus zero pennies, left to be made in Decimal.
    """
    unit = 10 ** (scale - 2)
    orphans = (
        ledger.with_columns(
            order=pl.col("period").replace_strict(period_index, return_dtype=pl.Int64),
            share=pl.col("paid"),
        )
        .sort("order", "cohort", "component")
        .select(
            "period",
            cohort=pl.when(pl.col("cohort") == "").then(None).otherwise(pl.col("cohort")),
            component="component",
            detail=pl.lit(""),
            due=pl.lit(0, PENNIES),
            paid=_rounded(pl.col("share"), unit),
            reason=pl.lit("nothing is due for this line"),
            share="share",
        )
        .with_columns(amount=0 - pl.col("paid"))
    )
    exact = {
        index: Decimal(share).scaleb(-scale)
        for index, share in orphans.with_row_index("index")
        .filter((pl.col("share") < 0) & (pl.col("paid") == 0))
        .select("index", "share")
        .iter_rows()
    }
    return with_paid_reasons(orphans.drop("share")), exact
