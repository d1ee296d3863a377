"""The payment mechanism designer: a mechanism in plain words, turned into the engine's spec.

A commissioner chooses a starting point (fee for service, blended 70/30, 100% payment by results,
grant, Peterborough-style, Transforming Rehabilitation-style, Work Programme-style), then adjusts
components in plain words. The programme's own dates, years, volumes and budget fill in the
periods, cohorts and amounts: the specification (TOML) is generated, never typed. Analysts can
still download it, or upload one instead.

Pure Python (no Django): the page, the API and the tests use the same functions.

Amounts are GBP as :class:`~decimal.Decimal`; percentages are entered as 0-100 and stored in
the specification as proportions 0-1.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from fullvalue.errors import Problem

#: Outcome codes (from the catalogue) paid by a reoffending payment, by its measure.
REOFFENDING_OUTCOMES = {
    "binary": "proven-reoffending-binary",
    "frequency": "proven-reoffending-frequency",
}
#: Outcome tariff rows on the form.
TARIFF_ROWS = 3
HUNDRED = Decimal(100)
#: Reoffences per person without the service (the engine's default frequency baseline).
FREQUENCY_PER_PERSON = Decimal("1.5")


@dataclass(frozen=True)
class Tariff:
    """A price for each person achieving an outcome (``rate``: expected share of people, 0-100).

    ``cap`` (GBP, optional) is the most paid for this outcome over the whole contract.
    """

    outcome: str
    price: Decimal
    rate: Decimal
    cap: Decimal | None = None


@dataclass(frozen=True)
class Design:
    """A payment mechanism in the words a commissioner uses (every field has a form field).

    ``guaranteed_percent`` (0-100) of the budget is paid whatever the results: as a guaranteed
    share that also caps results at the rest of the budget (``cap_results_at_rest``), or as a
    fixed fee each year. Reoffending hurdles are percentage reductions; ``reoffending_price`` is
    GBP per person fewer reoffending (binary) or per reoffence avoided (frequency). Assumptions
    for the risk preview: ``baseline_rate`` (percent who would reoffend anyway),
    ``expected_effect`` (percentage points fewer), ``delivery_cost`` (GBP a year, blank: 90% of
    the yearly budget), ``cost_per_person`` (GBP), ``payment_lag`` (years before results are
    paid).
    """

    starting_point: str = "blended"
    guaranteed_percent: Decimal = Decimal(70)
    cap_results_at_rest: bool = True
    attachment_fee: Decimal = Decimal(0)
    tariffs: tuple[Tariff, ...] = ()
    reoffending: bool = True
    reoffending_measure: str = "binary"
    reoffending_comparison: str = "matched"
    reoffending_price: Decimal = Decimal(0)
    reoffending_hurdle: Decimal = Decimal(10)
    reoffending_overall_hurdle: Decimal | None = None
    reoffending_significance: bool = True
    reoffending_deduct: bool = False
    reoffending_cap_per_year: Decimal | None = None
    reoffending_cap_total: Decimal | None = None
    foundation_per_year: Decimal = Decimal(0)
    foundation_recovery: Decimal = Decimal(50)
    small_cohort_size: int | None = None
    small_cohort_grant: Decimal = Decimal(0)
    baseline_rate: Decimal = Decimal(43)
    expected_effect: Decimal = Decimal(4)
    delivery_cost: Decimal | None = None
    cost_per_person: Decimal = Decimal(0)
    payment_lag: int = 2

    def outcome_codes(self) -> set[str]:
        """The outcomes this mechanism pays for (catalogue codes)."""
        codes = {t.outcome for t in self.tariffs}
        if self.reoffending:
            codes.add(REOFFENDING_OUTCOMES[self.reoffending_measure])
        return codes


@dataclass(frozen=True)
class Programme:
    """The programme's own figures: budget (GBP in total), years, start date, people a year."""

    budget: Decimal
    years: int
    start: dt.date
    volume_low: int
    volume_expected: int
    volume_high: int
    name: str = "Programme"
    commissioner: str = ""


