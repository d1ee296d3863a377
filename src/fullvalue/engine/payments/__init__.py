"""The payment half of the engine: mechanisms as data, settlement, allocation, risk and SROI.

Public API (everything a caller needs; the web app calls these, never the modules' internals):

- :func:`parse_spec` (TOML text), :func:`load_spec` (a file) and :func:`validate_spec` (a
  mapping): a contract specification,
  with every problem listed by path and reason;
- :func:`settle`: what is payable, line by line with reasons, net of what was already paid;
- :func:`allocate`: a payment shared down a supply chain after a capped management fee;
- :func:`simulate`: Monte Carlo of a provider's income, net position and cash need;
- :func:`minimum_detectable_effect` and :func:`probability_of_payment`: statistical power;
- :func:`load_sroi_model` and :func:`sroi`: social return on investment with sensitivity.

Nothing here imports Django. Names are loaded on first use, so ``fullvalue settle``, which
imports this package, loads neither SciPy nor the simulation.
"""

import importlib
from typing import TYPE_CHECKING, Any

_HOMES = {
    "Allocation": "allocation",
    "ContractSpec": "spec",
    "Payment": "results",
    "PowerResult": "power",
    "Results": "results",
    "Settlement": "settlement",
    "SettlementLine": "settlement",
    "SimulationResult": "simulation",
    "SroiModel": "sroi",
    "SroiOutcome": "sroi",
    "SroiResult": "sroi",
    "allocate": "allocation",
    "allocate_largest_remainder": "money",
    "load_paid": "results",
    "load_results": "results",
    "load_spec": "spec",
    "load_sroi_model": "sroi",
    "minimum_detectable_effect": "power",
    "parse_spec": "spec",
    "probability_of_payment": "power",
    "round_half_up": "money",
    "settle": "settlement",
    "simulate": "simulation",
    "sroi": "sroi",
    "to_pennies": "money",
    "validate_spec": "spec",
    "validate_sroi_model": "sroi",
}
__all__ = [
    "Allocation",
    "ContractSpec",
    "Payment",
    "PowerResult",
    "Results",
    "Settlement",
    "SettlementLine",
    "SimulationResult",
    "SroiModel",
    "SroiOutcome",
    "SroiResult",
    "allocate",
    "allocate_largest_remainder",
    "load_paid",
    "load_results",
    "load_spec",
    "load_sroi_model",
    "minimum_detectable_effect",
    "parse_spec",
    "probability_of_payment",
    "round_half_up",
    "settle",
    "simulate",
    "sroi",
    "to_pennies",
    "validate_spec",
    "validate_sroi_model",
]

if TYPE_CHECKING:
    from fullvalue.engine.payments.allocation import Allocation, allocate
    from fullvalue.engine.payments.money import (
        allocate_largest_remainder,
        round_half_up,
        to_pennies,
    )
    from fullvalue.engine.payments.power import (
        PowerResult,
        minimum_detectable_effect,
        probability_of_payment,
    )
    from fullvalue.engine.payments.results import Payment, Results, load_paid, load_results
    from fullvalue.engine.payments.settlement import Settlement, SettlementLine, settle
    from fullvalue.engine.payments.simulation import SimulationResult, simulate
    from fullvalue.engine.payments.spec import (
        ContractSpec,
        load_spec,
        parse_spec,
        validate_spec,
    )
    from fullvalue.engine.payments.sroi import (
        SroiModel,
        SroiOutcome,
        SroiResult,
        load_sroi_model,
        sroi,
        validate_sroi_model,
    )


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
