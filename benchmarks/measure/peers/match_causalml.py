"""causalml NearestNeighborMatch on the logit of a LogisticRegression propensity score."""

import json

from _common import load, logit_scores
from causalml.match import NearestNeighborMatch

frame, x = load()
frame["logit"] = logit_scores(x, frame["treated"].to_numpy())
frame["treated"] = frame["treated"].astype(int)
matcher = NearestNeighborMatch(caliper=0.2, replace=True, ratio=1, random_state=0)
matched = matcher.match(data=frame, treatment_col="treated", score_cols=["logit"])
groups = matched.groupby("treated")["reoffended"].mean()
print(
    json.dumps(
        {
            "estimate": float(groups[1] - groups[0]),
            "matched_treated": int((matched["treated"] == 1).sum()),
        }
    )
)
