"""Benchmarks of the payment engine (issue 5, section 6).

1. Simulation: 100,000 runs of a five-year contract with quarterly cohorts of 1,000 people
   (20 cohorts; fee for service with volume reconciliation, a foundation payment recovered from
   outcome payments, binary reoffending paid on significance and a 5% hurdle with deductions and
   a cohort cap, payment seven quarters after each cohort), vectorised with NumPy, against a
   straightforward per-run Python loop of the same model in the same process.
2. Settlement of 1,000,000 outcome lines (person-level Work Programme events: starts, job
   outcomes and sustainment payments in nine payment groups over 20 quarters), from CSV, in
   two shapes measured in the same run:
   - aggregated: the rows sum into a few hundred settlement lines;
   - one line per row: every row is its own settlement line with its own reason, either
     20 quarters x 50,000 cohorts, or 1,000,000 events each paid on its own (a participant id in
     the cohort column of a contract that lists no cohorts). Each is settled against an empty
     ledger and against a ledger that pays half the lines, and reading every line is timed too
     (lines are made when they are read).

3. `fullvalue settle` as a whole process on 1,000,000 result rows whose cohort column holds a
   participant's pseudonym (64 hexadecimal characters, as the web service's keyed pseudonyms
   are), writing every line as CSV, against the best Polars query we could write for the same
   amounts (`peers/settle_polars.py`), each a fresh process, taking turns; the amounts of every
   line must be the same.

Writes benchmarks/results/payments.json. Run with `script/bench payments`, or directly:
`python benchmarks/payments/run.py [--loop-runs N] [--repeat R] [--parts a,b]`; a run of some
parts keeps the others' results from the last run.
"""

from __future__ import annotations

import argparse
import hashlib
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

import numpy as np
import polars as pl
from scipy.stats import norm
from threadpoolctl import threadpool_limits

