import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from fullvalue.engine.returns.framework import parse_framework

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "frameworks"
GROUPS = ("sex", "ethnicity", "age_band", "area")


def framework(indicators, period="quarter", year_start="04-01", breakdowns=()):
    """Build a framework from (id, measure, codes) triples."""
    lines = [
        'id = "test"',
        'funder = "Funder"',
        f'period = "{period}"',
        f'year_start = "{year_start}"',
        f"breakdowns = {list(breakdowns)!r}".replace("'", '"'),
    ]
    for identifier, measure, codes in indicators:
        lines += [
            "[[indicators]]",
            f'id = "{identifier}"',
            f'label = "{identifier}"',
            f'measure = "{measure}"',
            "codes = [" + ", ".join(f'"{c}"' for c in codes) + "]",
        ]
    return parse_framework("\n".join(lines))


def people(rows):
    """Participants from (id, start, end[, sex]) tuples; other groups 'x'."""
    return pl.DataFrame(
        {
            "participant": [r[0] for r in rows],
            "start_date": [r[1] for r in rows],
            "end_date": [r[2] for r in rows],
            "sex": [r[3] if len(r) > 3 else "x" for r in rows],
            "ethnicity": ["x"] * len(rows),
            "age_band": ["x"] * len(rows),
            "area": ["x"] * len(rows),
        },
        schema_overrides={"start_date": pl.Date, "end_date": pl.Date},
    )


def records(rows):
    """Records from (participant, date, code, value) tuples, in file order."""
    return (
        pl.DataFrame(
            {
                "participant": [r[0] for r in rows],
                "date": [r[1] for r in rows],
                "code": [r[2] for r in rows],
                "value": [None if r[3] is None else float(r[3]) for r in rows],
            },
            schema={
                "participant": pl.String,
                "date": pl.Date,
                "code": pl.String,
                "value": pl.Float64,
            },
        )
        .with_row_index("row")
        .select("participant", "date", "code", "value", pl.col("row").cast(pl.Int64))
    )


d = dt.date


@pytest.fixture
def examples():
    return EXAMPLES
