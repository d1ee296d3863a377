"""Benchmark: the risk preview (issue 12), uncached and cached, and through the API.

Times, on this machine, the median of repeated calls of:
- the preview itself (two simulations when a specification is scaled to the budget) for 2,000
  runs, for every starting point of the designer and for an example specification;
- the same through the cache (what the programme page and the designer pay after the first view);
- ``POST /api/v1/risk-preview`` through Django's test client (in-memory SQLite, no network).

Writes benchmarks/results/risk_preview.json and .md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fullvalue.web.settings_test")
sys.path.insert(0, str(ROOT))


def timed(fn, repeat=7):
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def main() -> None:
    import django

    django.setup()
    from django.core.cache import cache
    from django.test import Client
    from django.test.utils import setup_test_environment

    from fullvalue.web.programmes import designer, risk
    from fullvalue.web.programmes.services import risk_preview

    small = designer.Programme(Decimal(600000), 3, dt.date(2027, 4, 1), 60, 80, 100, "Small")
    figures = risk.Figures(Decimal(600000), 3, dt.date(2027, 4, 1), 60, 80, 100)
    rows = []
    from fullvalue.engine.payments import load_spec

    for name in designer.STARTING_POINTS:
        toml = designer.to_toml(designer.build_spec(designer.starting_point(name, small), small))
        spec = load_spec(toml)
        med, lo, hi = timed(lambda spec=spec: risk.risk_preview(spec, figures, runs=2000))
        rows.append({"case": f"designer: {name}", "median_s": med, "min_s": lo, "max_s": hi})
    toml = (ROOT / "examples" / "transforming-rehabilitation" / "contract.toml").read_text()
    spec = load_spec(toml)
    med, lo, hi = timed(lambda: risk.risk_preview(spec, figures, scale_to_budget=True, runs=2000))
    rows.append({"case": "TR example scaled to £600k", "median_s": med, "min_s": lo, "max_s": hi})

    def cached_call():
        risk_preview(toml, figures, runs=2000)

    cache.clear()
    start = time.perf_counter()
    cached_call()
    first = time.perf_counter() - start
    med, lo, hi = timed(cached_call, repeat=21)
    rows.append(
        {"case": "cached, first call (miss)", "median_s": first, "min_s": first, "max_s": first}
    )
    rows.append({"case": "cached, later calls (hit)", "median_s": med, "min_s": lo, "max_s": hi})

    setup_test_environment()
    from django.db import connection

    connection.creation.create_test_db(verbosity=0)
    client = Client()
    payload = {
        "mechanism_toml": toml,
        "runs": 2000,
        "budget": "600000",
        "years": 3,
        "start": "2027-04-01",
        "volume_low": 60,
        "volume_expected": 80,
        "volume_high": 100,
    }

    def api(p=payload):
        r = client.post("/api/v1/risk-preview", p, content_type="application/json")
        assert r.status_code == 200, r.content

    counter = iter(range(10_000_000))

    def api_uncached():
        cache.clear()
        api({**payload, "provider_reserves": str(next(counter))})

    med, lo, hi = timed(api_uncached)
    rows.append({"case": "API, 2,000 runs, uncached", "median_s": med, "min_s": lo, "max_s": hi})
    med, lo, hi = timed(api, repeat=21)
    rows.append({"case": "API, 2,000 runs, cached", "median_s": med, "min_s": lo, "max_s": hi})

    from fullvalue.web.programmes.models import Programme
    from tests.web.factories import OrganisationFactory

    commissioner = OrganisationFactory(legal_form="pcc", sector="public", annual_income=None)
    for source, design in (("designed (blended)", True), ("uploaded TR example", False)):
        spec_text = (
            designer.to_toml(designer.build_spec(designer.starting_point("blended", small), small))
            if design
            else toml
        )
        programme = Programme.objects.create(
            commissioner=commissioner,
            title=source,
            slug=f"p-{design}",
            summary="s",
            cohort="c",
            volume_low=60,
            volume_expected=80,
            volume_high=100,
            budget=Decimal(600000),
            years=3,
            starts_on=dt.date(2027, 4, 1),
            mechanism_toml=spec_text,
            mechanism_design={"starting_point": "blended"} if design else None,
            status="published",
        )
        url = f"/programmes/{programme.slug}/"

        def get(url=url):
            r = client.get(url)
            assert r.status_code == 200, r.status_code

        def get_uncached(url=url):
            cache.clear()
            get(url)

        med, lo, hi = timed(get_uncached)
        rows.append(
            {
                "case": f"programme page, {source}, uncached",
                "median_s": med,
                "min_s": lo,
                "max_s": hi,
            }
        )
        med, lo, hi = timed(get, repeat=21)
        rows.append(
            {"case": f"programme page, {source}, cached", "median_s": med, "min_s": lo, "max_s": hi}
        )

    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "risk_preview.json").write_text(json.dumps(rows, indent=2))
    lines = ["| case | median ms | min ms | max ms |", "|---|---:|---:|---:|"]
    lines += [
        f"| {r['case']} | {r['median_s'] * 1000:.1f} | {r['min_s'] * 1000:.1f} | "
        f"{r['max_s'] * 1000:.1f} |"
        for r in rows
    ]
    (out / "risk_preview.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
