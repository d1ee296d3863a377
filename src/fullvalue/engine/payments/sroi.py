"""Social return on investment (SROI), in levels a small charity can climb one at a time.

- **Level 1, outputs valued**: each outcome's quantity × its financial proxy, for one year.
- **Level 2, impact**: less deadweight (what would have happened anyway), displacement (benefit
  moved from elsewhere) and attribution (the share due to others).
- **Level 3, over time**: the impact lasts ``duration`` years, falling by ``drop_off`` each year
  after the first, discounted at ``discount_rate`` (HM Treasury Green Book: 3.5%).

The level is what the model gives (or ``level`` in ``[model]``); assumptions a level needs but
the model has not yet given count as 0 (or 1 year) and are listed in the result's notes.
Amounts are Decimal GBP; each outcome's present value is rounded half-up to the penny and the
total is the sum of the rounded values.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from fullvalue.engine.payments import rules
from fullvalue.engine.payments.money import ZERO, format_gbp, round_half_up
from fullvalue.errors import FullvalueError, Problem

GREEN_BOOK_RATE = Decimal("0.035")
LEVELS = {
    1: "outputs × financial proxies",
    2: "impact (less deadweight, displacement, attribution)",
    3: "impact over time (drop-off and discounting)",
}


@dataclass(frozen=True)
class SroiOutcome:
    """One outcome: ``quantity`` units a year valued at ``proxy`` GBP each.

    ``deadweight``, ``displacement``, ``attribution`` and ``drop_off`` are proportions 0-1;
    ``duration`` is in years.
    """

    name: str
    quantity: Decimal
    proxy: Decimal
    deadweight: Decimal = ZERO
    displacement: Decimal = ZERO
    attribution: Decimal = ZERO
    drop_off: Decimal = ZERO
    duration: int = 1
    stakeholder: str = ""
    proxy_source: str = ""


@dataclass(frozen=True)
class SroiModel:
    """An SROI model: the investment (GBP), the outcomes, the discount rate and the level."""

    name: str
    investment: Decimal
    outcomes: tuple[SroiOutcome, ...]
    level: int
    discount_rate: Decimal = GREEN_BOOK_RATE
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutcomeValue:
    """An outcome's value in GBP, each rounded half-up to the penny.

    ``gross`` is level 1 (one year), ``impact`` the first-year impact at the model's level and
    ``present_value`` the value counted in the total.
    """

    name: str
    gross: Decimal
    impact: Decimal
    present_value: Decimal


@dataclass(frozen=True)
class Sensitivity:
    """The SROI ratio when one assumption is set low and high, all else unchanged."""

    assumption: str
    low: str
    ratio_low: Decimal
    high: str
    ratio_high: Decimal


@dataclass(frozen=True)
class SroiResult:
    """Present value, net present value (GBP) and the SROI ratio, with a sensitivity table."""

    model: str
    level: int
    investment: Decimal
    outcomes: tuple[OutcomeValue, ...]
    present_value: Decimal
    net_present_value: Decimal
    ratio: Decimal
    sensitivity: tuple[Sensitivity, ...]
    notes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data (amounts as decimal strings)."""
        return {
            "model": self.model,
            "level": self.level,
            "level_meaning": LEVELS[self.level],
            "investment": f"{self.investment:.2f}",
            "present_value": f"{self.present_value:.2f}",
            "net_present_value": f"{self.net_present_value:.2f}",
            "ratio": f"{self.ratio:.2f}",
            "outcomes": [
                {
                    "name": o.name,
                    "gross": f"{o.gross:.2f}",
                    "impact": f"{o.impact:.2f}",
                    "present_value": f"{o.present_value:.2f}",
                }
                for o in self.outcomes
            ],
            "sensitivity": [
                {
                    "assumption": s.assumption,
                    "low": s.low,
                    "ratio_low": f"{s.ratio_low:.2f}",
                    "high": s.high,
                    "ratio_high": f"{s.ratio_high:.2f}",
                }
                for s in self.sensitivity
            ],
            "notes": list(self.notes),
        }