STARTING_POINTS: dict[str, tuple[str, str]] = {
    "fee": (
        "Fee for service",
        "A fixed fee each year for delivering the service; nothing depends on results.",
    ),
    "blended": (
        "Blended 70/30",
        "70% of the budget guaranteed, up to 30% paid for fewer people reoffending.",
    ),
    "pbr": (
        "100% payment by results",
        "Everything depends on results: the provider carries all the risk and needs capital.",
    ),
    "grant": ("Grant", "The whole budget paid in equal parts each year, whatever the results."),
    "peterborough": (
        "Peterborough-style social impact bond",
        "Paid for fewer reconvictions than a matched comparison group: a 10% reduction in one "
        "year's cohort, or 7.5% over all cohorts; investors fund the service meanwhile.",
    ),
    "tr": (
        "Transforming Rehabilitation-style",
        "80% as a fee for service, a foundation payment up front, and 20% for a significant "
        "fall in reoffending against the baseline, with deductions if it rises.",
    ),
    "work-programme": (
        "Work Programme-style",
        "An attachment fee for each person who starts, and a tariff for each sustained job.",
    ),
}


def _round_to(value: Decimal, step: int) -> Decimal:
    return (value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step


def _results_price(pot: Decimal, programme: Programme, design: Design) -> Decimal:
    """A price per unit at which a 10% fall in reoffending earns the yearly results pot."""
    per_person = (
        FREQUENCY_PER_PERSON
        if design.reoffending_measure == "frequency"
        else design.baseline_rate / HUNDRED
    )
    units = (Decimal(programme.volume_expected) * per_person * Decimal("0.1")) or Decimal(1)
    yearly = pot / programme.years
    return max(_round_to(yearly / units, 10), Decimal(10))


def starting_point(name: str, programme: Programme) -> Design:
    """The design of a starting point, with amounts worked out from the programme's figures.

    >>> p = Programme(Decimal(450000), 3, dt.date(2027, 4, 1), 100, 150, 180)
    >>> d = starting_point("blended", p)
    >>> (d.guaranteed_percent, d.reoffending_price, d.reoffending_cap_per_year)
    (Decimal('70'), Decimal('6980'), Decimal('45000.00'))
    """
    budget, years = programme.budget, programme.years
    base = Design(starting_point=name)
    if name == "fee":
        return dataclasses.replace(
            base, guaranteed_percent=HUNDRED, cap_results_at_rest=False, reoffending=False
        )
    if name == "grant":
        return dataclasses.replace(base, guaranteed_percent=HUNDRED, reoffending=False)
    if name == "blended":
        pot = budget * Decimal("0.3")
        return dataclasses.replace(
            base,
            reoffending_price=_results_price(pot, programme, base),
            reoffending_cap_per_year=(pot / years).quantize(Decimal("0.01")),
            small_cohort_size=60,
            small_cohort_grant=(pot / years / 2).quantize(Decimal("0.01")),
        )
    if name == "pbr":
        return dataclasses.replace(
            base,
            guaranteed_percent=Decimal(0),
            cap_results_at_rest=False,
            reoffending_price=_results_price(budget, programme, base),
            reoffending_cap_per_year=(budget * Decimal("1.5") / years).quantize(Decimal("0.01")),
        )
    if name == "peterborough":
        design = dataclasses.replace(
            base,
            guaranteed_percent=Decimal(0),
            cap_results_at_rest=False,
            reoffending_measure="frequency",
            reoffending_significance=False,
            reoffending_overall_hurdle=Decimal("7.5"),
            baseline_rate=Decimal(60),
            expected_effect=Decimal(5),
        )
        return dataclasses.replace(
            design,
            reoffending_price=_results_price(budget, programme, design),
            reoffending_cap_per_year=(budget * Decimal("1.6") / years).quantize(Decimal("0.01")),
        )
    if name == "tr":
        pot = budget * Decimal("0.2")
        design = dataclasses.replace(
            base,
            guaranteed_percent=Decimal(80),
            cap_results_at_rest=False,
            reoffending_comparison="baseline",
            reoffending_hurdle=Decimal(0),
            reoffending_deduct=True,
            foundation_per_year=(budget * Decimal("0.05") / years).quantize(Decimal("0.01")),
            baseline_rate=Decimal("47.5"),
            expected_effect=Decimal("1.5"),
        )
        return dataclasses.replace(
            design,
            reoffending_price=_results_price(pot, programme, design),
            reoffending_cap_per_year=(pot / years).quantize(Decimal("0.01")),
        )
    if name == "work-programme":
        people = Decimal(max(programme.volume_expected, 1) * years)
        return dataclasses.replace(
            base,
            guaranteed_percent=Decimal(0),
            cap_results_at_rest=False,
            reoffending=False,
            attachment_fee=_round_to(budget * Decimal("0.1") / people, 10),
            tariffs=(
                Tariff(
                    "employment-sustained",
                    _round_to(budget * Decimal("0.9") / (people * Decimal("0.25")), 10),
                    Decimal(25),
                ),
            ),
        )
    raise KeyError(name)


def period_name(start: dt.date) -> str:
    """A yearly period's name: the financial year ``2027-28``, or ``2027`` from 1 January.

    >>> period_name(dt.date(2027, 4, 1)), period_name(dt.date(2028, 1, 1))
    ('2027-28', '2028')
    """
    if (start.month, start.day) == (1, 1):
        return str(start.year)
    return f"{start.year}-{(start.year + 1) % 100:02d}"


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def yearly_periods(start: dt.date, years: int) -> list[dict[str, Any]]:
    """One settlement period a year from ``start`` (inclusive dates, no overlap)."""
    periods = []
    for i in range(years):
        begin = _add_years(start, i)
        end = _add_years(start, i + 1) - dt.timedelta(days=1)
        periods.append({"name": period_name(begin), "start": begin, "end": end})
    return periods


def _num(value: Decimal) -> int | float:
    """A Decimal for TOML: an integer when whole, else a float (the spec reads it back exactly)."""
    return int(value) if value == value.to_integral_value() else float(value)


def build_spec(design: Design, programme: Programme) -> dict[str, Any]:
    """The contract specification (as the mapping the engine validates) for a design.

    Notes
    -----
    The guaranteed part is ``guaranteed_percent / 100 × budget``: a ``guaranteed`` component of
    the whole budget (results then capped at the rest) or a fee of that amount divided by the
    years. A small cohort (fewer than ``small_cohort_size`` people in a year) gets the grant in
    lieu of the reoffending payment. The provider's delivery cost defaults to 90% of the yearly
    budget. Volumes: each year's cohort is drawn up to the high volume, centred on the expected
    one with the low one at the 5th percentile (see :mod:`fullvalue.web.programmes.risk`).
    """
    periods = yearly_periods(programme.start, programme.years)
    share = design.guaranteed_percent / HUNDRED
    components: list[dict[str, Any]] = []
    if share > 0 and design.cap_results_at_rest:
        components.append(
            {
                "type": "guaranteed",
                "name": "guaranteed share",
                "contract_value": _num(programme.budget),
                "share": _num(share),
            }
        )
    elif share > 0:
        fee = (programme.budget * share / programme.years).quantize(Decimal("0.01"))
        components.append({"type": "fee_for_service", "name": "fee", "amount": _num(fee)})
    if design.attachment_fee > 0:
        components.append(
            {
                "type": "attachment",
                "name": "attachment fee",
                "measure": "starts",
                "price": _num(design.attachment_fee),
            }
        )
    for tariff in design.tariffs:
        outcome: dict[str, Any] = {
            "type": "outcome",
            "name": tariff.outcome,
            "measure": tariff.outcome,
            "price": _num(tariff.price),
        }
        if tariff.cap is not None:
            outcome["cap"] = _num(tariff.cap)
        components.append(outcome)
    if design.reoffending:
        reoffending: dict[str, Any] = {
            "type": "reoffending",
            "name": "reoffending",
            "measure": design.reoffending_measure,
            "comparison": design.reoffending_comparison,
            "cohort_hurdle": _num(design.reoffending_hurdle / HUNDRED),
            "require_significance": design.reoffending_significance,
            "price_per_unit": _num(design.reoffending_price),
            "deduct_on_worsening": design.reoffending_deduct,
        }
        if design.reoffending_overall_hurdle is not None:
            reoffending["overall_hurdle"] = _num(design.reoffending_overall_hurdle / HUNDRED)
        if design.reoffending_cap_per_year is not None:
            reoffending["cap_per_cohort"] = _num(design.reoffending_cap_per_year)
        if design.reoffending_cap_total is not None:
            reoffending["cap_total"] = _num(design.reoffending_cap_total)
        if design.small_cohort_size:
            reoffending["minimum_cohort_size"] = design.small_cohort_size
            reoffending["grant_in_lieu"] = _num(design.small_cohort_grant)
        components.append(reoffending)
    outcome_names = [c["name"] for c in components if c["type"] in ("outcome", "reoffending")]
    if design.foundation_per_year > 0 and outcome_names:
        components.append(
            {
                "type": "foundation",
                "name": "foundation payment",
                "amount": _num(design.foundation_per_year),
                "offset_against": outcome_names,
                "offset_rate": _num(design.foundation_recovery / HUNDRED),
            }
        )
    cost = design.delivery_cost
    if cost is None:
        cost = (programme.budget * Decimal("0.9") / programme.years).quantize(Decimal("0.01"))
    rates: dict[str, Any] = {"starts": 1}
    for tariff in design.tariffs:
        rates[tariff.outcome] = _num(tariff.rate / HUNDRED)
    return {
        "contract": {"name": programme.name, "commissioner": programme.commissioner},
        "periods": periods,
        "cohorts": [
            {"name": p["name"], "expected_size": programme.volume_expected} for p in periods
        ],
        "components": components,
        "simulation": {
            "cohort_size": max(programme.volume_expected, 1),
            "baseline_rate": _num(design.baseline_rate / HUNDRED),
            "effect_mean": _num(design.expected_effect / HUNDRED),
            "effect_sd": _num(design.expected_effect / HUNDRED * Decimal("0.75")),
            "cost_per_period": _num(cost),
            "cost_per_person": _num(design.cost_per_person),
            "payment_lag": design.payment_lag if design.reoffending else 0,
            "outcome_rates": rates,
        },
    }


# --- TOML ------------------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | dt.date):
        return str(value) if not isinstance(value, float) else repr(value)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else _toml_value(key)


def to_toml(spec: Mapping[str, Any]) -> str:
    """TOML text for a specification mapping (tables, arrays of tables, inline tables).

    >>> print(to_toml({"contract": {"name": "A"}, "periods": [{"name": "2027-28"}]}))
    [contract]
    name = "A"
    <BLANKLINE>
    [[periods]]
    name = "2027-28"
    <BLANKLINE>
    """
    lines: list[str] = []
    for section, body in spec.items():
        if isinstance(body, list):
            for item in body:
                lines.append(f"[[{section}]]")
                lines += [f"{_key(k)} = {_toml_value(v)}" for k, v in item.items()]
                lines.append("")
        else:
            lines.append(f"[{section}]")
            lines += [f"{_key(k)} = {_toml_value(v)}" for k, v in body.items()]
            lines.append("")
    return "\n".join(lines)


# --- the form --------------------------------------------------------------------------------

#: Form field names, labels (for error messages) in the order they appear.
FIELDS = {
    "guaranteed_percent": "Share of the budget paid whatever the results",
    "attachment_fee": "Attachment fee",
    "reoffending_price": "Payment for each person fewer reoffending",
    "reoffending_hurdle": "Smallest reduction that is paid",
    "reoffending_overall_hurdle": "Smallest reduction over all years",
    "reoffending_cap_per_year": "Most paid for reoffending in a year",
    "reoffending_cap_total": "Most paid for reoffending over the whole contract",
    "foundation_per_year": "Foundation payment a year",
    "foundation_recovery": "Share of later results payments that recovers it",
    "small_cohort_size": "Smallest cohort paid on reoffending results",
    "small_cohort_grant": "Grant in lieu for a smaller cohort",
    "baseline_rate": "People who would reoffend without the service",
    "expected_effect": "Expected fall in reoffending",
    "delivery_cost": "The provider's delivery cost a year",
    "cost_per_person": "The provider's cost for each person",
    "payment_lag": "Years before reoffending results are paid",
}


def design_values(design: Design) -> dict[str, str]:
    """The form's values for a design (strings, as a form shows them)."""

    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, Decimal):
            return f"{value.normalize():f}"
        return str(value)

    values = {
        name: text(getattr(design, name))
        for name in (
            "starting_point",
            "guaranteed_percent",
            "cap_results_at_rest",
            "attachment_fee",
            "reoffending",
            "reoffending_measure",
            "reoffending_comparison",
            "reoffending_price",
            "reoffending_hurdle",
            "reoffending_overall_hurdle",
            "reoffending_significance",
            "reoffending_deduct",
            "reoffending_cap_per_year",
            "reoffending_cap_total",
            "foundation_per_year",
            "foundation_recovery",
            "small_cohort_size",
            "small_cohort_grant",
            "baseline_rate",
            "expected_effect",
            "delivery_cost",
            "cost_per_person",
            "payment_lag",
        )
    }
    for i in range(TARIFF_ROWS):
        tariff = design.tariffs[i] if i < len(design.tariffs) else None
        values[f"tariff_{i}_outcome"] = tariff.outcome if tariff else ""
        values[f"tariff_{i}_price"] = text(tariff.price) if tariff else ""
        values[f"tariff_{i}_rate"] = text(tariff.rate) if tariff else ""
        values[f"tariff_{i}_cap"] = text(tariff.cap) if tariff else ""
    return values


