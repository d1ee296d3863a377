"""Participant import: our importer against django-import-export, on SQLite and PostgreSQL.

Generates a seeded CSV of 100,000 participants with about 1% bad rows (one fault each, so the
benchmark knows the row and column that must be named), then for each database, in the same run:

- ours: ``parse_file`` + ``write_participants`` (the importer's core), checked and re-imported,
  then the whole service path (``import_preview`` + ``import_start`` + ``import_run``, which
  parses the file twice and stores it), checked and re-imported;
- django-import-export 4.4 ``ModelResource`` in its default mode (one row at a time);
- the same resource with ``use_bulk = True`` (and ``skip_diff``, its documented companion).

Each step is its own process under a timeout; a failure or a timeout is recorded as a result.
Writes ``benchmarks/results/imports.json`` and ``imports.md``.

    script/bench imports
    benchmarks/.venv/bin/python benchmarks/imports/run.py --rows 10000 --databases sqlite
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
PG_DB = "fullvalue_bench_imports"
# Ours three times, between the peers, so a burst of other work on the shared machine shows.
STEPS = ("ours", "peer-default", "ours", "peer-bulk", "ours")
OURS = ("ours", "ours-2", "ours-3")


def load() -> float:
    return round(os.getloadavg()[0], 2)


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)


def step(action: str, env: dict, work: Path, timeout: float, files: dict) -> dict:
    out = work / f"{action}-{time.monotonic_ns()}.json"
    argv = [sys.executable, str(HERE / "worker.py"), action, "--out", str(out)]
    for name, path in files.items():
        argv += [f"--{name}", str(path)]
    before, started = load(), time.perf_counter()
    try:
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": f"timed out after {timeout:.0f} s", "load_before": before}
    result = {"process_s": round(time.perf_counter() - started, 2), "load_before": before}
    if proc.returncode != 0 or not out.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {**result, "status": f"failed (exit {proc.returncode}): {' | '.join(tail)}"}
    return {**result, "status": "ok", **json.loads(out.read_text()), "load_after": load()}


def run_database(name: str, url: str, work: Path, files: dict, timeout: float) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings",
        "FULLVALUE_TESTING": "1",
        "DATABASE_URL": url,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
        "CONN_MAX_AGE": "0",
    }
    world = work / f"world-{name}.json"
    setup = step("setup", env, work, timeout, {})
    if setup["status"] != "ok":
        return {"setup": setup}
    world.write_text(json.dumps(setup))
    results: dict[str, dict] = {}
    for action in STEPS:
        key = (
            action
            if action not in results
            else f"{action}-{sum(k.startswith(action) for k in results) + 1}"
        )
        print(f"  {name} {key} ...", flush=True)
        results[key] = step(action, env, work, timeout, {**files, "world": world})
        print(f"    {summary_line(results[key])}", flush=True)
    return results


def summary_line(r: dict) -> str:
    if r.get("status") != "ok":
        return r.get("status", "?")
    if "core" in r:
        c, s = r["core"], r["services"]
        return (
            f"core {c['seconds']:.2f} s (parse {c['parse_validate_s']:.2f}, write "
            f"{c['write_s']:.2f}), services {s['seconds']:.2f} s, {c['participants']} rows, "
            f"{c['named_row_and_column']}/{c['bad_rows']} bad named"
        )
    return (
        f"{r['seconds']:.2f} s, {r['participants']} rows, "
        f"{r['named_row_and_column']}/{r['bad_rows']} bad named, batch errors {r['batch_errors']}"
    )


def ours_summary(db: dict) -> dict:
    """Median and all runs of our importer, core and through the services."""
    runs = [db[k] for k in OURS if db.get(k, {}).get("status") == "ok"]
    if not runs:
        return {}
    out = {}
    for path in ("core", "services"):
        seconds = [r[path]["seconds"] for r in runs]
        out[path] = {"median_s": round(statistics.median(seconds), 2), "runs_s": seconds}
    out["parse_validate_median_s"] = round(
        statistics.median(r["core"]["parse_validate_s"] for r in runs), 2
    )
    out["write_median_s"] = round(statistics.median(r["core"]["write_s"] for r in runs), 2)
    out["verified"] = all(
        r["core"]["every_valid_row_once"]
        and r["core"]["named_row_and_column"] == r["core"]["bad_rows"]
        and r["core"]["reported_rows_not_bad"] == 0
        and r["core"]["reimport_created"] == 0
        and r["core"]["after_reimport"] == r["core"]["participants"]
        and r["services"]["every_valid_row_once"]
        and r["services"]["reimport_created"] == 0
        and r["services"]["after_reimport"] == r["services"]["participants"]
        for r in runs
    )
    return out


def ratios(db: dict) -> dict:
    """Peer seconds / our median seconds."""
    ours = ours_summary(db)
    if not ours:
        return {}
    out = {}
    for peer in ("peer-default", "peer-bulk"):
        if db.get(peer, {}).get("status") == "ok":
            out[peer] = {
                "vs_core": round(db[peer]["seconds"] / ours["core"]["median_s"], 1),
                "vs_services": round(db[peer]["seconds"] / ours["services"]["median_s"], 1),
            }
    return out


def markdown(report: dict) -> str:
    lines = [
        f"Run {report['started']}, {report['rows']:,} rows ({report['bad_rows']} bad), "
        f"{report['cores']} cores, CPython {report['python']}, Django {report['django']}, "
        f"django-import-export {report['import_export']}, load average "
        f"{report['load_start']} at the start, {report['load_end']} at the end.",
        "",
        "| database | implementation | status | s | rows imported | bad rows named "
        "(row, column) | django-import-export s / ours |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for db, res in report["databases"].items():
        if "setup" in res:
            lines.append(f"| {db} | setup | {res['setup']['status']} | | | | |")
            continue
        ours = report["ours"].get(db, {})
        first = next((res[k] for k in OURS if res.get(k, {}).get("status") == "ok"), None)
        for k in OURS:
            if res.get(k, {}).get("status") != "ok":
                lines.append(f"| {db} | ours ({k}) | {res.get(k, {}).get('status')} | | | | |")
        if first is not None:
            runs = ", ".join(f"{x:.2f}" for x in ours["core"]["runs_s"])
            lines.append(
                f"| {db} | ours: `parse_file` + `write_participants` | ok | "
                f"{ours['core']['median_s']:.2f} (parse and check "
                f"{ours['parse_validate_median_s']:.2f} + write {ours['write_median_s']:.2f}; "
                f"runs {runs}) | {first['core']['participants']:,} | "
                f"{first['core']['named_row_and_column']:,} of {first['core']['bad_rows']:,} | |"
            )
            runs = ", ".join(f"{x:.2f}" for x in ours["services"]["runs_s"])
            lines.append(
                f"| {db} | ours: `import_preview` + `import_start` + `import_run` | ok | "
                f"{ours['services']['median_s']:.2f} (runs {runs}) | "
                f"{first['services']['participants']:,} | "
                f"{first['services']['bad_rows_reported']:,} | |"
            )
        rat = report["ratios"].get(db, {})
        for peer, label in (
            ("peer-default", "django-import-export, default"),
            ("peer-bulk", "django-import-export, `use_bulk`"),
        ):
            r = res.get(peer, {})
            if r.get("status") != "ok":
                lines.append(f"| {db} | {label} | {r.get('status')} | | | | |")
                continue
            ratio = rat.get(peer, {})
            lines.append(
                f"| {db} | {label} | ok | {r['seconds']:.2f} | {r['participants']:,} | "
                f"{r['named_row_and_column']:,} of {r['bad_rows']:,} | "
                f"{ratio.get('vs_core', '-')}x core, {ratio.get('vs_services', '-')}x services |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--results", default=str(RESULTS / "imports"))
    args = parser.parse_args()

    os.environ.setdefault("FULLVALUE_TESTING", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fullvalue.web.settings")
    import django

    django.setup()
    import import_export
    from generate import generate

    report: dict = {
        "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "rows": args.rows,
        "python": platform.python_version(),
        "django": django.get_version(),
        "import_export": import_export.__version__,
        "cores": os.cpu_count(),
        "load_start": load(),
        "timeout_s": args.timeout,
        "databases": {},
    }
    with tempfile.TemporaryDirectory(prefix="fullvalue-bench-imports-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        content, truth = generate(args.rows)
        report["generate_s"] = round(time.perf_counter() - t0, 2)
        report["bad_rows"] = len(truth["bad"])
        report["bad_kinds"] = {}
        for v in truth["bad"].values():
            report["bad_kinds"][v["kind"]] = report["bad_kinds"].get(v["kind"], 0) + 1
        files = {"csv": work / f"participants-{args.rows}.csv", "truth": work / "truth.json"}
        files["csv"].write_bytes(content)
        files["truth"].write_text(json.dumps(truth))
        print(f"generated {args.rows:,} rows, {len(truth['bad'])} bad", flush=True)
        for db in args.databases.split(","):
            if db == "sqlite":
                url = f"sqlite:///{work / 'bench.sqlite3'}"
            else:
                pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
                pg_admin(f"CREATE DATABASE {PG_DB}")
                url = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
            try:
                report["databases"][db] = run_database(db, url, work, files, args.timeout)
            finally:
                if db == "postgresql":
                    pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    report["load_end"] = load()
    report["ours"] = {db: ours_summary(r) for db, r in report["databases"].items()}
    report["ratios"] = {db: ratios(r) for db, r in report["databases"].items()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    Path(args.results + ".json").write_text(json.dumps(report, indent=2) + "\n")
    md = markdown(report)
    Path(args.results + ".md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