def outcome_value(outcome: SroiOutcome, level: int, discount_rate: Decimal) -> OutcomeValue:
    r"""Value one outcome at a level.

    Notes
    -----
    .. math::

        G = Q \times P, \qquad
        I = G (1 - d_w)(1 - d_p)(1 - a), \qquad
        PV = \sum_{t=1}^{D} \frac{I (1 - f)^{t-1}}{(1 + r)^t}

    with quantity Q, proxy P, deadweight d_w, displacement d_p, attribution a, drop-off f,
    duration D and discount rate r. Level 1 is G; level 2 is I; level 3 is PV.

    References
    ----------
    Social Value UK (2012), *A guide to Social Return on Investment*, stages 4-5.
    HM Treasury (2022), *The Green Book*, discount rate 3.5%.

    Examples
    --------
    20 women into work × £10,000, deadweight 25%, attribution 20%, 3 years, drop-off 10%, 3.5%:
    I = 200,000 × 0.75 × 0.8 = 120,000; PV = 120,000/1.035 + 108,000/1.035² + 97,200/1.035³
    = 115,942.03 + 100,819.16 + 87,668.83 = 304,430.02.

    >>> o = SroiOutcome("work", Decimal(20), Decimal(10000), deadweight=Decimal("0.25"),
    ...                 attribution=Decimal("0.2"), drop_off=Decimal("0.1"), duration=3)
    >>> outcome_value(o, 3, Decimal("0.035")).present_value
    Decimal('304430.02')
    >>> outcome_value(o, 2, Decimal("0.035")).present_value
    Decimal('120000.00')

    """
    gross = outcome.quantity * outcome.proxy
    if level == 1:
        value = round_half_up(gross)
        return OutcomeValue(outcome.name, value, value, value)
    impact = (
        gross * (1 - outcome.deadweight) * (1 - outcome.displacement) * (1 - outcome.attribution)
    )
    if level == 2:
        return OutcomeValue(
            outcome.name, round_half_up(gross), round_half_up(impact), round_half_up(impact)
        )
    present = sum(
        (
            impact * (1 - outcome.drop_off) ** (year - 1) / (1 + discount_rate) ** year
            for year in range(1, outcome.duration + 1)
        ),
        ZERO,
    )
    return OutcomeValue(
        outcome.name, round_half_up(gross), round_half_up(impact), round_half_up(present)
    )


def _totals(model: SroiModel) -> tuple[tuple[OutcomeValue, ...], Decimal, Decimal]:
    values = tuple(outcome_value(o, model.level, model.discount_rate) for o in model.outcomes)
    present = sum((v.present_value for v in values), ZERO)
    # The ratio is rounded half-up to 2 places, like money.
    ratio = (present / model.investment).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return values, present, ratio


def sroi(model: SroiModel) -> SroiResult:
    """Work out the SROI of a model at its level, with a sensitivity table.

    Returns
    -------
    SroiResult
        ``present_value`` (PV), ``net_present_value = PV - investment`` and
        ``ratio = PV / investment`` (rounded half-up to 2 places, shown as "£ratio : £1").

    Notes
    -----
    The sensitivity table changes one assumption at a time for every outcome: quantities and
    proxies ±25%; at level 2 and above deadweight, displacement and attribution ±10 points
    (kept within 0-1); at level 3 drop-off ±10 points, duration ±1 year (at least 1) and the
    discount rate 1.5% and 6%.

    Examples
    --------
    >>> model = SroiModel("x", Decimal(1000), (SroiOutcome("a", Decimal(10), Decimal(300)),), 1)
    >>> result = sroi(model)
    >>> result.present_value, result.net_present_value, result.ratio
    (Decimal('3000.00'), Decimal('2000.00'), Decimal('3.00'))

    """
    values, present, ratio = _totals(model)
    return SroiResult(
        model=model.name,
        level=model.level,
        investment=round_half_up(model.investment),
        outcomes=values,
        present_value=present,
        net_present_value=present - round_half_up(model.investment),
        ratio=ratio,
        sensitivity=tuple(_sensitivity(model)),
        notes=model.notes,
    )


def _ratio_with(model: SroiModel, **changes: Any) -> Decimal:
    outcomes = tuple(replace(o, **changes) for o in model.outcomes)
    return _totals(replace(model, outcomes=outcomes))[2]


def _scaled(model: SroiModel, field: str, factor: Decimal) -> Decimal:
    outcomes = tuple(replace(o, **{field: getattr(o, field) * factor}) for o in model.outcomes)
    return _totals(replace(model, outcomes=outcomes))[2]


def _shifted(model: SroiModel, field: str, shift: Decimal) -> Decimal:
    outcomes = tuple(
        replace(o, **{field: min(max(getattr(o, field) + shift, ZERO), Decimal(1))})
        for o in model.outcomes
    )
    return _totals(replace(model, outcomes=outcomes))[2]


