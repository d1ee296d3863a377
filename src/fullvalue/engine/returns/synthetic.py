"""Seeded synthetic participants and outcome records, for examples, tests and benchmarks.

Participants start over two years and about a third have left by the end; each has about eight
records: events of the vocabulary's pathways (a ``finance.debt_reduced`` amount in GBP and
volunteering hours carry values) and readings of two distance-travelled scales drifting upwards.
Records are written in date order within a participant, so the file order of readings on one
date is the order they were made in.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from fullvalue.engine.returns.vocabulary import load_vocabulary

START = dt.date(2024, 4, 1)
DAYS = 730
SEXES = ("F", "M", "M", "M")
ETHNICITIES = ("White", "White", "White", "Black", "Asian", "Mixed", "Other")
AGE_BANDS = ("18-24", "25-34", "35-49", "50+")
AREAS = ("North", "South", "East", "West", "Central")
SCALES = ("star.work", "star.home", "star.choices")


def synthetic_participants(n: int, seed: int = 0) -> pl.DataFrame:
    """Generate ``n`` participants with start and (for about a third) end dates.

    Examples
    --------
    >>> people = synthetic_participants(5, seed=1)
    >>> people.columns
    ['participant', 'start_date', 'end_date', 'sex', 'ethnicity', 'age_band', 'area']
    >>> bool((people["end_date"] >= people["start_date"]).all())
    True

    """
    rng = np.random.default_rng(seed)
    start = rng.integers(0, DAYS, n)
    ended = rng.random(n) < 0.35
    end = np.where(ended, np.minimum(start + rng.integers(30, 400, n), DAYS - 1), -1)

    def pick(options: tuple[str, ...]) -> pl.Series:
        return pl.Series(np.array(options)[rng.integers(0, len(options), n)])

    origin = pl.lit(START)
    return pl.DataFrame(
        {
            "participant": [f"P{i:06d}" for i in range(1, n + 1)],
            "start": start,
            "end": end,
            "sex": pick(SEXES),
            "ethnicity": pick(ETHNICITIES),
            "age_band": pick(AGE_BANDS),
            "area": pick(AREAS),
        }
    ).select(
        "participant",
        (origin + pl.duration(days=pl.col("start"))).alias("start_date"),
        pl.when(pl.col("end") >= 0)
        .then(origin + pl.duration(days=pl.col("end")))
        .alias("end_date"),
        "sex",
        "ethnicity",
        "age_band",
        "area",
    )


def synthetic_records(
    participants: pl.DataFrame, per_person: int = 8, seed: int = 0
) -> pl.DataFrame:
    """Generate about ``per_person`` records for each participant, dated while they take part.

    Values: GBP amounts for ``finance.debt_reduced``, hours for ``ete.volunteering``, whole
    readings 1-10 for the scales, blank otherwise.

    Examples
    --------
    >>> records = synthetic_records(synthetic_participants(20, seed=1), seed=1)
    >>> records.columns
    ['participant', 'date', 'code', 'value']
    >>> readings = records.filter(pl.col("code").str.starts_with("star."))["value"]
    >>> bool(readings.is_between(1, 10).all())
    True

    """
    rng = np.random.default_rng(seed)
    vocabulary = load_vocabulary().codes
    events = [c for c, code in vocabulary.items() if code.value != "reading"]
    counts = rng.poisson(per_person, participants.height)
    owner = np.repeat(np.arange(participants.height), counts)
    size = owner.size
    start = participants["start_date"].to_numpy().astype("datetime64[D]")[owner]
    last = participants["end_date"].fill_null(START + dt.timedelta(days=DAYS - 1))
    stop = last.to_numpy().astype("datetime64[D]")[owner]
    span = (stop - start).astype(np.int64) + 1
    offset = (rng.random(size) * span).astype(np.int64)
    is_scale = rng.random(size) < 0.4
    scale = np.array(SCALES)[rng.integers(0, len(SCALES), size)]
    event = np.array(events)[rng.integers(0, len(events), size)]
    code = np.where(is_scale, scale, event)
    progress = offset / np.maximum(span, 1)
    reading = np.clip(np.rint(2 + 5 * progress + rng.normal(0, 1.5, size)), 1, 10)
    amount = np.round(rng.gamma(2.0, 150.0, size), 2)
    hours = rng.integers(1, 20, size).astype(np.float64)
    value = np.where(
        is_scale,
        reading,
        np.where(
            code == "finance.debt_reduced",
            amount,
            np.where(code == "ete.volunteering", hours, np.nan),
        ),
    )
    frame = pl.DataFrame(
        {
            "owner": owner,
            "participant": participants["participant"].to_numpy()[owner],
            "date": start + offset,
            "code": code,
            "value": value,
        }
    )
    return (
        frame.with_columns(pl.col("date").cast(pl.Date), pl.col("value").fill_nan(None))
        .sort("owner", "date", maintain_order=True)
        .select("participant", "date", "code", "value")
    )
