"""A straightforward pandas implementation of the proven-reoffending measure."""

import json
import sys

import pandas as pd

people_path, offences_path, as_of = sys.argv[1], sys.argv[2], pd.Timestamp(sys.argv[3])
if people_path.endswith(".csv"):
    people = pd.read_csv(people_path, usecols=["person_id", "index_date"])
    offences = pd.read_csv(offences_path)
else:
    people = pd.read_parquet(people_path, columns=["person_id", "index_date"])
    offences = pd.read_parquet(offences_path)
people["index_date"] = pd.to_datetime(people["index_date"])
offences["offence_date"] = pd.to_datetime(offences["offence_date"])
offences["disposal_date"] = pd.to_datetime(offences["disposal_date"])

people["follow_end"] = people["index_date"] + pd.DateOffset(months=12)
people["wait_end"] = people["follow_end"] + pd.DateOffset(months=6)
people["complete"] = people["wait_end"] <= as_of

merged = offences.merge(people, on="person_id", how="inner")
counted = merged[
    merged["complete"]
    & ~merged["breach"]
    & (merged["offence_date"] > merged["index_date"])
    & (merged["offence_date"] <= merged["follow_end"])
    & (merged["disposal_date"] <= merged["wait_end"])
]
per_person = (
    counted.groupby("person_id")
    .agg(reoffences=("offence_date", "size"), first=("offence_date", "min"))
    .reset_index()
)
people = people.merge(per_person, on="person_id", how="left")
people["reoffences"] = people["reoffences"].fillna(0).astype(int)
people["days"] = (people["first"] - people["index_date"]).dt.days
people["cohort"] = (
    people["index_date"].dt.year.astype(str) + "Q" + people["index_date"].dt.quarter.astype(str)
)


def measures(frame, label):
    done = frame[frame["complete"]]
    reoffenders = done[done["reoffences"] > 0]
    median = reoffenders["days"].median()
    return {
        "cohort": label,
        "people": len(done),
        "reoffenders": len(reoffenders),
        "reoffences": int(done["reoffences"].sum()),
        "median_days_to_first": None if pd.isna(median) else float(median),
        "incomplete_follow_up": int((~frame["complete"]).sum()),
    }


result = {
    "cohorts": [measures(g, c) for c, g in sorted(people.groupby("cohort"), key=lambda x: x[0])],
    "total": measures(people, "total"),
}
print(json.dumps(result))