def _sensitivity(model: SroiModel) -> list[Sensitivity]:
    quarter = Decimal("0.25")
    rows = [
        Sensitivity(
            "quantities",
            "-25%",
            _scaled(model, "quantity", 1 - quarter),
            "+25%",
            _scaled(model, "quantity", 1 + quarter),
        ),
        Sensitivity(
            "financial proxies",
            "-25%",
            _scaled(model, "proxy", 1 - quarter),
            "+25%",
            _scaled(model, "proxy", 1 + quarter),
        ),
    ]
    ten = Decimal("0.10")
    fields = []
    if model.level >= 2:
        fields += ["deadweight", "displacement", "attribution"]
    if model.level >= 3:
        fields += ["drop_off"]
    for field in fields:
        label = field.replace("_", "-")
        rows.append(
            Sensitivity(
                label,
                "-10 points",
                _shifted(model, field, -ten),
                "+10 points",
                _shifted(model, field, ten),
            )
        )
    if model.level >= 3:
        shorter = tuple(replace(o, duration=max(o.duration - 1, 1)) for o in model.outcomes)
        longer = tuple(replace(o, duration=o.duration + 1) for o in model.outcomes)
        rows.append(
            Sensitivity(
                "duration",
                "-1 year",
                _totals(replace(model, outcomes=shorter))[2],
                "+1 year",
                _totals(replace(model, outcomes=longer))[2],
            )
        )
        rows.append(
            Sensitivity(
                "discount rate",
                "1.5%",
                _totals(replace(model, discount_rate=Decimal("0.015")))[2],
                "6%",
                _totals(replace(model, discount_rate=Decimal("0.06")))[2],
            )
        )
    return rows


# --- reading a model -------------------------------------------------------------------------

_LEVEL_2 = ("deadweight", "displacement", "attribution")
_LEVEL_3 = ("drop_off", "duration")
_OUTCOME_KEYS = (
    "name",
    "stakeholder",
    "indicator",
    "quantity",
    "proxy",
    "proxy_source",
    *_LEVEL_2,
    *_LEVEL_3,
)