class _Reader:
    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.problems: list[Problem] = []

    def raw(self, name: str) -> str:
        return str(self.data.get(name) or "").strip().replace(",", "").lstrip("£").rstrip("%")

    def number(
        self,
        name: str,
        default: Decimal | None,
        *,
        label: str,
        high: Decimal | None = None,
        unit: str = "an amount in pounds",
    ) -> Decimal | None:
        text = self.raw(name)
        if not text:
            return default
        try:
            value = Decimal(text)
            if not value.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            self.problems.append(Problem(f"{label}: enter {unit}, like 250", column=name))
            return default
        if value < 0 or (high is not None and value > high):
            limit = f"between 0 and {high}" if high is not None else "0 or more"
            self.problems.append(Problem(f"{label} must be {limit}", column=name))
            return default
        return value

    def whole(self, name: str, default: int | None, *, label: str, high: int) -> int | None:
        value = self.number(name, None, label=label, unit="a whole number")
        if value is None:
            return default
        if value != value.to_integral_value() or value > high:
            self.problems.append(
                Problem(f"{label} must be a whole number from 0 to {high}", column=name)
            )
            return default
        return int(value)

    def yes(self, name: str, default: bool) -> bool:
        value = str(self.data.get(name) or "").strip()
        return default if not value else value == "yes"

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = str(self.data.get(name) or "").strip()
        return value if value in choices else default


