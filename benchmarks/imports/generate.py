"""Seeded participants CSV with about 1% bad rows, and the truth about every row.

Each bad row has exactly one fault, so the benchmark knows which (row, column) must be named:
an impossible date, started before referred, an unknown sex, a case reference already used in
an earlier valid row (sometimes in another letter case), or a malformed case reference.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

from fullvalue.web.delivery.imports import AGE_BANDS, ETHNICITIES, PARTICIPANT_COLUMNS, SEXES

FIRST = ("Ann", "Bea", "Cat", "Dee", "Eve", "Fay", "Gil", "Hana", "Isla", "Jo", "Kim", "Lou")
LAST = ("Smith", "Jones", "Khan", "O'Brien", "Nowak", "Okafor", "Patel", "Evans", "Wright")
BAD_DATES = ("2025-02-30", "31/04/2025", "2025-13-01", "2025-06-31", "29/02/2025")
BAD_SEXES = ("alien", "unknown", "x", "m/f")
BAD_REFS = ("BAD {i}", "", "#{i}", "-{i}", "R{i}" + "9" * 60, "R{i}?")
KINDS = ("bad_date", "started_before_referred", "unknown_sex", "duplicate", "malformed_ref")
FAULT_COLUMN = {
    "bad_date": "referred_on",
    "started_before_referred": "started_on",
    "unknown_sex": "sex",
    "duplicate": "case_reference",
    "malformed_ref": "case_reference",
}


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _fmt(rng: random.Random, day: dt.date) -> str:
    return day.strftime("%d/%m/%Y") if rng.random() < 0.2 else day.isoformat()


def generate(rows: int, seed: int = 20261125, bad_share: float = 0.01) -> tuple[bytes, dict]:
    """Return the CSV bytes and the truth: valid case references, bad rows by (row, column)."""
    rng = random.Random(seed)
    today = dt.date(2026, 10, 31)  # every good date is in the past whenever this runs
    sexes, ethnicities, bands = sorted(SEXES), sorted(ETHNICITIES), sorted(AGE_BANDS)
    n_bad = round(rows * bad_share)
    first_bad = min(100, rows // 2)  # duplicates need earlier valid rows to copy
    bad_at = sorted(rng.sample(range(first_bad, rows), n_bad))
    kind_of = {i: KINDS[k % len(KINDS)] for k, i in enumerate(bad_at)}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PARTICIPANT_COLUMNS)
    valid_refs: list[str] = []
    bad: dict[int, dict[str, str]] = {}
    for i in range(rows):
        ref = f"FV-{i:06d}" if i % 3 else f"WC/2025/{i:06d}"
        referred = _day(rng, dt.date(2024, 1, 1), dt.date(2026, 6, 30))
        started = referred + dt.timedelta(days=rng.randrange(0, 40)) if rng.random() < 0.9 else None
        left = None
        if started and rng.random() < 0.3:
            left = started + dt.timedelta(days=rng.randrange(1, 120))
        record = {
            "case_reference": ref,
            "full_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}" if rng.random() < 0.95 else "",
            "date_of_birth": _fmt(rng, _day(rng, dt.date(1960, 1, 1), dt.date(2006, 1, 1))),
            "referred_on": _fmt(rng, referred),
            "started_on": _fmt(rng, started) if started else "",
            "left_on": _fmt(rng, left) if left and left <= today else "",
            "sex": rng.choice(sexes).title() if rng.random() < 0.1 else rng.choice(sexes),
            "ethnicity": rng.choice(ethnicities) if rng.random() < 0.9 else "",
            "age_band": rng.choice(bands),
            "cohort": str(referred.year),
        }
        kind = kind_of.get(i)
        if kind == "bad_date":
            record["referred_on"] = rng.choice(BAD_DATES)
        elif kind == "started_before_referred":
            record["started_on"] = (referred - dt.timedelta(days=rng.randrange(1, 30))).isoformat()
            record["left_on"] = ""
        elif kind == "unknown_sex":
            record["sex"] = rng.choice(BAD_SEXES)
        elif kind == "duplicate":
            earlier = rng.choice(valid_refs)
            record["case_reference"] = earlier.lower() if rng.random() < 0.3 else earlier
        elif kind == "malformed_ref":
            record["case_reference"] = rng.choice(BAD_REFS).format(i=i)
        if kind:
            bad[i + 2] = {"kind": kind, "column": FAULT_COLUMN[kind]}
        else:
            valid_refs.append(ref)
        writer.writerow([record[c] for c in PARTICIPANT_COLUMNS])
    truth = {"rows": rows, "valid_refs": valid_refs, "bad": bad}
    return out.getvalue().encode(), truth