def validate_sroi_model(data: Mapping[str, Any]) -> SroiModel:
    """Check an SROI model mapping (``[model]`` and ``[[outcomes]]``) and return it.

    Raises
    ------
    FullvalueError
        Listing every problem with its path (``outcomes[1].deadweight``) and reason.

    """
    problems: list[Problem] = []

    def number(
        table: Mapping[str, Any], path: str, key: str, required: bool = True
    ) -> Decimal | None:
        if key not in table:
            if required:
                problems.append(Problem("This field is required but is missing.", f"{path}.{key}"))
            return None
        value = table[key]
        try:
            if isinstance(value, bool):
                raise InvalidOperation
            result = Decimal(str(value))
        except InvalidOperation:
            problems.append(Problem(f"This must be a number, not {value!r}.", f"{path}.{key}"))
            return None
        return result

    def money(
        table: Mapping[str, Any], path: str, key: str, required: bool = True
    ) -> Decimal | None:
        value = number(table, path, key, required)
        if value is not None:
            problems.extend(rules.money_is_not_negative(value, f"{path}.{key}"))
        return value

    def proportion(table: Mapping[str, Any], path: str, key: str) -> Decimal | None:
        value = number(table, path, key, required=False)
        if value is not None:
            problems.extend(rules.proportion_is_between_0_and_1(value, f"{path}.{key}"))
        return value

    head = data.get("model")
    if not isinstance(head, Mapping):
        problems.append(Problem("The [model] table is required.", "model"))
        head = {}
    name = str(head.get("name", "")).strip()
    if not name:
        problems.append(Problem("This field is required but is missing.", "model.name"))
    investment = money(head, "model", "investment")
    if investment is not None and investment == 0:
        problems.append(
            Problem("The investment must be more than £0 to give a ratio.", "model.investment")
        )
    rate = proportion(head, "model", "discount_rate")
    raw_outcomes = data.get("outcomes")
    if not isinstance(raw_outcomes, list) or not raw_outcomes:
        problems.append(Problem("A model needs at least one [[outcomes]] entry.", "outcomes"))
        raw_outcomes = []
    outcomes = []
    given: set[str] = set()
    for index, table in enumerate(raw_outcomes):
        path = f"outcomes[{index}]"
        if not isinstance(table, Mapping):
            problems.append(Problem("This must be a table.", path))
            continue
        for key in table:
            if key not in _OUTCOME_KEYS:
                problems.append(
                    Problem(
                        f"This is not a field here; expected one of: {', '.join(_OUTCOME_KEYS)}.",
                        f"{path}.{key}",
                    )
                )
        given.update(k for k in table if k in _LEVEL_2 + _LEVEL_3)
        quantity = money(table, path, "quantity")
        proxy = money(table, path, "proxy")
        adjustments = {key: proportion(table, path, key) for key in (*_LEVEL_2, "drop_off")}
        duration = table.get("duration", 1)
        if isinstance(duration, bool) or not isinstance(duration, int) or duration < 1:
            problems.append(
                Problem(
                    "The duration must be a whole number of years, 1 or more.", f"{path}.duration"
                )
            )
            duration = 1
        outcomes.append(
            SroiOutcome(
                name=str(table.get("name", f"outcome {index + 1}")),
                quantity=quantity or ZERO,
                proxy=proxy or ZERO,
                duration=duration,
                stakeholder=str(table.get("stakeholder", "")),
                proxy_source=str(table.get("proxy_source", "")),
                **{k: v or ZERO for k, v in adjustments.items()},
            )
        )
    inferred = 3 if given & set(_LEVEL_3) else 2 if given & set(_LEVEL_2) else 1
    level = head.get("level", inferred)
    if level not in (1, 2, 3):
        problems.append(Problem("The level must be 1, 2 or 3.", "model.level"))
        level = inferred
    if problems:
        raise FullvalueError.from_problems(
            f"The SROI model has {len(problems)} problem{'s' if len(problems) != 1 else ''}.",
            problems,
        )
    needed = (_LEVEL_2 if level >= 2 else ()) + (_LEVEL_3 if level >= 3 else ())
    notes = tuple(
        f"{outcome.name}: {key.replace('_', '-')} not given, taken as "
        f"{'1 year' if key == 'duration' else '0'}"
        for outcome, table in zip(outcomes, raw_outcomes, strict=True)
        for key in needed
        if key not in table
    )
    return SroiModel(
        name=name,
        investment=investment or Decimal(1),
        outcomes=tuple(outcomes),
        level=level,
        discount_rate=GREEN_BOOK_RATE if rate is None else rate,
        notes=notes,
    )


def load_sroi_model(source: str | Path) -> SroiModel:
    """Read an SROI model from a TOML file (or TOML text) and validate it."""
    if isinstance(source, str) and ("\n" in source or "[" in source):
        text, origin = source, "<text>"
    else:
        origin = str(source)
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise FullvalueError.from_problems(
                "The SROI model cannot be read.",
                [Problem(exc.strerror or str(exc), origin)],
                code="not-found",
            ) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FullvalueError.from_problems(
            "The SROI model is not valid TOML.", [Problem(str(exc), origin)]
        ) from exc
    return validate_sroi_model(data)


def render_sroi(result: SroiResult, output_format: str) -> str:
    """Render an SROI result as ``table`` or ``json`` text."""
    if output_format == "json":
        return json.dumps(result.as_dict(), indent=2, ensure_ascii=False)
    width = max(len(o.name) for o in result.outcomes)
    lines = [
        f"SROI: {result.model} (level {result.level}: {LEVELS[result.level]})",
        "",
        f"{'outcome':<{width}}  {'gross a year':>16}  {'impact a year':>16}  {'present value':>16}",
    ]
    for o in result.outcomes:
        lines.append(
            f"{o.name:<{width}}  {format_gbp(o.gross):>16}  {format_gbp(o.impact):>16}  "
            f"{format_gbp(o.present_value):>16}"
        )
    lines += [
        "",
        f"present value       {format_gbp(result.present_value):>16}",
        f"investment          {format_gbp(result.investment):>16}",
        f"net present value   {format_gbp(result.net_present_value):>16}",
        f"SROI ratio          £{result.ratio} : £1",
        "",
        "sensitivity (SROI ratio when one assumption changes)",
    ]
    for s in result.sensitivity:
        lines.append(
            f"  {s.assumption:<18} {s.low:>11}: £{s.ratio_low} : £1   "
            f"{s.high:>11}: £{s.ratio_high} : £1"
        )
    if result.notes:
        lines += ["", "notes (assumptions to add next):", *(f"  - {n}" for n in result.notes)]
    return "\n".join(lines)
