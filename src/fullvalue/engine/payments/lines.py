"""Settlement lines: one line of a settlement, and the sequence of lines a settlement holds.

A settlement can have a million lines (one per outcome event paid on its own). Making a million
frozen objects up front costs seconds, most of it in the garbage collector, so
:class:`SettlementLines` keeps the lines as columns (amounts in whole pennies) and makes each
:class:`SettlementLine` when it is read. Lines worked out one by one in Python (fees, reoffending
results, foundation offsets) are kept as they were made.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, overload

import polars as pl

from fullvalue.engine.payments.money import ZERO

#: The columns of a line table, in the order of :class:`SettlementLine`'s fields;
#: ``due``, ``paid`` and ``amount`` are whole pennies.
LINE_COLUMNS = ("period", "cohort", "component", "detail", "due", "paid", "amount", "reason")
#: The columns of :meth:`SettlementLines.frame`, in the order of :meth:`SettlementLine.as_dict`.
OUTPUT_COLUMNS = ("period", "cohort", "component", "detail", "amount", "due", "paid", "reason")


@dataclass(frozen=True, slots=True)
class SettlementLine:
    """One line of a settlement.

    ``due`` is what the contract says is owed for this line (GBP), ``paid`` what was already paid
    against it, and ``amount = due - paid`` what is payable now (negative: to be recovered).
    ``cohort`` is ``None`` for lines that do not belong to a cohort (fees, foundation payments).
    ``detail`` tells apart lines of the same component (a payment group, "sustainment",
    "volume reconciliation").
    """

    period: str
    cohort: str | None
    component: str
    detail: str
    due: Decimal
    paid: Decimal
    amount: Decimal
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """Return the line as JSON-ready data (amounts as decimal strings)."""
        return {
            "period": self.period,
            "cohort": self.cohort,
            "component": self.component,
            "detail": self.detail,
            "amount": f"{self.amount:.2f}",
            "due": f"{self.due:.2f}",
            "paid": f"{self.paid:.2f}",
            "reason": self.reason,
        }


def _gbp(pennies: int) -> Decimal:
    return ZERO if pennies == 0 else Decimal(pennies).scaleb(-2)


def _pennies(amount: Decimal) -> int:
    return int(amount.scaleb(2))


def decimal_text(pennies: pl.Expr) -> pl.Expr:
    """Write whole pennies as GBP with two decimals, as ``f"{amount:.2f}"`` does (``-0.05``).

    Examples
    --------
    >>> frame = pl.DataFrame({"p": pl.Series([-5, 0, 123456], dtype=pl.Int128)})
    >>> frame.select(decimal_text(pl.col("p"))).to_series().to_list()
    ['-0.05', '0.00', '1234.56']

    """
    whole = pennies.abs()
    text = pl.concat_str(
        (whole // 100).cast(pl.String), pl.lit("."), (whole % 100).cast(pl.String).str.zfill(2)
    )
    return pl.when(pennies < 0).then(pl.lit("-") + text).otherwise(text)


class SettlementLines(Sequence[SettlementLine]):
    """The lines of a settlement, in order, made when read.

    Parameters
    ----------
    table : polars.DataFrame
        One row per line with the columns :data:`LINE_COLUMNS` (amounts in whole pennies).
    made : mapping of int to SettlementLine
        Lines already made, by position; these take the place of their rows in ``table``.

    Reading a line makes a new :class:`SettlementLine` each time (equal, not identical). The
    sequence compares equal to a tuple of the same lines.
    """

    __slots__ = ("_columns", "_made", "_table")

    def __init__(self, table: pl.DataFrame, made: Mapping[int, SettlementLine]) -> None:
        self._table = table.select(LINE_COLUMNS)
        self._made = dict(made)
        self._columns: list[list[Any]] | None = None

    def _lists(self) -> list[list[Any]]:
        if self._columns is None:
            self._columns = [self._table[name].to_list() for name in LINE_COLUMNS]
        return self._columns

    def _make(self, index: int) -> SettlementLine:
        made = self._made.get(index)
        if made is not None:
            return made
        period, cohort, component, detail, due, paid, amount, reason = (
            column[index] for column in self._lists()
        )
        return SettlementLine(
            period, cohort, component, detail, _gbp(due), _gbp(paid), _gbp(amount), reason
        )

    def __len__(self) -> int:
        return self._table.height

    def frame(self) -> pl.DataFrame:
        """Return the lines as one table, a column each of :meth:`SettlementLine.as_dict`.

        Amounts are text with two decimals, exactly as ``as_dict`` gives them; ``cohort`` is
        null for lines without one. Made a column at a time, without making any line: the way
        to write a million lines out (``fullvalue settle --format csv`` does).

        Examples
        --------
        >>> table = pl.DataFrame({"period": ["Q1"], "cohort": [None], "component": ["fee"],
        ...     "detail": [""], "due": [150], "paid": [0], "amount": [150], "reason": ["fee"]},
        ...     schema_overrides={"cohort": pl.String})
        >>> SettlementLines(table, {}).frame().row(0)
        ('Q1', None, 'fee', '', '1.50', '1.50', '0.00', 'fee')

        """
        table = self._table.with_columns(pl.col("due", "paid", "amount").cast(pl.Int128))
        if self._made:
            positions = list(self._made)
            made = [self._made[i] for i in positions]
            values: dict[str, list[Any]] = {
                "period": [line.period for line in made],
                "cohort": [line.cohort for line in made],
                "component": [line.component for line in made],
                "detail": [line.detail for line in made],
                "due": [_pennies(line.due) for line in made],
                "paid": [_pennies(line.paid) for line in made],
                "amount": [_pennies(line.amount) for line in made],
                "reason": [line.reason for line in made],
            }
            table = table.with_columns(
                table.get_column(name).scatter(
                    positions, pl.Series(values[name], dtype=table.schema[name])
                )
                for name in LINE_COLUMNS
            )
        texts = {name: decimal_text(pl.col(name)).alias(name) for name in ("amount", "due")}
        if not table.select(pl.col("paid").any()).item():
            # Nothing paid yet (the usual first settlement): every amount is its due.
            table = table.with_columns(texts["due"]).with_columns(
                amount=pl.col("due"), paid=pl.lit("0.00")
            )
            return table.select(OUTPUT_COLUMNS)
        texts["paid"] = decimal_text(pl.col("paid")).alias("paid")
        return table.select(texts.get(name, pl.col(name)) for name in OUTPUT_COLUMNS)

    @overload
    def __getitem__(self, index: int) -> SettlementLine: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[SettlementLine, ...]: ...

    def __getitem__(self, index: int | slice) -> SettlementLine | tuple[SettlementLine, ...]:
        if isinstance(index, slice):
            return tuple(self._make(i) for i in range(*index.indices(len(self))))
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError("settlement line index out of range")
        return self._make(position)

    def __iter__(self) -> Iterator[SettlementLine]:
        made = self._made
        line = SettlementLine
        for index, (period, cohort, component, detail, due, paid, amount, reason) in enumerate(
            zip(*self._lists(), strict=True)
        ):
            yield made.get(index) or line(
                period, cohort, component, detail, _gbp(due), _gbp(paid), _gbp(amount), reason
            )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SettlementLines | tuple):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"SettlementLines({len(self):,} lines)"
