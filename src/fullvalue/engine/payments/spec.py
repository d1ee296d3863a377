"""A payment mechanism as data: the contract specification, read from TOML and validated.

A specification is a TOML document (see ``docs/payments.md`` for every field and
``docs/contract-spec.schema.json`` for the JSON Schema) with a ``[contract]`` table, the
settlement ``[[periods]]``, the ``[[cohorts]]``, the payment ``[[components]]`` (each with a
``type``), and optionally a ``[supply_chain]`` and the ``[simulation]`` assumptions.

:func:`validate_spec` checks a mapping and returns a frozen :class:`ContractSpec`; it collects
*every* problem, each with its path (``components[2].price``) and a reason, and raises one
:class:`~fullvalue.errors.FullvalueError` listing them all. :func:`parse_spec` reads TOML text
first, :func:`load_spec` a TOML file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeAlias

from fullvalue.engine.payments import rules
from fullvalue.errors import FullvalueError, Problem

#: Results measure name reserved for the result over all cohorts together.
ALL_COHORTS = "all"


@dataclass(frozen=True)
class Period:
    """A settlement period: payments are worked out for each, in order.

    ``start`` and ``end`` are inclusive calendar dates; periods may not overlap.
    """

    name: str
    start: date
    end: date


@dataclass(frozen=True)
class Cohort:
    """A cohort of people whose results are measured together (Peterborough: ~1,000 prisoners).

    ``expected_size`` is a count of people (used by the simulation and shown in reports).
    """

    name: str
    expected_size: int | None = None


@dataclass(frozen=True)
class VolumeBand:
    """The predicted range of volumes for a fee for service, with reconciliation outside it.

    ``expected`` is the predicted volume per period (a count of the results ``measure``);
    ``lower`` and ``upper`` are proportions of it (0.9 and 1.1 mean ±10%); ``unit_price`` in GBP
    is clawed back for each case below ``lower × expected`` and topped up for each case above
    ``upper × expected``.
    """

    measure: str
    expected: Decimal
    lower: Decimal
    upper: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class FeeForService:
    """Fixed periodic fee (GBP per period), optionally reconciled against volume."""

    name: str
    amount: Decimal
    periods: tuple[str, ...] = ()
    volume: VolumeBand | None = None
    kind: str = "fee_for_service"


@dataclass(frozen=True)
class Sustainment:
    """Sustainment payments after an outcome (Work Programme: up to 26 four-weekly payments).

    ``price`` or ``prices`` (per payment group) in GBP per sustainment payment;
    ``max_payments`` is the most sustainment payments one outcome can earn.
    """

    measure: str
    price: Decimal | None
    prices: Mapping[str, Decimal]
    max_payments: int


@dataclass(frozen=True)
class Tariff:
    """A price per event: an attachment fee per start, or an outcome fee per outcome.

    ``kind`` is ``"attachment"`` or ``"outcome"``; ``price`` applies to every event, or
    ``prices`` gives a price per payment group (GBP); ``cap`` limits the component's total.
    """

    name: str
    kind: str
    measure: str
    price: Decimal | None
    prices: Mapping[str, Decimal]
    cap: Decimal | None = None
    sustainment: Sustainment | None = None

    def price_for(self, group: str | None) -> Decimal | None:
        """Return the price in GBP for a payment group (or the single price).

        Notes
        -----
        One price applies to every group; otherwise each group has its own price (the Work
        Programme's payment groups by benefit type), and an unpriced group pays nothing.

        References
        ----------
        Department for Work and Pensions (2011), *The Work Programme* (job outcome and
        sustainment payments differing by customer payment group).

        Examples
        --------
        >>> t = Tariff("job", "outcome", "job_outcome", None,
        ...            {"jsa_18_24": Decimal(1200), "esa": Decimal(3500)})
        >>> t.price_for("esa"), t.price_for("unknown")
        (Decimal('3500'), None)
        """
        if self.price is not None:
            return self.price
        return self.prices.get(group or "")


@dataclass(frozen=True)
class Reoffending:
    """Payment for reoffending results against a baseline or a matched comparison group.

    ``measure`` is ``"binary"`` (proportion of the cohort who reoffend) or ``"frequency"``
    (reoffences per person). Hurdles are proportional reductions, 0-1: ``cohort_hurdle`` for one
    cohort, ``overall_hurdle`` for all cohorts together (a results row with cohort ``all``).
    ``price_per_unit`` is GBP per unit of improvement: per person who did not reoffend (binary)
    or per reoffence avoided (frequency). Caps and grants are GBP.
    """

    name: str
    measure: str
    result: str
    comparison: str
    cohort_hurdle: Decimal | None
    overall_hurdle: Decimal | None
    require_significance: bool
    significance_level: Decimal
    price_per_unit: Decimal
    deduct_on_worsening: bool
    deduction_per_unit: Decimal
    cap_per_cohort: Decimal | None
    cap_total: Decimal | None
    minimum_cohort_size: int | None
    grant_in_lieu: Decimal
    kind: str = "reoffending"


@dataclass(frozen=True)
class Foundation:
    """Up-front (foundation) payments, recovered from later outcome payments.

    ``amount`` in GBP per period; ``offset_rate`` (0-1) is the share of each later outcome
    payment withheld until the foundation payments are recovered.
    """

    name: str
    amount: Decimal
    periods: tuple[str, ...]
    offset_against: tuple[str, ...]
    offset_rate: Decimal
    kind: str = "foundation"


@dataclass(frozen=True)
class Guaranteed:
    """A guaranteed share of the contract value (the grant part of blended funding, e.g. 70/30).

    ``share`` (0-1) of ``contract_value`` (GBP) is paid in equal parts over ``periods``; outcome
    and reoffending payments together are capped at the rest, ``(1 - share) × contract_value``.
    """

    name: str
    contract_value: Decimal
    share: Decimal
    periods: tuple[str, ...] = ()
    kind: str = "guaranteed"

    @property
    def at_risk(self) -> Decimal:
        """The most that outcome payments can add, in GBP.

        Notes
        -----
        ``at_risk = C - g C`` for contract value ``C`` and guaranteed share ``g`` (written so
        that it is exact in Decimal, never ``(1 - g) C`` rounded first).

        References
        ----------
        Ministry of Justice (2014), *Transforming Rehabilitation: payment mechanism*: a fee for
        service for most of the value, with a share (up to 10%) at risk on results; blended
        grant-and-outcome contracts in Government Outcomes Lab guidance (e.g. 70/30).

        Examples
        --------
        >>> Guaranteed("grant", Decimal("200000"), Decimal("0.7")).at_risk
        Decimal('60000.0')
        """
        return self.contract_value - self.contract_value * self.share


Component: TypeAlias = FeeForService | Tariff | Reoffending | Foundation | Guaranteed


@dataclass(frozen=True)
class SupplyChainMember:
    """A member of the supply chain and its share (0-1) of payments after the management fee."""

    name: str
    share: Decimal


@dataclass(frozen=True)
class SupplyChain:
    """How payments flow from the prime to its sub-contractors.

    ``management_fee_rate`` (0-1) of each payment goes to the prime first, but never more than
    ``management_fee_cap`` (GBP per settlement); the rest is shared by ``members``.
    """

    prime: str
    members: tuple[SupplyChainMember, ...]
    management_fee_rate: Decimal = Decimal(0)
    management_fee_cap: Decimal | None = None


@dataclass(frozen=True)
class SimulationAssumptions:
    """What the provider expects, for the risk simulation (``[simulation]`` in the TOML).

    ``cohort_size``: people per period (one cohort per period). ``volume_shortfall_mean`` and
    ``volume_shortfall_sd``: proportion of forecast volume that fails to arrive (TR: 0.16-0.48).
    ``baseline_rate``: proportion who reoffend without the service; ``baseline_frequency``:
    reoffences per person. ``effect_mean`` and ``effect_sd``: the true reduction in the binary
    rate, in proportion points (0.02 = 2 percentage points). ``cost_per_period`` and
    ``cost_per_person`` in GBP. ``payment_lag``: periods between a cohort's period and its
    reoffending payment (12-month follow-up + 6 months + reporting). ``outcome_rates``:
    expected events per person for each tariff measure.
    """

    cohort_size: int
    baseline_rate: Decimal
    baseline_frequency: Decimal = Decimal("1.5")
    volume_shortfall_mean: Decimal = Decimal(0)
    volume_shortfall_sd: Decimal = Decimal(0)
    effect_mean: Decimal = Decimal(0)
    effect_sd: Decimal = Decimal(0)
    cost_per_period: Decimal = Decimal(0)
    cost_per_person: Decimal = Decimal(0)
    payment_lag: int = 0
    outcome_rates: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class ContractSpec:
    """A validated contract specification: what is paid, when and for what."""

    name: str
    periods: tuple[Period, ...]
    cohorts: tuple[Cohort, ...]
    components: tuple[Component, ...]
    commissioner: str = ""
    provider: str = ""
    supply_chain: SupplyChain | None = None
    simulation: SimulationAssumptions | None = None

    def period_names(self) -> list[str]:
        """Return the period names in date order."""
        return [p.name for p in sorted(self.periods, key=lambda p: p.start)]

    def period_of(self, day: date) -> str | None:
        """Return the name of the settlement period that contains ``day``, or None if none does.

        Periods are inclusive of both ends and never overlap (a rule of the specification), so
        a day is in at most one.

        Examples
        --------
        >>> spec = ContractSpec(
        ...     name="x",
        ...     periods=(
        ...         Period("Q1", date(2025, 1, 1), date(2025, 3, 31)),
        ...         Period("Q2", date(2025, 4, 1), date(2025, 6, 30)),
        ...     ),
        ...     cohorts=(),
        ...     components=(),
        ... )
        >>> spec.period_of(date(2025, 3, 31)), spec.period_of(date(2025, 4, 1))
        ('Q1', 'Q2')
        >>> spec.period_of(date(2025, 7, 1)) is None
        True
        """
        for period in self.periods:
            if period.start <= day <= period.end:
                return period.name
        return None

    def component(self, name: str) -> Component:
        """Return the component with this name."""
        for component in self.components:
            if component.name == name:
                return component
        raise KeyError(name)


# --- reading ---------------------------------------------------------------------------------

_MISSING = object()


class _Reader:
    """Reads fields from a mapping, recording every problem with its path."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, location: str, reason: str) -> None:
        self.problems.append(Problem(reason=reason, location=location))

    def breaches(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def _get(self, data: Mapping[str, Any], path: str, key: str, required: bool) -> Any:
        value = data.get(key, _MISSING)
        if value is _MISSING and required:
            self.problem(_join(path, key), "This field is required but is missing.")
        return value

    def known_keys(self, data: Mapping[str, Any], path: str, allowed: Iterable[str]) -> None:
        allowed_set = set(allowed)
        for key in data:
            if key not in allowed_set:
                self.problem(
                    _join(path, key),
                    f"This is not a field here; expected one of: {', '.join(sorted(allowed_set))}.",
                )

    def text(
        self,
        data: Mapping[str, Any],
        path: str,
        key: str,
        *,
        required: bool = True,
        default: str = "",
    ) -> str:
        value = self._get(data, path, key, required)
        if value is _MISSING:
            return default
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str) or not value.strip():
            self.problem(_join(path, key), "This must be a non-empty text value.")
            return default
        return value.strip()

    def texts(self, data: Mapping[str, Any], path: str, key: str) -> tuple[str, ...]:
        value = data.get(key, _MISSING)
        if value is _MISSING:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            self.problem(_join(path, key), "This must be a list of names.")
            return ()
        return tuple(str(v) for v in value)

    def number(
        self, data: Mapping[str, Any], path: str, key: str, *, required: bool = True
    ) -> Decimal | None:
        value = self._get(data, path, key, required)
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.problem(_join(path, key), f"This must be a number, not {value!r}.")
            return None
        try:
            number = Decimal(str(value).replace(",", "").replace("£", ""))
        except InvalidOperation:
            self.problem(_join(path, key), f"This must be a number, not {value!r}.")
            return None
        if not number.is_finite():
            self.problem(_join(path, key), f"This must be a finite number, not {value!r}.")
            return None
        return number

    def money(
        self, data: Mapping[str, Any], path: str, key: str, *, required: bool = True
    ) -> Decimal | None:
        value = self.number(data, path, key, required=required)
        if value is not None:
            self.breaches(rules.money_is_not_negative(value, _join(path, key)))
        return value

    def proportion(
        self, data: Mapping[str, Any], path: str, key: str, *, required: bool = True
    ) -> Decimal | None:
        value = self.number(data, path, key, required=required)
        if value is not None:
            self.breaches(rules.proportion_is_between_0_and_1(value, _join(path, key)))
        return value

    def count(
        self, data: Mapping[str, Any], path: str, key: str, *, required: bool = True
    ) -> int | None:
        value = self._get(data, path, key, required)
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(_join(path, key), f"This must be a whole number, not {value!r}.")
            return None
        self.breaches(rules.count_is_positive(value, _join(path, key)))
        return value

    def boolean(self, data: Mapping[str, Any], path: str, key: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.problem(_join(path, key), "This must be true or false.")
            return default
        return value

    def day(self, data: Mapping[str, Any], path: str, key: str) -> date | None:
        value = self._get(data, path, key, True)
        if value is _MISSING:
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(_join(path, key), f"This must be a date like 2011-04-01, not {value!r}.")
        return None

    def choice(
        self, data: Mapping[str, Any], path: str, key: str, choices: tuple[str, ...], default: str
    ) -> str:
        value = data.get(key, default)
        if value not in choices:
            self.problem(
                _join(path, key), f"This must be one of {', '.join(choices)}, not {value!r}."
            )
            return default
        return str(value)

    def table(
        self, data: Mapping[str, Any], path: str, key: str, *, required: bool = True
    ) -> Mapping[str, Any] | None:
        value = self._get(data, path, key, required)
        if value is _MISSING:
            return None
        if not isinstance(value, Mapping):
            self.problem(_join(path, key), "This must be a table.")
            return None
        return value

    def tables(self, data: Mapping[str, Any], path: str, key: str) -> list[Mapping[str, Any]]:
        value = self._get(data, path, key, False)
        if value is _MISSING:
            return []
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            self.problem(_join(path, key), "This must be an array of tables ([[...]]).")
            return []
        return value

    def money_by_group(self, data: Mapping[str, Any], path: str, key: str) -> dict[str, Decimal]:
        table = self.table(data, path, key, required=False)
        if table is None:
            return {}
        prices: dict[str, Decimal] = {}
        for group in table:
            price = self.money(table, _join(path, key), group)
            if price is not None:
                prices[str(group)] = price
        return prices


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# --- validation ------------------------------------------------------------------------------

_COMPONENT_TYPES = (
    "fee_for_service",
    "attachment",
    "outcome",
    "reoffending",
    "foundation",
    "guaranteed",
)
_COMMON = ("type", "name", "description")


def validate_spec(data: Mapping[str, Any]) -> ContractSpec:
    """Check a contract specification mapping and return it as a :class:`ContractSpec`.

    Parameters
    ----------
    data : mapping
        The specification as parsed from TOML (or JSON): ``contract``, ``periods``, ``cohorts``,
        ``components``, and optionally ``supply_chain`` and ``simulation``.

    Returns
    -------
    ContractSpec
        The validated, frozen specification.

    Raises
    ------
    FullvalueError
        Listing every problem found, each with its path and reason (code ``invalid-spec``).

    Examples
    --------
    >>> spec = validate_spec({
    ...     "contract": {"name": "Grant"},
    ...     "periods": [{"name": "2025", "start": "2025-04-01", "end": "2026-03-31"}],
    ...     "components": [{"type": "fee_for_service", "name": "grant", "amount": 1000}],
    ... })
    >>> spec.components[0].amount
    Decimal('1000')
    >>> validate_spec({"contract": {"name": "x"}, "components": [  # doctest: +ELLIPSIS
    ...     {"type": "attachment", "name": "a", "price": -5}]})
    Traceback (most recent call last):
    ...
    fullvalue.errors.FullvalueError: The contract specification has 2 problems.
      - periods: A contract needs at least one settlement period.
      - components[0].price: An amount of money ... cannot be negative. Here -5.

    """
    read = _Reader()
    read.known_keys(
        data, "", ("contract", "periods", "cohorts", "components", "supply_chain", "simulation")
    )
    contract = read.table(data, "", "contract") or {}
    read.known_keys(contract, "contract", ("name", "commissioner", "provider", "description"))
    name = read.text(contract, "contract", "name")
    periods = _periods(read, data)
    period_names = {p.name for p in periods}
    cohorts = _cohorts(read, data)
    components = _components(read, data, period_names)
    supply_chain = _supply_chain(read, data)
    simulation = _simulation(read, data)
    if read.problems:
        count = len(read.problems)
        raise FullvalueError.from_problems(
            f"The contract specification has {count} problem{'s' if count != 1 else ''}.",
            read.problems,
            code="invalid-spec",
        )
    return ContractSpec(
        name=name,
        commissioner=read.text(contract, "contract", "commissioner", required=False),
        provider=read.text(contract, "contract", "provider", required=False),
        periods=tuple(periods),
        cohorts=tuple(cohorts),
        components=tuple(components),
        supply_chain=supply_chain,
        simulation=simulation,
    )


def _periods(read: _Reader, data: Mapping[str, Any]) -> list[Period]:
    tables = read.tables(data, "", "periods")
    if not tables and "periods" not in data:
        read.problem("periods", "A contract needs at least one settlement period.")
    periods: list[Period] = []
    for index, table in enumerate(tables):
        path = f"periods[{index}]"
        read.known_keys(table, path, ("name", "start", "end"))
        name = read.text(table, path, "name")
        start, end = read.day(table, path, "start"), read.day(table, path, "end")
        if start and end:
            read.breaches(rules.period_ends_after_it_starts(start, end, path))
            periods.append(Period(name, start, end))
    read.breaches(rules.names_are_unique([p.name for p in periods], "periods"))
    read.breaches(rules.periods_do_not_overlap([(p.name, p.start, p.end) for p in periods]))
    return periods


def _cohorts(read: _Reader, data: Mapping[str, Any]) -> list[Cohort]:
    cohorts = []
    for index, table in enumerate(read.tables(data, "", "cohorts")):
        path = f"cohorts[{index}]"
        read.known_keys(table, path, ("name", "expected_size"))
        name = read.text(table, path, "name")
        if name == ALL_COHORTS:
            read.problem(
                f"{path}.name", f"{ALL_COHORTS!r} is reserved for results over all cohorts."
            )
        cohorts.append(Cohort(name, read.count(table, path, "expected_size", required=False)))
    read.breaches(rules.names_are_unique([c.name for c in cohorts], "cohorts"))
    return cohorts


def _components(read: _Reader, data: Mapping[str, Any], period_names: set[str]) -> list[Component]:
    tables = read.tables(data, "", "components")
    read.breaches(rules.contract_has_components(tables))
    components: list[Component] = []
    for index, table in enumerate(tables):
        path = f"components[{index}]"
        kind = read.text(table, path, "type")
        if kind and kind not in _COMPONENT_TYPES:
            read.problem(
                f"{path}.type", f"This must be one of {', '.join(_COMPONENT_TYPES)}, not {kind!r}."
            )
            continue
        builder = _BUILDERS.get(kind)
        if builder is None:
            continue
        component = builder(read, table, path)
        components.append(component)
        for key in ("periods",):
            read.breaches(
                rules.periods_are_known(read.texts(table, path, key), period_names, f"{path}.{key}")
            )
    read.breaches(rules.names_are_unique([c.name for c in components], "components"))
    outcome_names = {
        c.name
        for c in components
        if isinstance(c, Reoffending) or (isinstance(c, Tariff) and c.kind == "outcome")
    }
    for component in components:
        if isinstance(component, Foundation):
            where = f"components[{_index_of(tables, component.name)}].offset_against"
            read.breaches(
                rules.offsets_name_payment_components(
                    component.offset_against, outcome_names, where
                )
            )
    guaranteed_at = [
        f"components[{_index_of(tables, c.name)}]" for c in components if isinstance(c, Guaranteed)
    ]
    read.breaches(rules.at_most_one_guaranteed_share(guaranteed_at))
    return components


def _index_of(tables: list[Mapping[str, Any]], name: str) -> int:
    for index, table in enumerate(tables):
        if table.get("name") == name:
            return index
    return -1


def _fee(read: _Reader, table: Mapping[str, Any], path: str) -> Component:
    read.known_keys(table, path, (*_COMMON, "amount", "periods", "volume"))
    volume = None
    band = read.table(table, path, "volume", required=False)
    if band is not None:
        where = f"{path}.volume"
        read.known_keys(band, where, ("measure", "expected", "lower", "upper", "unit_price"))
        expected = read.money(band, where, "expected")
        lower = read.proportion(band, where, "lower")
        upper = read.number(band, where, "upper")
        if upper is not None and upper < 0:
            read.problem(f"{where}.upper", "The upper end of a volume band cannot be negative.")
        unit_price = read.money(band, where, "unit_price")
        if lower is not None and upper is not None:
            read.breaches(rules.volume_band_is_ordered(lower, upper, where))
        volume = VolumeBand(
            measure=read.text(band, where, "measure", required=False, default="volume"),
            expected=expected or Decimal(0),
            lower=lower or Decimal(0),
            upper=upper or Decimal(0),
            unit_price=unit_price or Decimal(0),
        )
    return FeeForService(
        name=read.text(table, path, "name"),
        amount=read.money(table, path, "amount") or Decimal(0),
        periods=read.texts(table, path, "periods"),
        volume=volume,
    )


def _tariff(read: _Reader, table: Mapping[str, Any], path: str) -> Component:
    kind = str(table.get("type"))
    default_measure = "starts" if kind == "attachment" else ""
    read.known_keys(table, path, (*_COMMON, "measure", "price", "prices", "cap", "sustainment"))
    price = read.money(table, path, "price", required=False)
    prices = read.money_by_group(table, path, "prices")
    read.breaches(rules.payment_group_prices_are_given(price, prices, path))
    sustainment = None
    sus = read.table(table, path, "sustainment", required=False)
    if sus is not None:
        where = f"{path}.sustainment"
        read.known_keys(sus, where, ("measure", "price", "prices", "max_payments"))
        sus_price = read.money(sus, where, "price", required=False)
        sus_prices = read.money_by_group(sus, where, "prices")
        read.breaches(rules.payment_group_prices_are_given(sus_price, sus_prices, where))
        sustainment = Sustainment(
            measure=read.text(sus, where, "measure"),
            price=sus_price,
            prices=sus_prices,
            max_payments=read.count(sus, where, "max_payments") or 1,
        )
    if kind == "attachment" and sustainment is not None:
        read.problem(f"{path}.sustainment", "Only an outcome tariff can have sustainment payments.")
    return Tariff(
        name=read.text(table, path, "name"),
        kind=kind,
        measure=read.text(
            table, path, "measure", required=not default_measure, default=default_measure
        ),
        price=price,
        prices=prices,
        cap=read.money(table, path, "cap", required=False),
        sustainment=sustainment,
    )


def _reoffending(read: _Reader, table: Mapping[str, Any], path: str) -> Component:
    read.known_keys(
        table,
        path,
        (
            *_COMMON,
            "measure",
            "result",
            "comparison",
            "cohort_hurdle",
            "overall_hurdle",
            "require_significance",
            "significance_level",
            "price_per_unit",
            "deduct_on_worsening",
            "deduction_per_unit",
            "cap_per_cohort",
            "cap_total",
            "minimum_cohort_size",
            "grant_in_lieu",
        ),
    )
    measure = read.choice(table, path, "measure", ("binary", "frequency"), "binary")
    cohort_hurdle = read.proportion(table, path, "cohort_hurdle", required=False)
    overall_hurdle = read.proportion(table, path, "overall_hurdle", required=False)
    read.breaches(rules.reoffending_has_a_way_to_pay(cohort_hurdle, overall_hurdle, path))
    read.breaches(rules.overall_hurdle_not_above_cohort_hurdle(cohort_hurdle, overall_hurdle, path))
    price = read.money(table, path, "price_per_unit") or Decimal(0)
    deduction = read.money(table, path, "deduction_per_unit", required=False)
    minimum = read.count(table, path, "minimum_cohort_size", required=False)
    grant = read.money(table, path, "grant_in_lieu", required=False)
    if grant is not None and minimum is None:
        read.problem(f"{path}.grant_in_lieu", "A grant in lieu needs a minimum_cohort_size.")
    return Reoffending(
        name=read.text(table, path, "name"),
        measure=measure,
        result=read.text(table, path, "result", required=False, default=f"reoffending_{measure}"),
        comparison=read.choice(table, path, "comparison", ("baseline", "matched"), "baseline"),
        cohort_hurdle=cohort_hurdle,
        overall_hurdle=overall_hurdle,
        require_significance=read.boolean(table, path, "require_significance", False),
        significance_level=read.proportion(table, path, "significance_level", required=False)
        or Decimal("0.05"),
        price_per_unit=price,
        deduct_on_worsening=read.boolean(table, path, "deduct_on_worsening", False),
        deduction_per_unit=deduction if deduction is not None else price,
        cap_per_cohort=read.money(table, path, "cap_per_cohort", required=False),
        cap_total=read.money(table, path, "cap_total", required=False),
        minimum_cohort_size=minimum,
        grant_in_lieu=grant or Decimal(0),
    )


def _foundation(read: _Reader, table: Mapping[str, Any], path: str) -> Component:
    read.known_keys(table, path, (*_COMMON, "amount", "periods", "offset_against", "offset_rate"))
    rate = read.proportion(table, path, "offset_rate", required=False)
    return Foundation(
        name=read.text(table, path, "name"),
        amount=read.money(table, path, "amount") or Decimal(0),
        periods=read.texts(table, path, "periods"),
        offset_against=read.texts(table, path, "offset_against"),
        offset_rate=Decimal(1) if rate is None else rate,
    )


def _guaranteed(read: _Reader, table: Mapping[str, Any], path: str) -> Component:
    read.known_keys(table, path, (*_COMMON, "contract_value", "share", "periods"))
    return Guaranteed(
        name=read.text(table, path, "name"),
        contract_value=read.money(table, path, "contract_value") or Decimal(0),
        share=read.proportion(table, path, "share") or Decimal(0),
        periods=read.texts(table, path, "periods"),
    )


_BUILDERS: dict[str, Callable[[_Reader, Mapping[str, Any], str], Component]] = {
    "fee_for_service": _fee,
    "attachment": _tariff,
    "outcome": _tariff,
    "reoffending": _reoffending,
    "foundation": _foundation,
    "guaranteed": _guaranteed,
}


def _supply_chain(read: _Reader, data: Mapping[str, Any]) -> SupplyChain | None:
    table = read.table(data, "", "supply_chain", required=False)
    if table is None:
        return None
    path = "supply_chain"
    read.known_keys(table, path, ("prime", "members", "management_fee_rate", "management_fee_cap"))
    members = []
    for index, member in enumerate(read.tables(table, path, "members")):
        where = f"{path}.members[{index}]"
        read.known_keys(member, where, ("name", "share"))
        members.append(
            SupplyChainMember(
                read.text(member, where, "name"),
                read.proportion(member, where, "share") or Decimal(0),
            )
        )
    if not members:
        read.problem(f"{path}.members", "A supply chain needs at least one member.")
    read.breaches(rules.shares_add_up_to_the_whole([m.share for m in members], f"{path}.members"))
    read.breaches(rules.names_are_unique([m.name for m in members], f"{path}.members"))
    prime = read.text(table, path, "prime")
    if prime and members:
        read.breaches(rules.prime_is_a_member(prime, {m.name for m in members}, f"{path}.prime"))
    rate = read.proportion(table, path, "management_fee_rate", required=False)
    return SupplyChain(
        prime=prime,
        members=tuple(members),
        management_fee_rate=rate or Decimal(0),
        management_fee_cap=read.money(table, path, "management_fee_cap", required=False),
    )


def _simulation(read: _Reader, data: Mapping[str, Any]) -> SimulationAssumptions | None:
    table = read.table(data, "", "simulation", required=False)
    if table is None:
        return None
    path = "simulation"
    read.known_keys(
        table,
        path,
        (
            "cohort_size",
            "baseline_rate",
            "baseline_frequency",
            "volume_shortfall_mean",
            "volume_shortfall_sd",
            "effect_mean",
            "effect_sd",
            "cost_per_period",
            "cost_per_person",
            "payment_lag",
            "outcome_rates",
        ),
    )

    def proportion(key: str) -> Decimal:
        value = read.proportion(table, path, key, required=False)
        return Decimal(0) if value is None else value

    rates_table = read.table(table, path, "outcome_rates", required=False) or {}
    rates: dict[str, Decimal] = {}
    for measure in rates_table:
        rate = read.number(rates_table, f"{path}.outcome_rates", measure)
        if rate is not None:
            if rate < 0:
                read.problem(
                    f"{path}.outcome_rates.{measure}", "An outcome rate cannot be negative."
                )
            rates[str(measure)] = rate
    lag = table.get("payment_lag", 0)
    if isinstance(lag, bool) or not isinstance(lag, int) or lag < 0:
        read.problem(f"{path}.payment_lag", "This must be a whole number of periods, 0 or more.")
        lag = 0
    frequency = read.money(table, path, "baseline_frequency", required=False)
    return SimulationAssumptions(
        cohort_size=read.count(table, path, "cohort_size") or 1,
        baseline_rate=read.proportion(table, path, "baseline_rate") or Decimal(0),
        baseline_frequency=Decimal("1.5") if frequency is None else frequency,
        volume_shortfall_mean=proportion("volume_shortfall_mean"),
        volume_shortfall_sd=proportion("volume_shortfall_sd"),
        effect_mean=read.number(table, path, "effect_mean", required=False) or Decimal(0),
        effect_sd=proportion("effect_sd"),
        cost_per_period=read.money(table, path, "cost_per_period", required=False) or Decimal(0),
        cost_per_person=read.money(table, path, "cost_per_person", required=False) or Decimal(0),
        payment_lag=lag,
        outcome_rates=rates,
    )


def parse_spec(text: str, *, source: str = "<text>") -> ContractSpec:
    """Read a contract specification from TOML text, and validate it.

    Parameters
    ----------
    text : str
        The TOML document (as stored with a contract or typed into a form).
    source : str
        Where the text came from, recorded on every problem (a file name, or ``<text>``).

    Raises
    ------
    FullvalueError
        If the text is not TOML, or breaks any rule (every problem listed).

    Examples
    --------
    >>> spec = parse_spec('''
    ... [contract]
    ... name = "Mentoring"
    ... [[periods]]
    ... name = "2025"
    ... start = 2025-01-01
    ... end = 2025-12-31
    ... [[components]]
    ... type = "attachment"
    ... name = "start"
    ... price = 250
    ... ''')
    >>> spec.name, spec.period_names()
    ('Mentoring', ['2025'])
    >>> try:
    ...     parse_spec("[contract")
    ... except FullvalueError as exc:
    ...     print(exc.code, "-", exc.message)
    invalid-spec - The contract specification is not valid TOML.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FullvalueError.from_problems(
            "The contract specification is not valid TOML.",
            [Problem(reason=str(exc), location=source)],
            code="invalid-spec",
        ) from exc
    try:
        return validate_spec(data)
    except FullvalueError as exc:
        exc.problems = [
            Problem(p.reason, p.location, p.row, p.column, source=source) for p in exc.problems
        ]
        raise


def load_spec(path: str | Path) -> ContractSpec:
    """Read a contract specification from a TOML file, and validate it.

    Parameters
    ----------
    path : str or Path
        The ``.toml`` file. For TOML text already in hand, use :func:`parse_spec`.

    Raises
    ------
    FullvalueError
        If the file cannot be read (code ``not-found``), is not TOML, or breaks any rule (every
        problem listed, each naming the file).

    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FullvalueError.from_problems(
            "The contract specification cannot be read.",
            [Problem(reason=exc.strerror or str(exc), location=str(path))],
            code="not-found",
        ) from exc
    return parse_spec(text, source=str(path))


def iter_outcome_components(spec: ContractSpec) -> Iterator[Tariff | Reoffending]:
    """Yield the components whose payments depend on outcomes (outcome tariffs and reoffending)."""
    for component in spec.components:
        if isinstance(component, Reoffending) or (
            isinstance(component, Tariff) and component.kind == "outcome"
        ):
            yield component