def parse_design(data: Mapping[str, Any]) -> tuple[Design, list[Problem]]:
    """Read a design from the form's values; collect every problem, each naming its field."""
    read = _Reader(data)
    pct = Decimal(100)

    def money(name: str, default: Decimal | None = Decimal(0)) -> Decimal | None:
        return read.number(name, default, label=FIELDS[name])

    def percent(name: str, default: Decimal | None) -> Decimal | None:
        return read.number(name, default, label=FIELDS[name], high=pct, unit="a percentage")

    tariffs = []
    for i in range(TARIFF_ROWS):
        outcome = str(data.get(f"tariff_{i}_outcome") or "").strip()
        price_text = read.raw(f"tariff_{i}_price")
        if not outcome and not price_text:
            continue
        label = f"Outcome payment {i + 1}"
        if not outcome:
            read.problems.append(
                Problem(f"{label}: choose the outcome it pays for", column=f"tariff_{i}_outcome")
            )
        price = read.number(f"tariff_{i}_price", None, label=f"{label}: price")
        if price is None and not any(p.column == f"tariff_{i}_price" for p in read.problems):
            read.problems.append(
                Problem(f"{label}: enter the price for each person", column=f"tariff_{i}_price")
            )
        rate = read.number(
            f"tariff_{i}_rate",
            Decimal(25),
            label=f"{label}: share of people expected to achieve it",
            high=pct,
            unit="a percentage",
        )
        cap = read.number(f"tariff_{i}_cap", None, label=f"{label}: most paid over the contract")
        if outcome and price is not None:
            tariffs.append(Tariff(outcome, price, rate or Decimal(0), cap))
    defaults = Design()
    design = Design(
        starting_point=read.choice("starting_point", tuple(STARTING_POINTS), "blended"),
        guaranteed_percent=percent("guaranteed_percent", Decimal(0)) or Decimal(0),
        cap_results_at_rest=read.yes("cap_results_at_rest", False),
        attachment_fee=money("attachment_fee") or Decimal(0),
        tariffs=tuple(tariffs),
        reoffending=read.yes("reoffending", False),
        reoffending_measure=read.choice("reoffending_measure", ("binary", "frequency"), "binary"),
        reoffending_comparison=read.choice(
            "reoffending_comparison", ("matched", "baseline"), "matched"
        ),
        reoffending_price=money("reoffending_price") or Decimal(0),
        reoffending_hurdle=percent("reoffending_hurdle", Decimal(0)) or Decimal(0),
        reoffending_overall_hurdle=percent("reoffending_overall_hurdle", None),
        reoffending_significance=read.yes("reoffending_significance", False),
        reoffending_deduct=read.yes("reoffending_deduct", False),
        reoffending_cap_per_year=money("reoffending_cap_per_year", None),
        reoffending_cap_total=money("reoffending_cap_total", None),
        foundation_per_year=money("foundation_per_year") or Decimal(0),
        foundation_recovery=percent("foundation_recovery", defaults.foundation_recovery)
        or Decimal(0),
        small_cohort_size=read.whole(
            "small_cohort_size", None, label=FIELDS["small_cohort_size"], high=1_000_000
        )
        or None,
        small_cohort_grant=money("small_cohort_grant") or Decimal(0),
        baseline_rate=percent("baseline_rate", defaults.baseline_rate) or Decimal(0),
        expected_effect=read.number(
            "expected_effect",
            defaults.expected_effect,
            label=FIELDS["expected_effect"],
            high=pct,
            unit="percentage points",
        )
        or Decimal(0),
        delivery_cost=money("delivery_cost", None),
        cost_per_person=money("cost_per_person") or Decimal(0),
        payment_lag=read.whole("payment_lag", 2, label=FIELDS["payment_lag"], high=5) or 0,
    )
    read.problems += design_problems(design)
    return design, read.problems


