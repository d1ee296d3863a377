"""The scikit-learn way: LogisticRegression propensity, NearestNeighbors on the logit, caliper."""

import json

import numpy as np
from _common import load, logit_scores
from sklearn.neighbors import NearestNeighbors

frame, x = load()
treated = frame["treated"].to_numpy()
y = frame["reoffended"].to_numpy().astype(float)
logit = logit_scores(x, treated)
caliper = 0.2 * np.sqrt((logit[treated].var(ddof=1) + logit[~treated].var(ddof=1)) / 2)
nn = NearestNeighbors(n_neighbors=1).fit(logit[~treated].reshape(-1, 1))
distance, index = nn.kneighbors(logit[treated].reshape(-1, 1))
keep = distance[:, 0] <= caliper
effect = y[treated][keep].mean() - y[~treated][index[keep, 0]].mean()
print(json.dumps({"estimate": float(effect), "matched_treated": int(keep.sum())}))
