"""A lazy Polars query giving everything `fullvalue reoffending` gives: the measures and the
offences that did not count, by reason (not in the cohort, incomplete follow-up, breach, on or
before the index date, after the follow-up period, disposed of after the waiting period).

Counting the offences of people outside the cohort or with incomplete follow-up needs every
offence joined with every person, where the measures alone need only the complete cohort.
"""

import datetime as dt
import json
import sys

import polars as pl

REASONS = (
    "not_in_cohort",
    "incomplete_follow_up",
    "breach",
    "on_or_before_index_date",
    "after_follow_up",
    "disposal_after_waiting_period",
)


def scan(path, dates):
    if path.endswith(".csv"):
        return pl.scan_csv(path, schema_overrides=dict.fromkeys(dates, pl.Date))
    return pl.scan_parquet(path)


people_path, offences_path = sys.argv[1], sys.argv[2]
as_of = dt.date.fromisoformat(sys.argv[3])
people = (
    scan(people_path, ["index_date"])
    .select("person_id", "index_date")
    .with_columns(follow_end=pl.col("index_date").dt.offset_by("12mo"))
    .with_columns(wait_end=pl.col("follow_end").dt.offset_by("6mo"))
    .with_columns(complete=pl.col("wait_end") <= as_of, present=pl.lit(True))
)
reason = (
    pl.when(pl.col("present").is_null())
    .then(0)
    .when(~pl.col("complete"))
    .then(1)
    .when(pl.col("breach"))
    .then(2)
    .when(pl.col("offence_date") <= pl.col("index_date"))
    .then(3)
    .when(pl.col("offence_date") > pl.col("follow_end"))
    .then(4)
    .when(pl.col("disposal_date") > pl.col("wait_end"))
    .then(5)
    .otherwise(6)
    .alias("reason")
)
tested = (
    scan(offences_path, ["offence_date", "disposal_date"])
    .join(people, on="person_id", how="left")
    .select("person_id", "offence_date", "index_date", reason)
)
excluded = tested.group_by("reason").agg(pl.len())
counted = (
    tested.filter(pl.col("reason") == 6)
    .group_by("person_id")
    .agg(pl.len().alias("reoffences"), pl.col("offence_date").min().alias("first"))
)
labelled = people.join(counted, on="person_id", how="left").with_columns(
    pl.col("reoffences").fill_null(0),
    (pl.col("first") - pl.col("index_date")).dt.total_days().alias("days"),
    (pl.col("index_date").dt.year() * 4 + pl.col("index_date").dt.quarter() - 1).alias("cohort"),
)


def aggregate(frame):
    done = pl.col("complete")
    reoffender = done & (pl.col("reoffences") > 0)
    return frame.agg(
        done.sum().alias("people"),
        reoffender.sum().alias("reoffenders"),
        pl.col("reoffences").filter(done).sum().alias("reoffences"),
        pl.col("days").filter(reoffender).median().alias("median_days_to_first"),
        (~done).sum().alias("incomplete_follow_up"),
    )


by_cohort, total, reasons = pl.collect_all(
    [
        aggregate(labelled.group_by("cohort")).sort("cohort"),
        aggregate(labelled.with_columns(cohort=pl.lit(-1)).group_by("cohort")),
        excluded,
    ]
)
by_cohort = by_cohort.with_columns(
    (pl.col("cohort") // 4).cast(pl.String) + "Q" + (pl.col("cohort") % 4 + 1).cast(pl.String)
)
counts = dict(zip(reasons["reason"].to_list(), reasons["len"].to_list(), strict=True))
result = {
    "cohorts": by_cohort.to_dicts(),
    "total": total.drop("cohort").to_dicts()[0],
    "counted_offences": counts.get(6, 0),
    "excluded_offences": {name: counts.get(i, 0) for i, name in enumerate(REASONS)},
}
print(json.dumps(result, default=int))
