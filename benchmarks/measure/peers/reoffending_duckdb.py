"""The proven-reoffending measures as one DuckDB query over the Parquet or CSV files."""

import json
import sys

import duckdb

people_path, offences_path, as_of = sys.argv[1], sys.argv[2], sys.argv[3]
reader = "read_csv" if people_path.endswith(".csv") else "read_parquet"
query = f"""
WITH people AS (
    SELECT person_id, index_date,
           CAST(index_date + INTERVAL 12 MONTH AS DATE) AS follow_end,
           CAST(index_date + INTERVAL 12 MONTH + INTERVAL 6 MONTH AS DATE) AS wait_end
    FROM {reader}('{people_path}')
), flagged AS (
    SELECT *, wait_end <= DATE '{as_of}' AS complete,
           year(index_date) || 'Q' || quarter(index_date) AS cohort
    FROM people
), counted AS (
    SELECT o.person_id, count(*) AS reoffences, min(o.offence_date) AS first
    FROM {reader}('{offences_path}') o JOIN flagged p USING (person_id)
    WHERE p.complete AND NOT o.breach AND o.offence_date > p.index_date
      AND o.offence_date <= p.follow_end AND o.disposal_date <= p.wait_end
    GROUP BY o.person_id
), labelled AS (
    SELECT p.cohort, p.complete, coalesce(c.reoffences, 0) AS reoffences,
           datediff('day', p.index_date, c.first) AS days
    FROM flagged p LEFT JOIN counted c USING (person_id)
)
SELECT coalesce(cohort, 'total') AS cohort,
       count(*) FILTER (WHERE complete) AS people,
       count(*) FILTER (WHERE complete AND reoffences > 0) AS reoffenders,
       coalesce(sum(reoffences) FILTER (WHERE complete), 0) AS reoffences,
       median(days) FILTER (WHERE complete AND reoffences > 0) AS median_days_to_first,
       count(*) FILTER (WHERE NOT complete) AS incomplete_follow_up
FROM labelled GROUP BY GROUPING SETS ((cohort), ()) ORDER BY cohort
"""
rows = duckdb.sql(query).fetchall()
names = [
    "cohort",
    "people",
    "reoffenders",
    "reoffences",
    "median_days_to_first",
    "incomplete_follow_up",
]
records = [dict(zip(names, row, strict=True)) for row in rows]
for r in records:
    for k in ("people", "reoffenders", "reoffences", "incomplete_follow_up"):
        r[k] = int(r[k])
    if r["median_days_to_first"] is not None:
        r["median_days_to_first"] = float(r["median_days_to_first"])
total = next(r for r in records if r["cohort"] == "total")
print(json.dumps({"cohorts": [r for r in records if r["cohort"] != "total"], "total": total}))
