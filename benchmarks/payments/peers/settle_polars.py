"""The best Polars query we could write for the settlement `fullvalue settle` works out.

The Work Programme contract of the payments benchmark: an attachment fee of £400 a start, and a
job outcome paid by payment group, with sustainment payments by group, the whole component
capped at £40,000,000 in period order. Prices are written into the query (a user would copy them
from the contract). Results are summed by period, cohort, measure and group, priced in whole
pennies, put in the engine's line order (period, component, job outcomes before sustainment,
group, first appearance), capped by a running total, and written as CSV lines with the amount
due; unlike `fullvalue settle`, no reasons are written and nothing is checked.

    python settle_polars.py results.csv > lines.csv
"""

import sys

import polars as pl

PERIODS = [f"{2025 + (q + 1) // 4}-Q{(q + 1) % 4 + 1}" for q in range(20)]
GROUPS = [f"group {g}" for g in range(1, 10)]
# measure, group -> (component, component rank, position, detail, price in pennies)
PRICES = pl.DataFrame(
    [("starts", "", "attachment fee", 0, 0, "", 40_000)]
    + [("job_outcomes", g, "job outcome", 1, 0, g, (1000 + 250 * int(g[6:])) * 100) for g in GROUPS]
    + [
        ("sustainment_payments", g, "job outcome", 1, 1, f"{g} sustainment", sustained)
        for g in GROUPS
        if (sustained := (150 + 25 * int(g[6:])) * 100)
    ],
    schema=["measure", "group", "component", "rank", "position", "detail", "price"],
    orient="row",
)
CAP = 40_000_000 * 100

results = pl.scan_csv(
    sys.argv[1],
    schema={
        "period": pl.String,
        "cohort": pl.String,
        "measure": pl.String,
        "group": pl.String,
        "count": pl.Int64,
    },
).with_columns(pl.col("group").fill_null(""), pl.col("cohort").fill_null(""))
counts = (
    results.group_by("period", "cohort", "measure", "group", maintain_order=True)
    .agg(pl.col("count").sum())
    .with_row_index("seq")
)
lines = (
    counts.join(PRICES.lazy(), on=["measure", "group"], how="inner")
    .with_columns(
        due=pl.col("count") * pl.col("price"),
        period_rank=pl.col("period").replace_strict(PERIODS, range(len(PERIODS))),
    )
    .sort("period_rank", "rank", "position", "group", "seq")
)
job = pl.col("component") == "job outcome"
running = pl.when(job).then(pl.col("due")).otherwise(0).cum_sum()
held = running - (running - CAP).cum_max().clip(lower_bound=0)
allowed = held - held.shift(1, fill_value=0)
amount = pl.when(job).then(allowed).otherwise(pl.col("due"))
text = pl.concat_str(
    (amount // 100).cast(pl.String), pl.lit("."), (amount % 100).cast(pl.String).str.zfill(2)
)
out = lines.select(
    "period",
    pl.when(pl.col("cohort") == "").then(None).otherwise(pl.col("cohort")).alias("cohort"),
    "component",
    pl.when(pl.col("detail") == "").then(None).otherwise(pl.col("detail")).alias("detail"),
    text.alias("amount"),
).collect()
sys.stdout.write(out.write_csv())
