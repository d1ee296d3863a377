"""Shared set-up for the matching peers: the same covariates, one-hot coded, and the outcome."""

import sys

import numpy as np
import pandas as pd

COVARIATES = ["age", "sex", "ogrs", "prior", "region"]


def load():
    path = sys.argv[1]
    frame = pd.read_csv(path) if path.endswith(".csv") else pd.read_parquet(path)
    x = pd.get_dummies(frame[COVARIATES], columns=["sex", "region"], drop_first=True, dtype=float)
    return frame, x


def logit_scores(x, treated):
    """The usual scikit-learn propensity score: LogisticRegression, then the logit."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(max_iter=1000).fit(x.to_numpy(), treated)
    p = np.clip(model.predict_proba(x.to_numpy())[:, 1], 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))
