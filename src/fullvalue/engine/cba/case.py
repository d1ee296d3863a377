"""A community budget's business case as data, read from TOML and checked.

A case (see ``docs/engine.md`` and ``docs/cba-case.schema.json``) has a ``name``, a
``discount_rate`` (proportion 0-1, default 0.035, the HM Treasury Green Book rate) and a horizon of
``years``; ``[[costs]]`` with the ``agency`` that pays and ``amounts`` in GBP, one per year; and
``[[outcomes]]``, each with the ``agency`` whose budget the fiscal saving falls in, whether it is
``cashable``, its unit values in GBP per outcome (``fiscal``, ``economic``, ``social``), its
``deadweight`` and ``optimism_bias`` (proportions 0-1) and the expected ``numbers``, one per year.

:func:`validate_case` collects *every* problem, each with its path (``outcomes[2].numbers``) and
a reason, and raises one :class:`~fullvalue.errors.FullvalueError` listing them all.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from fullvalue.errors import FullvalueError, Problem

#: HM Treasury Green Book social time preference rate, a proportion.
GREEN_BOOK_RATE = Decimal("0.035")
UNIT_VALUES = ("fiscal", "economic", "social")


@dataclass(frozen=True)
class Cost:
    """What one agency puts in: ``amounts`` in GBP, one per year of the case."""

    agency: str
    amounts: tuple[Decimal, ...]


@dataclass(frozen=True)
class Outcome:
    """One outcome line of the business case.

    ``fiscal``, ``economic`` and ``social`` are GBP per outcome; the fiscal saving falls in
    ``agency``'s budget and is ``cashable`` or not; ``deadweight`` (what would have happened
    anyway) and ``optimism_bias`` (the correction for over-confident estimates) are proportions
    0-1; ``numbers`` are outcomes expected, one per year.
    """

    name: str
    agency: str
    cashable: bool
    fiscal: Decimal
    economic: Decimal
    social: Decimal
    deadweight: Decimal
    optimism_bias: Decimal
    numbers: tuple[Decimal, ...]


@dataclass(frozen=True)
class Case:
    """A business case: costs and outcomes over ``years`` years, discounted at ``discount_rate``."""

    name: str
    years: int
    costs: tuple[Cost, ...]
    outcomes: tuple[Outcome, ...]
    discount_rate: Decimal = GREEN_BOOK_RATE

    @property
    def agencies(self) -> tuple[str, ...]:
        """The agencies named, in the order they first appear (costs, then outcomes)."""
        names = [c.agency for c in self.costs] + [o.agency for o in self.outcomes]
        return tuple(dict.fromkeys(names))


# Rules: each yields a Problem whose reason is the rule as a user reads it.


def proportion_is_between_0_and_1(value: Decimal, where: str) -> Iterator[Problem]:
    """A proportion must be between 0 and 1 (0.25 means 25%)."""
    if not 0 <= value <= 1:
        yield Problem(f"This must be a proportion between 0 and 1, not {value}.", where)


def list_has_one_entry_per_year(
    values: Sequence[object], years: int, where: str
) -> Iterator[Problem]:
    """A yearly list must have exactly one entry for each year of the case."""
    if len(values) != years:
        yield Problem(f"This must have one entry per year ({years}), not {len(values)}.", where)


def number_is_not_negative(value: Decimal, where: str) -> Iterator[Problem]:
    """A number of outcomes, or a cost, cannot be negative."""
    if value < 0:
        yield Problem(f"This cannot be negative ({value}).", where)


def fields_are_known(
    data: Mapping[str, Any], known: Sequence[str], where: str
) -> Iterator[Problem]:
    """Every field must be one the business case defines (a misspelt field is not ignored)."""
    for key in data:
        if key not in known:
            at = f"{where}.{key}" if where else key
            yield Problem(
                f"This is not a field of a business case (expected one of: {', '.join(known)}).", at
            )


CASE_FIELDS = ("name", "discount_rate", "years", "costs", "outcomes")
COST_FIELDS = ("agency", "amounts")
OUTCOME_FIELDS = (
    "name",
    "agency",
    "cashable",
    *UNIT_VALUES,
    "deadweight",
    "optimism_bias",
    "numbers",
)


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


class _Reader:
    """Reads fields from a mapping, collecting problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def text(self, data: Mapping[str, Any], key: str, where: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            reason = (
                "This field is required but is missing." if value is None else "This must be text."
            )
            self.problems.append(Problem(reason, where))
            return ""
        return value.strip()

    def number(
        self, data: Mapping[str, Any], key: str, where: str, *, missing: str = ""
    ) -> Decimal:
        if key not in data:
            self.problems.append(
                Problem(missing or "This field is required but is missing.", where)
            )
            return Decimal(0)
        number = _decimal(data[key])
        if number is None:
            self.problems.append(Problem(f"This must be a number, not {data[key]!r}.", where))
            return Decimal(0)
        return number

    def proportion(self, data: Mapping[str, Any], key: str, where: str) -> Decimal:
        value = self.number(data, key, where)
        self.problems.extend(proportion_is_between_0_and_1(value, where))
        return value

    def yearly(
        self, data: Mapping[str, Any], key: str, where: str, years: int
    ) -> tuple[Decimal, ...]:
        values = data.get(key)
        if not isinstance(values, list):
            reason = (
                "This field is required but is missing."
                if values is None
                else "This must be a list."
            )
            self.problems.append(Problem(reason, where))
            return ()
        if years > 0:
            self.problems.extend(list_has_one_entry_per_year(values, years, where))
        numbers = []
        for year, value in enumerate(values, start=1):
            at = f"{where}[year {year}]"
            number = _decimal(value)
            if number is None:
                self.problems.append(Problem(f"This must be a number, not {value!r}.", at))
                number = Decimal(0)
            self.problems.extend(number_is_not_negative(number, at))
            numbers.append(number)
        return tuple(numbers)

    def table_list(self, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        values = data.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
            self.problems.append(Problem(f"This must be a list of [[{key}]] tables.", key))
            return []
        return values


def validate_case(data: Mapping[str, Any]) -> Case:
    """Check a business case given as a mapping and return it as a :class:`Case`.

    Raises
    ------
    FullvalueError
        Listing every problem found, each with its path and reason.

    Examples
    --------
    >>> case = validate_case({"name": "Demo", "years": 1,
    ...     "costs": [{"agency": "Council", "amounts": [100]}],
    ...     "outcomes": [{"name": "Job", "agency": "DWP", "cashable": True, "fiscal": 50,
    ...                   "economic": 20, "social": 0, "deadweight": 0.2,
    ...                   "optimism_bias": 0.1, "numbers": [3]}]})
    >>> case.agencies, case.outcomes[0].deadweight
    (('Council', 'DWP'), Decimal('0.2'))
    """
    read = _Reader()
    read.problems.extend(fields_are_known(data, CASE_FIELDS, ""))
    name = read.text(data, "name", "name")
    years_value = data.get("years")
    years = 0
    if isinstance(years_value, bool) or not isinstance(years_value, int):
        reason = (
            "This field is required but is missing."
            if years_value is None
            else "This must be a whole number of years."
        )
        read.problems.append(Problem(reason, "years"))
    elif years_value < 1:
        read.problems.append(Problem("There must be at least one year.", "years"))
    else:
        years = years_value
    rate = GREEN_BOOK_RATE
    if "discount_rate" in data:
        rate = read.proportion(data, "discount_rate", "discount_rate")
    costs = []
    for i, row in enumerate(read.table_list(data, "costs")):
        where = f"costs[{i}]"
        read.problems.extend(fields_are_known(row, COST_FIELDS, where))
        costs.append(
            Cost(
                agency=read.text(row, "agency", f"{where}.agency"),
                amounts=read.yearly(row, "amounts", f"{where}.amounts", years),
            )
        )
    if not costs:
        read.problems.append(
            Problem("A business case needs at least one [[costs]] entry.", "costs")
        )
    outcomes = []
    for i, row in enumerate(read.table_list(data, "outcomes")):
        where = f"outcomes[{i}]"
        read.problems.extend(fields_are_known(row, OUTCOME_FIELDS, where))
        cashable = row.get("cashable", False)
        if not isinstance(cashable, bool):
            read.problems.append(Problem("This must be true or false.", f"{where}.cashable"))
            cashable = False
        values = {
            kind: read.number(
                row,
                kind,
                f"{where}.{kind}",
                missing=f"The {kind} unit value (GBP per outcome) is missing; give 0 for none.",
            )
            for kind in UNIT_VALUES
        }
        outcomes.append(
            Outcome(
                name=read.text(row, "name", f"{where}.name"),
                agency=read.text(row, "agency", f"{where}.agency"),
                cashable=cashable,
                fiscal=values["fiscal"],
                economic=values["economic"],
                social=values["social"],
                deadweight=read.proportion(row, "deadweight", f"{where}.deadweight"),
                optimism_bias=read.proportion(row, "optimism_bias", f"{where}.optimism_bias"),
                numbers=read.yearly(row, "numbers", f"{where}.numbers", years),
            )
        )
    if read.problems:
        raise FullvalueError.from_problems("The business case is not valid.", read.problems)
    return Case(
        name=name, years=years, costs=tuple(costs), outcomes=tuple(outcomes), discount_rate=rate
    )


def parse_case(text: str, source: str = "case") -> Case:
    """Read a business case from TOML text (see :func:`validate_case`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FullvalueError.from_problems(
            "The business case is not valid TOML.", [Problem(str(exc), source)]
        ) from exc
    return validate_case(data)


def load_case(path: str | Path) -> Case:
    """Read a business case from a TOML file (see :func:`validate_case`)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise FullvalueError.from_problems(
            "The business case cannot be read.", [Problem(exc.strerror or str(exc), str(path))]
        ) from exc
    return parse_case(text, str(path))
