"""psmpy: logistic_ps then kdtree_matched on the propensity logit, with replacement."""

import json

import numpy as np
from _common import load
from psmpy import PsmPy

frame, x = load()
data = x.copy()
data["person_id"] = frame["person_id"].to_numpy()
data["treated"] = frame["treated"].astype(int).to_numpy()
outcome = dict(zip(frame["person_id"], frame["reoffended"].astype(float), strict=True))
psm = PsmPy(data, treatment="treated", indx="person_id", exclude=[])
psm.logistic_ps(balance=False)
psm.kdtree_matched(matcher="propensity_logit", replacement=True, caliper=None)
pairs = psm.matched_ids.dropna()
treated_ids, control_ids = pairs.iloc[:, 0], pairs.iloc[:, 1]
effect = np.mean([outcome[t] for t in treated_ids]) - np.mean([outcome[c] for c in control_ids])
print(json.dumps({"estimate": float(effect), "matched_treated": len(pairs)}))