def rule_reoffending_payment_has_a_price(design: Design) -> Problem | None:
    """A reoffending payment needs a price above £0 for each person fewer reoffending."""
    if design.reoffending and design.reoffending_price <= 0:
        return Problem(
            "Enter the payment for each person fewer reoffending (above £0), or do not pay "
            "for reoffending results",
            column="reoffending_price",
        )
    return None


def rule_overall_hurdle_not_above_cohort_hurdle(design: Design) -> Problem | None:
    """The reduction paid over all years together cannot be larger than the one for a year."""
    overall = design.reoffending_overall_hurdle
    if design.reoffending and overall is not None and overall > design.reoffending_hurdle:
        return Problem(
            f"The smallest reduction over all years ({overall}%) cannot be larger than the one "
            f"for a single year ({design.reoffending_hurdle}%)",
            column="reoffending_overall_hurdle",
        )
    return None


def rule_grant_in_lieu_needs_a_cohort_size(design: Design) -> Problem | None:
    """A grant in lieu for small cohorts needs the cohort size below which it is paid."""
    if design.small_cohort_grant > 0 and not design.small_cohort_size:
        return Problem(
            "Enter the smallest cohort paid on reoffending results: the grant is paid instead "
            "for a smaller one",
            column="small_cohort_size",
        )
    return None


