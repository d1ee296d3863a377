"""The best Polars query we could write for the proven-reoffending measure (lazy, streaming)."""

import datetime as dt
import json
import sys

import polars as pl

people_path, offences_path = sys.argv[1], sys.argv[2]
as_of = dt.date.fromisoformat(sys.argv[3])
people = (
    pl.scan_parquet(people_path)
    .select("person_id", "index_date")
    .with_columns(follow_end=pl.col("index_date").dt.offset_by("12mo"))
    .with_columns(wait_end=pl.col("follow_end").dt.offset_by("6mo"))
    .with_columns(complete=pl.col("wait_end") <= as_of)
)
counted = (
    pl.scan_parquet(offences_path)
    .filter(~pl.col("breach"))
    .join(people.filter("complete"), on="person_id", how="inner")
    .filter(
        (pl.col("offence_date") > pl.col("index_date"))
        & (pl.col("offence_date") <= pl.col("follow_end"))
        & (pl.col("disposal_date") <= pl.col("wait_end"))
    )
    .group_by("person_id")
    .agg(pl.len().alias("reoffences"), pl.col("offence_date").min().alias("first"))
)
labelled = people.join(counted, on="person_id", how="left").with_columns(
    pl.col("reoffences").fill_null(0),
    (pl.col("first") - pl.col("index_date")).dt.total_days().alias("days"),
    (
        pl.col("index_date").dt.year().cast(pl.String)
        + "Q"
        + pl.col("index_date").dt.quarter().cast(pl.String)
    ).alias("cohort"),
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


by_cohort, total = pl.collect_all(
    [
        aggregate(labelled.group_by("cohort")).sort("cohort"),
        aggregate(labelled.with_columns(cohort=pl.lit("total")).group_by("cohort")),
    ]
)
print(json.dumps({"cohorts": by_cohort.to_dicts(), "total": total.to_dicts()[0]}, default=int))