from fullvalue.engine.payments import parse_spec, settle, simulate
from fullvalue.engine.payments.spec import FeeForService, Foundation, Reoffending

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "benchmarks" / "data"
RESULTS = ROOT / "benchmarks" / "results" / "payments.json"
PEERS = Path(__file__).resolve().parent / "peers"
PARTS = ("simulation", "settlement", "settlement_distinct_lines", "settle_process")
# Children may write bytecode caches (the session may set PYTHONDONTWRITEBYTECODE, which would
# make every process compile its imports); one untimed run of each command comes first.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
QUARTERS = [(2025 + (q + 1) // 4, ((q + 1) % 4) + 1) for q in range(20)]


def quarter_periods() -> str:
    blocks = []
    starts = {
        1: ("01-01", "03-31"),
        2: ("04-01", "06-30"),
        3: ("07-01", "09-30"),
        4: ("10-01", "12-31"),
    }
    for year, quarter in QUARTERS:
        first, last = starts[quarter]
        blocks.append(
            f'[[periods]]\nname = "{year}-Q{quarter}"\n'
            f"start = {year}-{first}\nend = {year}-{last}\n"
        )
    return "\n".join(blocks)


SIMULATION_CONTRACT = f"""
[contract]
name = "Five-year contract, quarterly cohorts of 1,000"

{quarter_periods()}

[[components]]
type = "fee_for_service"
name = "core fee"
amount = 600000
[components.volume]
measure = "starts"
expected = 1000
lower = 0.9
upper = 1.1
unit_price = 500

[[components]]
type = "foundation"
name = "foundation"
amount = 50000
offset_against = ["binary"]
offset_rate = 0.5

[[components]]
type = "reoffending"
name = "binary"
measure = "binary"
cohort_hurdle = 0.05
require_significance = true
price_per_unit = 3000
deduct_on_worsening = true
cap_per_cohort = 150000

[simulation]
cohort_size = 1000
baseline_rate = 0.475
volume_shortfall_mean = 0.2
volume_shortfall_sd = 0.1
effect_mean = 0.03
effect_sd = 0.02
cost_per_period = 400000
cost_per_person = 250
payment_lag = 7
"""


def loop_simulate(spec, runs: int, seed: int) -> np.ndarray:
    """The same model, one run and one cohort at a time, in plain Python (net position per run)."""
    rng = np.random.default_rng(seed)
    a = spec.simulation
    fee = next(c for c in spec.components if isinstance(c, FeeForService))
    foundation = next(c for c in spec.components if isinstance(c, Foundation))
    reoffending = next(c for c in spec.components if isinstance(c, Reoffending))
    periods = len(spec.periods)
    lag = a.payment_lag
    horizon = periods + lag
    p0 = float(a.baseline_rate)
    z_alpha = float(norm.ppf(1 - float(reoffending.significance_level)))
    band = fee.volume
    low, high = float(band.expected * band.lower), float(band.expected * band.upper)
    nets = np.empty(runs)
    for run in range(runs):
        shortfall = min(
            max(rng.normal(float(a.volume_shortfall_mean), float(a.volume_shortfall_sd)), 0.0), 0.95
        )
        effect = rng.normal(float(a.effect_mean), float(a.effect_sd))
        income = [0.0] * horizon
        outcome = [0.0] * horizon
        cost = [0.0] * horizon
        for cohort in range(periods):
            size = int(rng.poisson(a.cohort_size * (1 - shortfall)))
            income[cohort] += float(fee.amount) + float(foundation.amount)
            if size < low:
                income[cohort] -= round((low - size) * float(band.unit_price), 2)
            elif size > high:
                income[cohort] += round((size - high) * float(band.unit_price), 2)
            cost[cohort] += float(a.cost_per_period) + float(a.cost_per_person) * size
            n = max(size, 1)
            reoffenders = int(rng.binomial(n, min(max(p0 - effect, 0.0), 1.0)))
            treated = reoffenders / n
            reduction = (p0 - treated) / p0
            z = (p0 - treated) / math.sqrt(p0 * (1 - p0) / n)
            amount = 0.0
            if reduction > 0 and reduction >= float(reoffending.cohort_hurdle) and z > z_alpha:
                amount = round((p0 - treated) * n * float(reoffending.price_per_unit), 2)
            elif reduction < 0 and -z > z_alpha:
                amount = round((p0 - treated) * n * float(reoffending.deduction_per_unit), 2)
            cap = float(reoffending.cap_per_cohort)
            outcome[cohort + lag] += min(max(amount, -cap), cap)
        outstanding = 0.0
        cash = 0.0
        for t in range(horizon):
            if t < periods:
                outstanding += float(foundation.amount)
            recovered = min(
                outstanding, round(max(outcome[t], 0.0) * float(foundation.offset_rate), 2)
            )
            outstanding -= recovered
            cash += income[t] + outcome[t] - recovered - cost[t]
        nets[run] = cash
    return nets


def bench_simulation(runs: int, loop_runs: int, repeat: int) -> dict:
    spec = parse_spec(SIMULATION_CONTRACT)
    simulate(spec, runs=1000, seed=1)  # warm up imports and caches
    vector_times = []
    for i in range(repeat):
        start = time.perf_counter()
        result = simulate(spec, runs=runs, seed=20120601 + i)
        vector_times.append(time.perf_counter() - start)
    start = time.perf_counter()
    loop_nets = loop_simulate(spec, loop_runs, seed=20120601)
    loop_time = time.perf_counter() - start
    loop_full = loop_time * runs / loop_runs
    vector = min(vector_times)
    return {
        "runs": runs,
        "periods": len(spec.periods),
        "cohort_size": 1000,
        "vectorised_seconds": round(vector, 3),
        "vectorised_seconds_all_repeats": [round(t, 3) for t in vector_times],
        "loop_runs": loop_runs,
        "loop_seconds": round(loop_time, 3),
        "loop_seconds_for_all_runs": round(loop_full, 3),
        "loop_extrapolated": loop_runs != runs,
        "speed_up": round(loop_full / vector, 1),
        "speed_up_median": round(loop_full / statistics.median(vector_times), 1),
        "vectorised_net_p50": round(float(np.median(result.net)), 2),
        "loop_net_p50": round(float(np.median(loop_nets)), 2),
        "vectorised_probability_of_loss": round(result.probability_of_loss, 4),
        "loop_probability_of_loss": round(float(np.mean(loop_nets < 0)), 4),
    }


SETTLEMENT_CONTRACT = f"""
[contract]
name = "Work Programme, five years"

{quarter_periods()}

[[components]]
type = "attachment"
name = "attachment fee"
measure = "starts"
price = 400

[[components]]
type = "outcome"
name = "job outcome"
measure = "job_outcomes"
cap = 40000000
[components.prices]
{chr(10).join(f'"group {g}" = {1000 + 250 * g}' for g in range(1, 10))}
[components.sustainment]
measure = "sustainment_payments"
max_payments = 26
[components.sustainment.prices]
{chr(10).join(f'"group {g}" = {150 + 25 * g}' for g in range(1, 10))}
"""


def outcome_lines(path: Path, rows: int, seed: int = 5) -> None:
    rng = np.random.default_rng(seed)
    periods = np.array([f"{y}-Q{q}" for y, q in QUARTERS])
    kinds = rng.choice(3, size=rows, p=[0.3, 0.15, 0.55])
    measure = np.array(["starts", "job_outcomes", "sustainment_payments"])[kinds]
    group = np.where(kinds == 0, "", np.char.add("group ", rng.integers(1, 10, rows).astype(str)))
    frame = pl.DataFrame(
        {
            "period": periods[rng.integers(0, 20, rows)],
            "cohort": [""] * rows,
            "measure": measure,
            "group": group,
            "count": np.ones(rows, dtype=np.int64),
        }
    )
    frame.write_csv(path)


def bench_settlement(rows: int, repeat: int) -> dict:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"payments-outcome-lines-{rows}.csv"
    if not path.exists():
        outcome_lines(path, rows)
    spec = parse_spec(SETTLEMENT_CONTRACT)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        settlement = settle(spec, path)
        times.append(time.perf_counter() - start)
    return {
        "outcome_lines": rows,
        "csv_bytes": path.stat().st_size,
        "settlement_lines": len(settlement.lines),
        "total_payable": f"{settlement.total_payable:.2f}",
        "seconds": round(min(times), 3),
        "seconds_all_repeats": [round(t, 3) for t in times],
    }


def timed(work, repeat: int) -> tuple[object, list[float]]:
    """Run ``work`` ``repeat`` times; return its last result and each run's seconds."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return result, times


def half_paid_ledger(settlement) -> pl.DataFrame:
    """A payments ledger that pays every other line in full (not timed)."""
    lines = settlement.lines[::2]
    return pl.DataFrame(
        {
            "period": [line.period for line in lines],
            "cohort": [line.cohort or "" for line in lines],
            "component": [line.component for line in lines],
            "amount": [f"{line.due:.2f}" for line in lines],
        }
    )


def bench_one_line_per_row(spec, frame: pl.DataFrame, repeat: int) -> dict:
    """Settle ``frame`` (every row its own line) unpaid and half paid; read every line."""
    unpaid, unpaid_times = timed(lambda: settle(spec, frame), repeat)
    ledger = half_paid_ledger(unpaid)
    paid, paid_times = timed(lambda: settle(spec, frame, ledger), repeat)
    _, read_times = timed(lambda: sum(1 for _ in paid.lines), repeat)
    return {
        "input_rows": frame.height,
        "settlement_lines": len(unpaid.lines),
        "total_payable": f"{unpaid.total_payable:.2f}",
        "seconds": round(min(unpaid_times), 3),
        "seconds_all_repeats": [round(t, 3) for t in unpaid_times],
        "paid_ledger_rows": ledger.height,
        "half_paid_total_payable": f"{paid.total_payable:.2f}",
        "half_paid_seconds": round(min(paid_times), 3),
        "half_paid_seconds_all_repeats": [round(t, 3) for t in paid_times],
        "read_every_line_seconds": round(min(read_times), 3),
    }


def bench_distinct_cohorts(rows: int, repeat: int) -> dict:
    """Every input row is its own settlement line: 20 quarters × rows/20 cohorts."""
    cohorts = rows // len(QUARTERS)
    spec = parse_spec(
        SETTLEMENT_CONTRACT + "".join(f'\n[[cohorts]]\nname = "c{i}"\n' for i in range(cohorts))
    )
    names = [f"c{i}" for i in range(cohorts)]
    frame = pl.DataFrame(
        {
            "period": np.repeat([f"{y}-Q{q}" for y, q in QUARTERS], cohorts),
            "cohort": names * len(QUARTERS),
            "measure": ["starts"] * (cohorts * len(QUARTERS)),
            "count": ["3"] * (cohorts * len(QUARTERS)),
        }
    )
    return bench_one_line_per_row(spec, frame, repeat)


def bench_events_paid_one_by_one(rows: int, repeat: int, seed: int = 7) -> dict:
    """Every outcome event is its own line: the cohort column holds a participant id."""
    rng = np.random.default_rng(seed)
    periods = np.array([f"{y}-Q{q}" for y, q in QUARTERS])
    kinds = rng.choice(3, size=rows, p=[0.3, 0.15, 0.55])
    measure = np.array(["starts", "job_outcomes", "sustainment_payments"])[kinds]
    group = np.where(kinds == 0, "", np.char.add("group ", rng.integers(1, 10, rows).astype(str)))
    frame = pl.DataFrame(
        {
            "period": periods[rng.integers(0, 20, rows)],
            "cohort": [f"participant {i}" for i in range(rows)],
            "measure": measure,
            "group": group,
            "count": rng.integers(1, 5, rows).astype(str),
        }
    )
    return bench_one_line_per_row(parse_spec(SETTLEMENT_CONTRACT), frame, repeat)


def pseudonymous_results(path: Path, rows: int, seed: int = 11) -> None:
    """Work Programme events, one per row, each in the cohort column of its participant.

    Pseudonyms are 64 hexadecimal characters, like the web service's keyed SHA-256 pseudonyms
    of case references (here SHA-256 of a seeded number, which looks the same).
    """
    rng = np.random.default_rng(seed)
    periods = np.array([f"{y}-Q{q}" for y, q in QUARTERS])
    kinds = rng.choice(3, size=rows, p=[0.3, 0.15, 0.55])
    measure = np.array(["starts", "job_outcomes", "sustainment_payments"])[kinds]
    group = np.where(kinds == 0, "", np.char.add("group ", rng.integers(1, 10, rows).astype(str)))
    salt = str(seed).encode()
    pl.DataFrame(
        {
            "period": periods[rng.integers(0, 20, rows)],
            "cohort": [hashlib.sha256(salt + str(i).encode()).hexdigest() for i in range(rows)],
            "measure": measure,
            "group": group,
            "count": rng.integers(1, 5, rows).astype(str),
        }
    ).write_csv(path)


def _run(command: list[str], out: Path) -> dict:
    """Run one process writing to ``out``; wall time, CPU time and peak memory from wait4."""
    load = os.getloadavg()[0]
    with out.open("wb") as stdout, tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=CHILD_ENV)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        stderr.seek(0)
        error = stderr.read().decode(errors="replace").strip()[-300:]
    return {
        "ok": os.waitstatus_to_exitcode(status) == 0,
        "seconds": round(wall, 3),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
        "load_before": round(load, 2),
        "error": error,
    }


def bench_settle_process(rows: int, repeat: int) -> dict:
    """`fullvalue settle` against the Polars query, whole processes taking turns."""
    DATA.mkdir(parents=True, exist_ok=True)
    results = DATA / f"payments-pseudonymous-results-{rows}.csv"
    if not results.exists():
        pseudonymous_results(results, rows)
    contract = DATA / "payments-work-programme.toml"
    contract.write_text(SETTLEMENT_CONTRACT, encoding="utf-8")
    script = Path(sys.executable).parent / "fullvalue"
    commands = {
        "fullvalue settle (CSV lines with reasons)": [
            str(script), "settle", str(contract), str(results), "--format", "csv"
        ],
        "polars query (CSV lines, amounts only)": [
            sys.executable, str(PEERS / "settle_polars.py"), str(results)
        ],
    }  # fmt: skip
    outputs = {name: DATA / f"settle-output-{i}.csv" for i, name in enumerate(commands)}
    runs: dict[str, list[dict]] = {name: [] for name in commands}
    for name, command in commands.items():
        _run(command, outputs[name])
    for round_ in range(repeat):
        for name, command in commands.items():
            result = _run(command, outputs[name])
            runs[name].append(result)
            print(f"  settle {name} #{round_ + 1}: {result}", flush=True)
    columns = ["period", "cohort", "component", "detail", "amount"]
    ours, peer = (pl.read_csv(outputs[name], infer_schema=False) for name in commands)
    same_lines = ours.select(columns).equals(peer.select(columns))
    totals = {
        name: f"{frame['amount'].cast(pl.Decimal(38, 2)).sum():.2f}"
        for name, frame in zip(commands, (ours, peer), strict=True)
    }
    summary = {}
    for name, results_ in runs.items():
        ok = [r for r in results_ if r["ok"]]
        summary[name] = {
            "status": "ok" if len(ok) == len(results_) else results_[-1]["error"],
            "median_seconds": statistics.median(r["seconds"] for r in ok) if ok else None,
            "all_seconds": [r["seconds"] for r in results_],
            "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in ok) if ok else None,
            "all_cpu_seconds": [r["cpu_seconds"] for r in results_],
            "peak_mb": max(r["peak_mb"] for r in results_),
            "load": [r["load_before"] for r in results_],
            "total_amount": totals[name],
        }
    for output in outputs.values():
        output.unlink(missing_ok=True)
    return {
        "result_rows": rows,
        "csv_bytes": results.stat().st_size,
        "lines": ours.height,
        "same_amount_on_every_line": same_lines,
        "repeats": repeat,
        "results": summary,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--loop-runs", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--distinct-lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parts", default=",".join(PARTS))
    parser.add_argument("--settle-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    load_before = os.getloadavg()
    measured: dict = {}
    # One BLAS thread: the machine is shared and the work here is not BLAS-bound.
    with threadpool_limits(1):
        if "simulation" in parts:
            measured["simulation"] = bench_simulation(args.runs, args.loop_runs, args.repeat)
            print(json.dumps(measured["simulation"], indent=2))
        if "settlement" in parts:
            measured["settlement"] = bench_settlement(args.lines, args.repeat)
            print(json.dumps(measured["settlement"], indent=2))
        if "settlement_distinct_lines" in parts:
            measured["settlement_distinct_lines"] = {
                "cohorts": bench_distinct_cohorts(args.distinct_lines, args.repeat),
                "events_paid_one_by_one": bench_events_paid_one_by_one(
                    args.distinct_lines, args.repeat
                ),
            }
            print(json.dumps(measured["settlement_distinct_lines"], indent=2))
    if "settle_process" in parts:
        started = datetime.now(UTC).isoformat(timespec="seconds")
        measured["settle_process"] = {
            "when": started,
            **bench_settle_process(args.settle_rows, args.repeat),
            "load_average_after": round(os.getloadavg()[0], 2),
        }
        print(json.dumps(measured["settle_process"], indent=2))
    report = {
        "benchmark": "payments",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "numpy": np.__version__,
            "polars": pl.__version__,
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        **measured,
        "note": "times are the best of the repeats; all repeats are listed; the machine is shared",
    }
    if RESULTS.exists() and parts != set(PARTS):
        kept = json.loads(RESULTS.read_text(encoding="utf-8"))
        for part in set(PARTS) - parts:
            if part in kept:
                report[part] = kept[part]
                report.setdefault("kept_from_earlier_run", {})[part] = kept.get("when")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
