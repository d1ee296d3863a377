"""A straightforward pandas script producing the same returns as ``fullvalue returns``.

For each framework, period and indicator it filters the records by code and date and computes
the figure, then the same within each breakdown group; the definitions are those of issue 16
(docs/engine.md). Usage: ``python returns_pandas.py PARTICIPANTS RECORDS FROM TO FW.toml ...``;
prints the JSON of ``fullvalue returns --format json``.
"""

import datetime as dt
import json
import sys
import tomllib

import pandas as pd

MONTHS = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}


def periods(framework, start, end):
    month, day = (int(x) for x in framework.get("year_start", "01-01").split("-"))
    n = MONTHS[framework["period"]]

    def first_day(k):
        m = month - 1 + k * n
        return dt.date(m // 12, m % 12 + 1, day)

    k = (12 * start.year + start.month - month - (start.day < day)) // n
    while True:
        first, last = first_day(k), first_day(k + 1) - dt.timedelta(days=1)
        if last > end:
            return
        if first >= start:
            yield pd.Timestamp(first), pd.Timestamp(last)
        k += 1


def figure(measure, hits, active, readings, first, last):
    if measure == "participants":
        return hits["participant"].nunique(), hits["participant"].nunique()
    if measure == "records":
        return len(hits), hits["participant"].nunique()
    if measure == "sum":
        total = round(float(hits["value"].sum()), 6)
        return (int(total) if total.is_integer() else total), hits["participant"].nunique()
    if measure == "share":
        n = hits["participant"].nunique()
        return (n / len(active) if len(active) else None), (n, len(active))
    upto = readings[readings["date"] <= last]
    upto = upto.sort_values(["participant", "date"], kind="stable")
    per = upto.groupby("participant").agg(
        first=("value", "first"),
        latest=("value", "last"),
        when=("date", "last"),
        n=("value", "size"),
    )
    per = per[(per["when"] >= first) & (per["n"] >= 2)]
    change = per["latest"] - per["first"]
    return (float(change.mean()) if len(change) else None), len(change)


def suppressed(measure, n):
    if measure == "share":
        return any(1 <= x <= 4 for x in n)
    return 1 <= n <= 4


def main():
    people_path, records_path, start, end, *framework_paths = sys.argv[1:]
    start, end = dt.date.fromisoformat(start), dt.date.fromisoformat(end)

    def read(path):
        return pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)

    people, records = read(people_path), read(records_path)
    people["participant"] = people["participant"].astype(str)
    records["participant"] = records["participant"].astype(str)
    people["start_date"] = pd.to_datetime(people["start_date"])
    people["end_date"] = pd.to_datetime(people["end_date"])
    records["date"] = pd.to_datetime(records["date"])
    for column in ("sex", "ethnicity", "age_band", "area"):
        people[column] = people[column].fillna("(missing)").astype(str)
    records = records.merge(
        people[["participant", "sex", "ethnicity", "age_band", "area"]], on="participant"
    )
    out = []
    for path in framework_paths:
        with open(path, "rb") as handle:
            framework = tomllib.load(handle)
        breakdowns = framework.get("breakdowns", [])
        for first, last in periods(framework, start, end):
            active = people[
                (people["start_date"] <= last)
                & (people["end_date"].isna() | (people["end_date"] >= first))
            ]
            indicators = []
            for indicator in framework["indicators"]:
                measure = indicator["measure"]
                mine = records[records["code"].isin(indicator["codes"])]
                hits = mine[(mine["date"] >= first) & (mine["date"] <= last)]
                value, _ = figure(measure, hits, active, mine, first, last)
                entry = {
                    "id": indicator["id"],
                    "value": value,
                    "label": indicator["label"],
                    "measure": measure,
                }
                if breakdowns:
                    entry["breakdowns"] = {}
                    for column in breakdowns:
                        cells = []
                        for group in sorted(people[column].unique()):
                            v, n = figure(
                                measure,
                                hits[hits[column] == group],
                                active[active[column] == group],
                                mine[mine[column] == group],
                                first,
                                last,
                            )
                            hidden = suppressed(measure, n)
                            cells.append(
                                {
                                    "group": group,
                                    "value": None if hidden else v,
                                    "suppressed": hidden,
                                }
                            )
                        entry["breakdowns"][column] = cells
                indicators.append(entry)
            out.append(
                {
                    "framework": framework["id"],
                    "funder": framework["funder"],
                    "period_start": first.date().isoformat(),
                    "period_end": last.date().isoformat(),
                    "indicators": indicators,
                }
            )
    print(json.dumps({"returns": out}, indent=2, ensure_ascii=False))


main()
