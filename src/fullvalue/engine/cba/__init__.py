"""Cost-benefit analysis of community budgets: who pays, who benefits, and whether it pays back.

Public API:

- :func:`load_case` / :func:`parse_case` / :func:`validate_case`: a business case from a TOML
  file, TOML text or a mapping, with every problem listed by path and reason;
- :func:`cost_benefit`: present values, fiscal and public-value ROI and NPV, payback, and the
  figures per agency;
- :func:`sensitivity`: the same figures with each assumption moved.

Nothing here imports Django.
"""

from fullvalue.engine.cba.analysis import (
    AgencyFigures,
    CbaResult,
    Scenario,
    apportion,
    cost_benefit,
    discount_factor,
    outcome_benefits,
    sensitivity,
)
from fullvalue.engine.cba.case import Case, Cost, Outcome, load_case, parse_case, validate_case

__all__ = [
    "AgencyFigures",
    "Case",
    "CbaResult",
    "Cost",
    "Outcome",
    "Scenario",
    "apportion",
    "cost_benefit",
    "discount_factor",
    "load_case",
    "outcome_benefits",
    "parse_case",
    "sensitivity",
    "validate_case",
]
