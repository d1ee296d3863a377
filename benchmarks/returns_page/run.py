"""Benchmark: a provider's report-once pages with ten frameworks, on the demo data (issue 16).

Builds the demo world in a fresh test database (Moss Side Women's Centre reports to four
funders), publishes six more frameworks (copies of the examples under other ids) and has the
centre report to all ten, then times through Django's test client (no network):
- the centre's "Report once" page (every framework's periods and statuses, the burden figure);
- one return's review page (its figures and breakdowns produced by the engine from the records).
Each is requested once untimed, then 21 times; median, min and max are reported.
Goal: each page under 300 ms.

Writes benchmarks/results/returns_page.json and .md.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fullvalue.web.settings_test")
os.environ.setdefault("FULLVALUE_DEMO", "1")
sys.path.insert(0, str(ROOT))


def timed(fn, repeat=21):
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return {
        "median_ms": round(statistics.median(times) * 1000, 1),
        "min_ms": round(min(times) * 1000, 1),
        "max_ms": round(max(times) * 1000, 1),
    }


def main() -> None:
    import django

    django.setup()
    import re

    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    from fullvalue.web.accounts.models import Membership
    from fullvalue.web.accounts.services import actor_for_membership
    from fullvalue.web.demo.world import build_demo_world
    from fullvalue.web.reporting import selectors, services

    build_demo_world()
    admin = Membership.objects.get(user__email="provider@demo.fullvalue.test")
    hmpps = Membership.objects.get(
        user__email="commissioner@demo.fullvalue.test",
        organisation__name="Ministry of Justice (HMPPS)",
    )
    provider, commissioner = actor_for_membership(admin), actor_for_membership(hmpps)
    for n in range(6):
        name = ("pcc", "trust", "lottery")[n % 3]
        text = (ROOT / "examples" / "frameworks" / f"{name}.toml").read_text()
        text = re.sub(r'(?m)^id = "[^"]*"', f'id = "extra-{n}"', text, count=1)
        framework = services.framework_save(actor=commissioner, spec_toml=text)
        services.framework_adopt(actor=provider, framework_id=framework.id)
    frameworks = selectors.frameworks_adopted(admin.organisation_id)
    client = Client()
    client.force_login(admin.user)
    records = selectors.provider_data(admin.organisation_id).records.height

    def get(url):
        def call():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return call

    hmpps_framework = next(f for f in frameworks if f.slug == "hmpps-womens-services")
    spec = selectors.spec_of(hmpps_framework)
    from django.utils import timezone

    start, _ = selectors.periods_due(spec, timezone.localdate())[0]
    rows = [
        {"page": "Report once (10 frameworks)", **timed(get("/reporting/"))},
        {
            "page": "a return's review (HMPPS quarter, 4 breakdowns)",
            **timed(get(f"/reporting/{hmpps_framework.slug}/{start.isoformat()}/")),
        },
    ]
    result = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "frameworks": len(frameworks),
        "records": records,
        "load_average": os.getloadavg(),
        "pages": rows,
        "goal_ms": 300,
        "goal_met": all(r["median_ms"] < 300 for r in rows),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "returns_page.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        f"Report-once pages, {len(frameworks)} frameworks, {records} records "
        f"(load average {result['load_average'][0]:.1f})",
        "",
        "| page | median ms | min ms | max ms |",
        "|---|---:|---:|---:|",
        *[f"| {r['page']} | {r['median_ms']} | {r['min_ms']} | {r['max_ms']} |" for r in rows],
    ]
    (RESULTS / "returns_page.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print("GOAL MET" if result["goal_met"] else "GOAL NOT MET", "(each page under 300 ms)")
    connection.creation.destroy_test_db(":memory:", verbosity=0)


if __name__ == "__main__":
    main()
