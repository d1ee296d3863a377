"""Hostile uploads: the web process's time and peak memory refusing the files of issue #14.

A fresh process (Django, a scratch SQLite database, a contract and a provider's API token)
posts each file to ``POST /api/v1/contracts/{id}/imports`` through Django's request handling,
as a gunicorn worker would, and records the answer, the time it took and the process's peak
resident memory (``ru_maxrss``) before and after. The files:

- ``bomb-5m``: the 714 KB XLSX of 5,000,000 one-cell rows that unpacks to 245 MB;
- ``bomb-600k``: 600,000 such rows (about 87 KB);
- ``rows-over-limit``: 500,001 ordinary rows (ratio within the limit) and no stated used
  range: counted from the compressed XML and refused at the row limit (the slow case);
- ``rows-over-limit-stated``: the same with the used range stated, as Excel writes it;
- ``legit-100k``: 100,000 participant rows, accepted (for comparison).

Writes ``benchmarks/results/uploads.json``.

    script/bench uploads
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"


def files() -> dict[str, tuple[str, bytes]]:
    sys.path.insert(0, str(ROOT))
    from tests.web.hostile_files import bomb_xlsx, inline_row, xlsx_of_rows

    header = inline_row(1, ["case_reference", "referred_on", "cohort"])
    rows = [header] + [
        inline_row(i + 2, [f"R{i:06d}", "2025-06-01", f"c{i % 97}"]) for i in range(500_001)
    ]
    over = xlsx_of_rows(rows, level=6)
    over_stated = xlsx_of_rows(rows, level=6, dimension="A1:C500002")
    legit = "case_reference,referred_on,started_on,cohort\n" + "".join(
        f"P{i:06d},2025-06-01,2025-06-0{1 + i % 9},cohort {i % 13}\n" for i in range(100_000)
    )
    return {
        "bomb-5m": ("bomb.xlsx", bomb_xlsx(5_000_000)),
        "bomb-600k": ("bomb-600k.xlsx", bomb_xlsx(600_000)),
        "rows-over-limit": ("over.xlsx", over),
        "rows-over-limit-stated": ("over-stated.xlsx", over_stated),
        "legit-100k": ("people.csv", legit.encode()),
    }


def child(path: str) -> None:
    """Run in the measured process: set up, then post each file once (largest memory last)."""
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from fullvalue.domain.roles import Role
    from fullvalue.web.accounts.services import actor_for_membership, api_token_create
    from fullvalue.web.contracts.services import contract_create
    from tests.web.delivery_data import MECHANISM
    from tests.web.factories import MembershipFactory, OrganisationFactory

    commissioner = MembershipFactory(
        role=Role.COMMISSIONER.value, organisation=OrganisationFactory(legal_form="pcc")
    )
    provider = MembershipFactory(role=Role.PROVIDER_ADMIN.value, organisation=OrganisationFactory())
    contract = contract_create(
        actor=actor_for_membership(commissioner),
        data={
            "title": "Uploads",
            "provider_id": provider.organisation_id,
            "value": "100000",
            "mechanism_toml": MECHANISM,
        },
    )
    _, token = api_token_create(actor=actor_for_membership(provider), name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.get("/healthz")  # load the URL configuration and the API first
    uploads = json.loads(Path(path).read_text())
    out = []
    for name, (filename, stored) in uploads.items():
        content = Path(stored).read_bytes()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        r = client.post(
            f"/api/v1/contracts/{contract.id}/imports",
            {"file": SimpleUploadedFile(filename, content)},
        )
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        body = r.json()
        out.append(
            {
                "file": name,
                "bytes": len(content),
                "status": r.status_code,
                "answer": body.get("detail") or f"{body.get('valid')} valid rows",
                "limit": [e.get("location") for e in body.get("errors") or []],
                "seconds": round(seconds, 3),
                "peak_rss_mb_before": round(before, 1),
                "peak_rss_mb_after": round(after, 1),
            }
        )
        del content
    print("RESULT " + json.dumps(out))


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        stored = {}
        for name, (filename, content) in files().items():
            path = Path(tmp) / filename
            path.write_bytes(content)
            stored[name] = (filename, str(path))
        listing = Path(tmp) / "files.json"
        listing.write_text(json.dumps(stored))
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "fullvalue.web.settings_test",
            "DATABASE_URL": f"sqlite:///{tmp}/uploads.sqlite3",
            "FULLVALUE_VAR_DIR": tmp,
            "SECRET_KEY": "uploads-benchmark-not-secret",
            "PYTHONPATH": str(ROOT),
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        run = subprocess.run(
            [sys.executable, __file__, "--child", str(listing)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if run.returncode != 0:
            print(run.stderr[-3000:])
            return 1
    line = next(x for x in run.stdout.splitlines() if x.startswith("RESULT "))
    result = {
        "what": "POST /api/v1/contracts/{id}/imports in one fresh process (Django test client)",
        "uploads": json.loads(line[len("RESULT ") :]),
        "load_average_after": os.getloadavg(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "uploads.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
