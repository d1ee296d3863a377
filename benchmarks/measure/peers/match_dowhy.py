"""dowhy backdoor.propensity_score_matching (its own propensity model; no caliper)."""

import json
import logging

import networkx as nx
from _common import load

# dowhy 0.12 calls networkx.algorithms.d_separated, which networkx 3.5 removed (renamed
# is_d_separator); without this shim dowhy fails with AttributeError before estimating anything.
if not hasattr(nx.algorithms, "d_separated"):
    nx.algorithms.d_separated = nx.is_d_separator
    nx.d_separated = nx.is_d_separator

from dowhy import CausalModel

logging.disable(logging.WARNING)
frame, x = load()
data = x.copy()
data["treated"] = frame["treated"].astype(bool).to_numpy()
data["reoffended"] = frame["reoffended"].astype(int).to_numpy()
model = CausalModel(
    data=data, treatment="treated", outcome="reoffended", common_causes=list(x.columns)
)
estimand = model.identify_effect(proceed_when_unidentifiable=True)
estimate = model.estimate_effect(
    estimand, method_name="backdoor.propensity_score_matching", target_units="att"
)
print(
    json.dumps({"estimate": float(estimate.value), "matched_treated": int(data["treated"].sum())})
)
