"""Proven-reoffending measures, case-mix adjusted baselines and matched comparison groups.

The functions a caller needs (the CLI, the web app's tasks, a notebook):

- :func:`read_people`, :func:`read_offences`: read and check CSV or Parquet files;
  :func:`check_people`, :func:`check_offences`: check frames already in memory;
- :func:`measure_reoffending`: binary rate, frequency and time to reoffend by cohort;
- :func:`compare_baseline`: actual against case-mix adjusted expected (Transforming
  Rehabilitation);
- :func:`compare_matched`: treated against a propensity-score matched comparison group (Justice
  Data Lab).

Each returns a frozen dataclass with an ``as_dict()`` giving the JSON documented in
``docs/engine.md``. Nothing here imports Django. Names are loaded on first use, so importing the
package (as the ``fullvalue`` command does) costs nothing until a measure is run.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_HOMES = {
    "Balance": "matched",
    "BaselineComparison": "baseline",
    "CohortMeasures": "reoffending",
    "Definition": "reoffending",
    "Estimate": "inference",
    "MatchedComparison": "matched",
    "Matches": "matching",
    "ReoffendingResult": "reoffending",
    "Table": "io",
    "check_offences": "io",
    "check_people": "io",
    "compare_baseline": "baseline",
    "compare_matched": "matched",
    "match_nearest": "matching",
    "measure_reoffending": "reoffending",
    "person_outcomes": "reoffending",
    "read_offences": "io",
    "read_people": "io",
}
__all__ = [
    "Balance",
    "BaselineComparison",
    "CohortMeasures",
    "Definition",
    "Estimate",
    "MatchedComparison",
    "Matches",
    "ReoffendingResult",
    "Table",
    "check_offences",
    "check_people",
    "compare_baseline",
    "compare_matched",
    "match_nearest",
    "measure_reoffending",
    "person_outcomes",
    "read_offences",
    "read_people",
]

if TYPE_CHECKING:
    from fullvalue.engine.measure.baseline import BaselineComparison, compare_baseline
    from fullvalue.engine.measure.inference import Estimate
    from fullvalue.engine.measure.io import (
        Table,
        check_offences,
        check_people,
        read_offences,
        read_people,
    )
    from fullvalue.engine.measure.matched import Balance, MatchedComparison, compare_matched
    from fullvalue.engine.measure.matching import Matches, match_nearest
    from fullvalue.engine.measure.reoffending import (
        CohortMeasures,
        Definition,
        ReoffendingResult,
        measure_reoffending,
        person_outcomes,
    )


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