def rule_something_is_paid(design: Design) -> Problem | None:
    """A mechanism pays something: a guaranteed share or fee, an attachment fee or results."""
    if not (
        design.guaranteed_percent > 0
        or design.attachment_fee > 0
        or design.tariffs
        or design.reoffending
        or design.foundation_per_year > 0
    ):
        return Problem(
            "The mechanism pays nothing: choose a guaranteed share, a fee or a payment for results",
            column="guaranteed_percent",
        )
    return None


def design_problems(design: Design) -> list[Problem]:
    """Every rule a design breaks (each a named rule whose docstring is the rule's text)."""
    rules = (
        rule_reoffending_payment_has_a_price,
        rule_overall_hurdle_not_above_cohort_hurdle,
        rule_grant_in_lieu_needs_a_cohort_size,
        rule_something_is_paid,
    )
    return [p for p in (rule(design) for rule in rules) if p is not None]


def rule_outcomes_match_payments(
    ticked: set[str], paid: set[str], catalogue: Mapping[str, str]
) -> Problem | None:
    """Every outcome ticked on the form has an outcome payment in the mechanism, and every outcome payment pays for an outcome ticked on the form."""  # noqa: E501
    unpaid = sorted(catalogue.get(c, c) for c in ticked - paid)
    unticked = sorted(catalogue.get(c, c) for c in paid - ticked)
    parts = []
    if unpaid:
        parts.append(f"no payment for {', '.join(unpaid)}")
        parts[-1] += " (add an outcome payment, or untick it)"
    if unticked:
        parts.append(f"a payment for {', '.join(unticked)}, which is not ticked (tick it)")
    if not parts:
        return None
    return Problem(
        "The outcomes ticked must match the mechanism's outcome payments: " + "; ".join(parts),
        column="outcomes",
    )
