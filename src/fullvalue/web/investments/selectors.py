"""Reads for investors: the contracts they fund, expected return and payments to date.

The expected return comes from the engine's simulation of the contract's payment mechanism
(:func:`fullvalue.engine.payments.simulate`, 2,000 runs, a fixed seed): in each run the
investor receives its share of the contract's outcome payments; its return is that less what it
committed. Payments to date are its share of the outcome lines of approved payment runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from fullvalue.domain.roles import Role
from fullvalue.engine.payments import parse_spec, simulate
from fullvalue.engine.payments.money import round_half_up
from fullvalue.engine.payments.spec import iter_outcome_components
from fullvalue.errors import FullvalueError
from fullvalue.web.investments.models import Investment
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.caching import cached
from fullvalue.web.payruns.selectors import approved_runs_of

RUNS = 2000
SEED = 20260401


@dataclass(frozen=True)
class ExpectedReturn:
    """The investor's return over the contract (GBP: received less committed), P5-P50-P95."""

    p5: Decimal
    p50: Decimal
    p95: Decimal
    probability_of_loss: float


@dataclass(frozen=True)
class InvestmentRow:
    """One investment as its investor sees it."""

    investment: Investment
    expected: ExpectedReturn | None
    paid_to_date: Decimal
    note: str


def _money(value: float) -> Decimal:
    return round_half_up(Decimal(repr(float(value))))


def expected_return(mechanism_toml: str, committed: Decimal, share: Decimal) -> ExpectedReturn:
    """The spread of the investor's return from the engine's simulation (cached by inputs).

    Notes
    -----
    ``return_r = share × outcome_income_r − committed`` for each simulated run ``r``.
    """

    def compute() -> ExpectedReturn:
        result = simulate(parse_spec(mechanism_toml), runs=RUNS, seed=SEED)
        returns = float(share) * result.outcome_income - float(committed)
        p5, p50, p95 = np.percentile(returns, [5, 50, 95])
        return ExpectedReturn(
            _money(p5), _money(p50), _money(p95), float(np.mean(returns < -0.005))
        )

    return cached("investment-return", [mechanism_toml, committed, share], compute)


def _paid_to_date(investment: Investment, outcome_names: set[str]) -> Decimal:
    total = Decimal(0)
    for lines in approved_runs_of([investment.contract_id]).values_list("lines", flat=True):
        for line in lines:
            if line.get("component") in outcome_names:
                total += Decimal(str(line["amount"]))
    return round_half_up(total * investment.share_of_outcome_payments)


def investments_for(actor: Actor) -> list[InvestmentRow]:
    """The investments an investor's organisation holds (all of them for auditors and admins)."""
    qs = Investment.objects.select_related("contract__commissioner", "contract__provider")
    if actor.role not in (Role.AUDITOR, Role.SYSTEM_ADMIN):
        qs = qs.filter(investor_id=actor.organisation_id or -1)
    rows = []
    for investment in qs:
        toml = investment.contract.mechanism_toml
        expected, note, names = None, "", set()
        try:
            spec = parse_spec(toml)
            names = {c.name for c in iter_outcome_components(spec)}
            if spec.simulation is None:
                note = "The contract's mechanism has no assumptions to simulate it with."
            else:
                expected = expected_return(
                    toml, investment.committed, investment.share_of_outcome_payments
                )
        except FullvalueError:
            note = "The contract has no payment mechanism to simulate."
        rows.append(InvestmentRow(investment, expected, _paid_to_date(investment, names), note))
    return rows
