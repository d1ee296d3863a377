"""Benchmark of ``fullvalue returns`` (issue 16, "Speed").

200,000 participants and about 1.6 million outcome records (seeded synthetic data, Parquet),
the three example frameworks (a PCC's quarters on the financial year with four breakdowns, a
trust's half-years with two, a community fund's October years with one) over two years
(2024-04-01 to 2026-03-31). The whole ``fullvalue returns`` process (console script) is timed
against a straightforward pandas script that filters per indicator, period and breakdown group
(benchmarks/returns/returns_pandas.py), in the same run, taking turns. Wall time, CPU time and
peak resident memory come from ``os.wait4`` on each child; each command runs once untimed
first. The two outputs are compared figure by figure (totals and every breakdown cell).

Writes benchmarks/results/returns.json and returns.md. Run with ``script/bench returns``, or
``python benchmarks/returns/run.py [--participants N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "benchmarks" / "data" / "returns"
RESULTS = ROOT / "benchmarks" / "results"
FRAMEWORKS = [ROOT / "examples" / "frameworks" / f"{n}.toml" for n in ("pcc", "trust", "lottery")]
START, END = "2024-04-01", "2026-03-31"
PYTHON = sys.executable
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


GENERATE = """
import sys
from fullvalue.engine.returns.synthetic import synthetic_participants, synthetic_records
n, seed, people_path, records_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
people = synthetic_participants(n, seed=seed)
records = synthetic_records(people, per_person=8, seed=seed)
people.write_parquet(people_path)
records.write_parquet(records_path)
print(records.height)
"""


def make_data(n: int, seed: int = 2026) -> tuple[Path, Path, int]:
    """Write the data from a child process.

    The parent stays small: Linux keeps a process's peak resident memory across ``exec``, so a
    child forked from a parent holding the data would report the parent's peak as its own.
    """
    DATA.mkdir(parents=True, exist_ok=True)
    people_path = DATA / f"participants-{n}.parquet"
    records_path = DATA / f"records-{n}.parquet"
    done = subprocess.run(
        [PYTHON, "-c", GENERATE, str(n), str(seed), str(people_path), str(records_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return people_path, records_path, int(done.stdout)


def run_process(command: list[str]) -> dict:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err, env=CHILD_ENV)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    return {
        "status": "ok" if code == 0 else "failed",
        "seconds": round(wall, 3),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
        "stdout": stdout,
        "error": stderr.strip()[-300:] if code else "",
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


def same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return (
            a is not None
            and b is not None
            and math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)  # type: ignore[arg-type]
        )
    return a == b


def compare(ours: dict, theirs: dict) -> dict:
    figures = exact = 0
    differences = []
    if len(ours["returns"]) != len(theirs["returns"]):
        return {"identical": False, "differences": ["different numbers of returns"]}
    for a, b in zip(ours["returns"], theirs["returns"], strict=True):
        head = (a["framework"], a["period_start"], a["period_end"])
        if head != (b["framework"], b["period_start"], b["period_end"]):
            differences.append(f"{head} against {b['framework']} {b['period_start']}")
            continue
        for x, y in zip(a["indicators"], b["indicators"], strict=True):
            pairs = [(x["value"], y["value"])]
            for name, cells in x.get("breakdowns", {}).items():
                other = y["breakdowns"][name]
                pairs += [
                    (
                        (c["group"], c["value"], c["suppressed"]),
                        (d["group"], d["value"], d["suppressed"]),
                    )
                    for c, d in zip(cells, other, strict=True)
                ]
            for p, q in pairs:
                figures += 1
                if p == q:
                    exact += 1
                ok = (
                    all(same(u, v) for u, v in zip(p, q, strict=True))
                    if isinstance(p, tuple)
                    else same(p, q)
                )
                if not ok and len(differences) < 10:
                    differences.append(f"{head} {x['id']}: {p} against {q}")
    return {
        "identical": not differences,
        "figures": figures,
        "exactly_equal": exact,
        "equal_within_1e-9": figures - len(differences) if not differences else None,
        "differences": differences,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    people, records, n_records = make_data(args.participants)
    script = Path(PYTHON).parent / "fullvalue"
    ours = [
        str(script),
        "returns",
        *map(str, FRAMEWORKS),
        "--participants",
        str(people),
        "--records",
        str(records),
        "--from",
        START,
        "--to",
        END,
        "--format",
        "json",
    ]
    peer = [
        PYTHON,
        str(Path(__file__).with_name("returns_pandas.py")),
        str(people),
        str(records),
        START,
        END,
        *map(str, FRAMEWORKS),
    ]
    commands = {"fullvalue returns (console script)": ours, "pandas script": peer}
    for command in commands.values():
        warm = run_process(command)
        if warm["status"] != "ok":
            sys.exit(f"failed: {command}\n{warm['error']}")
    runs: dict[str, list[dict]] = {name: [] for name in commands}
    for _ in range(args.repeat):
        for name, command in commands.items():
            runs[name].append(run_process(command))
    outputs = {name: json.loads(r[-1]["stdout"]) for name, r in runs.items()}
    check = compare(*outputs.values())
    summary = {}
    for name, results in runs.items():
        seconds = [r["seconds"] for r in results]
        summary[name] = {
            "median_seconds": statistics.median(seconds),
            "seconds": seconds,
            "cpu_seconds": statistics.median(r["cpu_seconds"] for r in results),
            "peak_mb": max(r["peak_mb"] for r in results),
            "load": [(r["load_before"], r["load_after"]) for r in results],
        }
    base = summary["fullvalue returns (console script)"]["median_seconds"]
    for entry in summary.values():
        entry["times_ours"] = round(entry["median_seconds"] / base, 2)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "participants": args.participants,
        "records": n_records,
        "frameworks": [p.name for p in FRAMEWORKS],
        "returns": len(outputs["pandas script"]["returns"]),
        "period": [START, END],
        "results": summary,
        "check": check,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "returns.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        f"# fullvalue returns: {args.participants:,} participants, {n_records:,} records, "
        f"{len(FRAMEWORKS)} frameworks, {report['returns']} returns ({START} to {END})",
        "",
        "| implementation | median s | all runs s | CPU s | peak MB | time / ours |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, entry in summary.items():
        runs_text = ", ".join(f"{s:.3f}" for s in entry["seconds"])
        lines.append(
            f"| {name} | {entry['median_seconds']:.3f} | {runs_text} | {entry['cpu_seconds']:.2f} "
            f"| {entry['peak_mb']:.0f} | {entry['times_ours']:.2f}x |"
        )
    lines += [
        "",
        f"Figures compared: {check.get('figures')}; exactly equal: {check.get('exactly_equal')}; "
        f"identical within 1e-9: {check['identical']}.",
    ]
    (RESULTS / "returns.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
