"""Benchmark the measurement engine against its peers (issue 4, section 6).

Run with ``script/bench measure`` or directly with ``benchmarks/.venv/bin/python
benchmarks/measure/run.py [--quick]``. Three parts:

1. Proven reoffending on 1,000,000 people x 5,000,000 offences (seeded synthetic, with text and
   with integer ids, each as Parquet and CSV, at two as-of dates): the whole ``fullvalue
   reoffending`` process against a straightforward pandas script, tuned Polars queries and a
   DuckDB query, each a fresh process; numbers must be identical. The matching-ids part runs
   ``fullvalue compare`` on the same four forms against the scikit-learn way.
2. Matching at (treated, pool) = (1,000, 50,000), (5,000, 200,000), (20,000, 1,000,000): the
   whole ``fullvalue compare`` process against psmpy, causalml, dowhy and the scikit-learn
   NearestNeighbors way, each peer in its own process under a 5-minute timeout and a memory cap,
   all taking turns for the same number of rounds (median of each).
3. Confidence-interval coverage by Monte Carlo at the smallest matching size.

Writes ``benchmarks/results/measure.json`` and ``benchmarks/results/measure.md``. Wall time and
peak resident memory come from ``os.wait4`` on each child process. The machine is shared: the
load average is recorded before and after every run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from fullvalue.engine.measure.baseline import compare_baseline
from fullvalue.engine.measure.matched import compare_matched
from fullvalue.engine.measure.reoffending import person_outcomes
from fullvalue.engine.measure.synthetic import synthetic_cohort

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PEERS = HERE / "peers"
DATA = ROOT / "benchmarks" / "data" / "measure"
RESULTS = ROOT / "benchmarks" / "results"
PYTHON = sys.executable
AS_OF = "2021-12-31"
#: The reoffending part's as-of dates. 31 December 2019, as in issue 15's measurement: the
#: people's index dates run to that day, so only a quarter of them have complete follow-up and
#: a query that leaves out the offences that do not count can skip three quarters of the work.
#: 31 December 2021: everyone's follow-up is complete (the usual case once a cohort's follow-up
#: and waiting periods have ended, and the previous benchmark's date).
REOFFENDING_AS_OF = ("2019-12-31", "2021-12-31")
PARTS = ("reoffending", "matching-ids", "matching", "coverage")
TIMEOUT = 300.0
MEMORY_CAP = 10 * 1024**3
COVARIATES = "age,sex,ogrs,prior,region"
MATCH_SIZES = [(1_000, 50_000), (5_000, 200_000), (20_000, 1_000_000)]
# Children may write bytecode caches: the session sets PYTHONDONTWRITEBYTECODE, which would make
# every process compile all its imports from source (0.5 s for us, more for pandas and
# scikit-learn) and measure the compiler rather than the work. One untimed warm-up run of every
# command comes first.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


MODULE = [PYTHON, "-m", "fullvalue.engine.measure.cli"]


def console_script() -> list[str] | None:
    """The installed ``fullvalue`` console script, when ``fullvalue --help`` runs.

    The dispatcher imports only the module of the command it runs, so this should start as
    quickly as ``python -m fullvalue.engine.measure.cli``; both are timed to show it.
    """
    script = Path(PYTHON).parent / "fullvalue"
    if script.exists():
        probe = subprocess.run([str(script), "--help"], capture_output=True, timeout=60)
        if probe.returncode == 0:
            return [str(script)]
    return None


def run_process(command: list[str], timeout: float = TIMEOUT, cap: int | None = None) -> dict:
    """Run one child process; return wall time, peak RSS, status, output and load."""

    def limit() -> None:
        if cap:
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            command, stdout=out, stderr=err, preexec_fn=limit, cwd=PEERS, env=CHILD_ENV
        )
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > timeout:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
                timed_out = True
                break
            time.sleep(0.005)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode(errors="replace")
    if timed_out:
        state = "timeout"
    elif proc.returncode == 0:
        state = "ok"
    elif "MemoryError" in stderr or "Unable to allocate" in stderr or proc.returncode == -9:
        state = "out of memory"
    else:
        state = "failed"
    return {
        "status": state,
        "seconds": round(wall, 3),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
        "returncode": proc.returncode,
        "stdout": stdout,
        "error": stderr.strip().splitlines()[-1][:300] if state != "ok" and stderr.strip() else "",
        "stderr_tail": stderr.strip()[-600:],
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


# --- 1. reoffending ---------------------------------------------------------------------------


ID_KINDS = ("text", "integer")
FORMATS = ("parquet", "csv")
CHECK_LETTERS = np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"))


def pnc_ids(count: int, rng: np.random.Generator) -> pl.Series:
    """Distinct ids in the form of Police National Computer ids, e.g. ``2019/0123456A``.

    The year of first arrest (1990-2019), a slash, a seven-digit serial number with its leading
    zeros and a check letter (here computed from the year and serial, not by the PNC's own
    rule). Distinct serials make distinct ids.
    """
    years = rng.integers(1990, 2020, count)
    serials = rng.choice(10_000_000, size=count, replace=False)
    letters = CHECK_LETTERS[(years * 7 + serials) % len(CHECK_LETTERS)]
    frame = pl.DataFrame({"year": years, "serial": serials, "letter": letters})
    return frame.select(
        pl.format("{}/{}{}", "year", pl.col("serial").cast(pl.String).str.zfill(7), "letter").alias(
            "person_id"
        )
    ).to_series()


def _write(frame: pl.DataFrame, path: Path) -> None:
    if path.suffix == ".csv":
        frame.write_csv(path)
    else:
        frame.write_parquet(path)


def make_reoffending_data(n_people: int, n_offences: int, seed: int = 2026) -> dict:
    """Seeded people and offences, with every kind of excluded offence, in four forms.

    The same people and offences are written with text ids (PNC-style, as in real extracts)
    and with integer ids (0 to n - 1), each as Parquet and as CSV, so every implementation must
    give the same numbers on all four. 2% of offences belong to people who are not in the
    people file (their ids appear only in the offences file) and about 1% of the people have no
    offence (their ids appear only in the people file); rows are in no particular order. A copy
    of the text people file with one id repeated 500,000 rows later checks that duplicates
    are refused.
    """
    folder = DATA / f"reoffending-{n_people}-{n_offences}-{seed}"
    paths = {
        (kind, fmt): (folder / kind / f"people.{fmt}", folder / kind / f"offences.{fmt}")
        for kind in ID_KINDS
        for fmt in FORMATS
    }
    duplicates = {fmt: folder / "text" / f"people-duplicate.{fmt}" for fmt in FORMATS}
    done = folder / "complete"
    if done.exists():
        return {"paths": paths, "duplicates": duplicates}
    for kind in ID_KINDS:
        (folder / kind).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    start = np.datetime64("2018-01-01", "D")
    index = rng.integers(0, 730, n_people)
    outsiders = n_people + n_people // 50  # 2% of offences by people not in the cohort
    person = rng.integers(0, outsiders, n_offences)
    base = np.where(person < n_people, index[np.minimum(person, n_people - 1)], 365)
    offence = base + rng.integers(-400, 700, n_offences)
    disposal = offence + rng.geometric(1 / 90, n_offences)
    breach = rng.random(n_offences) < 0.05
    text = pnc_ids(outsiders, rng)
    people = pl.DataFrame({"index_date": start + index.astype("timedelta64[D]")}).with_columns(
        pl.col("index_date").cast(pl.Date)
    )
    offences = pl.DataFrame(
        {
            "offence_date": start + offence.astype("timedelta64[D]"),
            "disposal_date": start + disposal.astype("timedelta64[D]"),
            "breach": breach,
        }
    ).with_columns(pl.col("offence_date", "disposal_date").cast(pl.Date))
    for kind in ID_KINDS:
        ids = text if kind == "text" else pl.Series("person_id", np.arange(outsiders))
        ids = ids.alias("person_id")
        kind_people = pl.concat([ids.head(n_people).to_frame(), people], how="horizontal")
        kind_offences = pl.concat([ids.gather(person).to_frame(), offences], how="horizontal")
        for fmt in FORMATS:
            people_path, offences_path = paths[(kind, fmt)]
            _write(kind_people, people_path)
            _write(kind_offences, offences_path)
            if kind == "text":
                twice = kind_people.with_columns(
                    pl.when(pl.int_range(pl.len()) == n_people // 2 + 17)
                    .then(pl.lit(ids[17]))
                    .otherwise(pl.col("person_id"))
                    .alias("person_id")
                )
                _write(twice, duplicates[fmt])
    done.write_text("")
    return {"paths": paths, "duplicates": duplicates}


def _core(result: dict) -> dict:
    keys = ("people", "reoffenders", "reoffences", "median_days_to_first", "incomplete_follow_up")
    core = {
        "cohorts": [{"cohort": c["cohort"], **{k: c[k] for k in keys}} for c in result["cohorts"]],
        "total": {k: result["total"][k] for k in keys},
    }
    if "excluded_offences" in result:
        core["excluded_offences"] = result["excluded_offences"]
        core["counted_offences"] = result["counted_offences"]
    return core


REOFFENDING_PEERS = {
    "polars query": "reoffending_polars.py",
    "polars query with exclusions": "reoffending_polars_exclusions.py",
    "duckdb query": "reoffending_duckdb.py",
    "pandas script": "reoffending_pandas.py",
}


def _summary(results: list[dict]) -> dict:
    ok = [r for r in results if r["status"] == "ok"]
    return {
        "status": "ok" if ok and len(ok) == len(results) else results[-1]["status"],
        "median_seconds": statistics.median(r["seconds"] for r in ok) if ok else None,
        "all_seconds": [r["seconds"] for r in results],
        "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in ok) if ok else None,
        "all_cpu_seconds": [r["cpu_seconds"] for r in results],
        "peak_mb": max(r["peak_mb"] for r in results),
        "load": [r["load_before"] for r in results],
        "error": results[-1]["error"],
    }


def check_duplicates(ours: list[str], data: dict, offences: Path) -> dict:
    """Run ours on a people file with one id twice: it must refuse, naming the rows."""
    out = {}
    for fmt, people in data["duplicates"].items():
        result = run_process([*ours, "reoffending", str(people), str(offences), "--as-of", AS_OF])
        stderr = result["stderr_tail"]
        out[fmt] = {
            "status": result["status"],
            "returncode": result["returncode"],
            "seconds": result["seconds"],
            "message": result["stderr_tail"],
            "refused_naming_rows": result["returncode"] == 2 and "appears more than once" in stderr,
        }
    return out


def bench_reoffending(
    script: list[str] | None, n_people: int, n_offences: int, repeats: int, as_of: list[str]
) -> dict:
    """Ours and every peer on each id kind, format and as-of date, all taking turns.

    In each of ``repeats`` rounds every command runs once, in the same order; each is
    summarised by its median. Numbers are compared with ours on text ids in Parquet at the same
    as-of date (all four forms hold the same people and offences).
    """
    data = make_reoffending_data(n_people, n_offences)
    ours = script or MODULE
    commands: dict[tuple[str, str, str, str], list[str]] = {}
    for date in as_of:
        for (kind, fmt), (people, offences) in data["paths"].items():
            args = [str(people), str(offences)]
            commands[(date, kind, fmt, "fullvalue reoffending")] = [
                *ours, "reoffending", *args, "--as-of", date, "--format", "json"
            ]  # fmt: skip
            for name, peer in REOFFENDING_PEERS.items():
                commands[(date, kind, fmt, name)] = [PYTHON, str(PEERS / peer), *args, date]
    runs: dict[tuple[str, str, str, str], list[dict]] = {key: [] for key in commands}
    for command in commands.values():
        run_process(command)
    for repeat in range(repeats):
        for key, command in commands.items():
            result = run_process(command)
            print(
                f"  reoffending {' / '.join(key)} #{repeat + 1}: {result['status']} "
                f"{result['seconds']}s {result['cpu_seconds']} CPU s {result['peak_mb']} MB",
                flush=True,
            )
            runs[key].append(result)
    references = {}
    entries = []
    for (date, kind, fmt, name), results in runs.items():
        ok = [r for r in results if r["status"] == "ok"]
        numbers = _core(json.loads(ok[0]["stdout"])) if ok else None
        if (kind, fmt, name) == ("text", "parquet", "fullvalue reoffending"):
            references[date] = numbers
        entries.append({"as_of": date, "ids": kind, "format": fmt, "implementation": name,
                        **_summary(results), "numbers": numbers})  # fmt: skip
    for entry in entries:
        numbers, reference = entry.pop("numbers"), references.get(entry["as_of"])
        if numbers is None or reference is None:
            entry["identical_numbers"] = False
            continue
        same = numbers["cohorts"] == reference["cohorts"] and numbers["total"] == reference["total"]
        if "excluded_offences" in numbers:
            same = same and all(
                numbers[k] == reference[k] for k in ("excluded_offences", "counted_offences")
            )
        entry["identical_numbers"] = same
    text_parquet = data["paths"][("text", "parquet")][1]
    return {
        "people": n_people,
        "offences": n_offences,
        "as_of": as_of,
        "repeats": repeats,
        "results": entries,
        "reference_totals": {d: ref["total"] if ref else None for d, ref in references.items()},
        "duplicates_refused": check_duplicates(ours, data, text_parquet),
    }


# --- 2. matching ------------------------------------------------------------------------------


def make_matching_data(n_treated: int, n_pool: int, seed: int = 2026) -> dict:
    """Seeded people (with covariates) and offences, and the peers' analysis file.

    Written with integer ids as Parquet (``people``, ``offences``, ``analysis``, as before), and
    for the id-kind comparison with text (PNC-style) and integer ids, each as Parquet and CSV
    (``forms[(kind, format)]``); the analysis file, which the peers read, has the outcome
    precomputed and comes in both formats.
    """
    folder = DATA / f"matching-{n_treated}-{n_pool}-{seed}"
    paths = {n: folder / f"{n}.parquet" for n in ("people", "offences", "analysis")}
    forms = {
        (kind, fmt): {
            "people": str(folder / kind / f"people.{fmt}"),
            "offences": str(folder / kind / f"offences.{fmt}"),
            "analysis": str(folder / f"analysis.{fmt}"),
        }
        for kind in ID_KINDS
        for fmt in FORMATS
    }
    meta = folder / "truth.json"
    result = {**{k: str(v) for k, v in paths.items()}, "forms": forms}
    if meta.exists() and (folder / "forms-complete").exists():
        return {**result, **json.loads(meta.read_text())}
    folder.mkdir(parents=True, exist_ok=True)
    cohort = synthetic_cohort(n_treated, n_pool, seed=seed)
    cohort.people.write_parquet(paths["people"])
    cohort.offences.write_parquet(paths["offences"])
    outcomes, _, _ = person_outcomes(
        cohort.people, cohort.offences, as_of=dt.date.fromisoformat(AS_OF)
    )
    analysis = cohort.people.with_columns(reoffended=outcomes["reoffences"] > 0).filter(
        outcomes["complete"]
    )
    analysis.write_parquet(paths["analysis"])
    analysis.write_csv(folder / "analysis.csv")
    everyone = int(cohort.offences.get_column("person_id").max()) + 1
    text = pnc_ids(everyone, np.random.default_rng(seed + 1))
    for kind in ID_KINDS:
        (folder / kind).mkdir(exist_ok=True)
        people, offences = cohort.people, cohort.offences
        if kind == "text":
            people = people.with_columns(text.gather(people.get_column("person_id")))
            offences = offences.with_columns(text.gather(offences.get_column("person_id")))
        for fmt in FORMATS:
            _write(people, Path(forms[(kind, fmt)]["people"]))
            _write(offences, Path(forms[(kind, fmt)]["offences"]))
    truth = {"true_binary": cohort.true_binary, "true_frequency": cohort.true_frequency}
    meta.write_text(json.dumps(truth))
    (folder / "forms-complete").write_text("")
    return {**result, **truth}


PEER_SCRIPTS = {
    "scikit-learn NearestNeighbors": "match_sklearn.py",
    "causalml NearestNeighborMatch": "match_causalml.py",
    "dowhy propensity_score_matching": "match_dowhy.py",
    "psmpy kdtree_matched": "match_psmpy.py",
}


def _matching_entry(runs: list[dict]) -> dict:
    """Summarise one implementation's runs at one size: medians over the successful runs."""
    ok = [r for r in runs if r["status"] == "ok"]
    parsed = json.loads(ok[0]["stdout"]) if ok else {}
    # Our JSON has the estimate under "binary"; each peer prints {"estimate", "matched_treated"}.
    binary = parsed.get("binary", {"difference": parsed.get("estimate")})
    return {
        "status": "ok" if ok and len(ok) == len(runs) else runs[-1]["status"],
        "median_seconds": statistics.median(r["seconds"] for r in ok) if ok else None,
        "all_seconds": [r["seconds"] for r in runs],
        "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in ok) if ok else None,
        "all_cpu_seconds": [r["cpu_seconds"] for r in runs],
        "peak_mb": max(r["peak_mb"] for r in runs),
        "load": [r["load_before"] for r in runs],
        "estimate": binary.get("difference"),
        "ci": [binary.get("ci_low"), binary.get("ci_high")],
        "matched_treated": parsed.get("matched_treated"),
        "error": runs[-1]["error"],
    }


def bench_matching(
    script: list[str] | None, sizes: list[tuple[int, int]], repeats: int
) -> list[dict]:
    """Time ours and every peer at each size, ``repeats`` rounds, the commands taking turns.

    Taking turns (ours, ours through the console script, then each peer, then again) spreads
    changes in the machine's load over all of them; each is summarised by its median. A peer
    that fails (out of memory, say) is not retried at that size nor run at larger ones.
    """
    out = []
    given_up: dict[str, str] = {}
    warm = make_matching_data(*sizes[0])
    run_process(
        [
            *MODULE,
            "compare",
            warm["people"],
            warm["offences"],
            "--treated",
            "treated",
            "--covariates",
            COVARIATES,
            "--as-of",
            AS_OF,
        ]
    )
    for peer in PEER_SCRIPTS.values():
        run_process([PYTHON, str(PEERS / peer), warm["analysis"]], cap=MEMORY_CAP)
    for n_treated, n_pool in sizes:
        data = make_matching_data(n_treated, n_pool)
        ours_args = [
            "compare",
            data["people"],
            data["offences"],
            "--treated",
            "treated",
            "--covariates",
            COVARIATES,
            "--as-of",
            AS_OF,
            "--format",
            "json",
        ]
        entry = {"treated": n_treated, "pool": n_pool, "true_binary": data["true_binary"]}
        commands = {"fullvalue compare": [*MODULE, *ours_args]}
        if script:
            commands["fullvalue compare (console script)"] = [*script, *ours_args]
        for name, peer in PEER_SCRIPTS.items():
            if name not in given_up:
                commands[name] = [PYTHON, str(PEERS / peer), data["analysis"]]
        runs: dict[str, list[dict]] = {name: [] for name in commands}
        for repeat in range(repeats):
            for name, command in commands.items():
                if runs[name] and runs[name][-1]["status"] != "ok":
                    continue
                result = run_process(command, cap=MEMORY_CAP)
                runs[name].append(result)
                print(
                    f"  compare {name} {n_treated}x{n_pool} #{repeat + 1}: {result['status']} "
                    f"{result['seconds']}s {result['cpu_seconds']} CPU s {result['peak_mb']} MB "
                    f"{result['error'][:80]}",
                    flush=True,
                )
        for name in [*commands, *PEER_SCRIPTS]:
            if name not in commands:
                entry[name] = {"status": "not run", "error": given_up[name]}
                continue
            entry[name] = _matching_entry(runs[name])
            if name in PEER_SCRIPTS and entry[name]["status"] != "ok":
                given_up[name] = f"{entry[name]['status']} at {n_treated} x {n_pool}"
        out.append(entry)
    return out


def bench_matching_ids(
    script: list[str] | None, size: tuple[int, int], repeats: int, peers: list[str]
) -> dict:
    """``fullvalue compare`` on text and integer ids, Parquet and CSV, against the named peers.

    Every command takes its turn in each round; the peers read the analysis file in the same
    format as ours reads the people and offences files.
    """
    n_treated, n_pool = size
    data = make_matching_data(n_treated, n_pool)
    ours = script or MODULE
    commands: dict[tuple[str, str, str], list[str]] = {}
    for (kind, fmt), form in data["forms"].items():
        commands[(kind, fmt, "fullvalue compare")] = [
            *ours, "compare", form["people"], form["offences"], "--treated", "treated",
            "--covariates", COVARIATES, "--as-of", AS_OF, "--format", "json",
        ]  # fmt: skip
        for name in peers:
            if kind == "integer":  # the peers read the analysis file: ids make no difference
                commands[(kind, fmt, name)] = [
                    PYTHON, str(PEERS / PEER_SCRIPTS[name]), form["analysis"]
                ]  # fmt: skip
    runs: dict[tuple[str, str, str], list[dict]] = {key: [] for key in commands}
    for command in commands.values():
        run_process(command, cap=MEMORY_CAP)
    for repeat in range(repeats):
        for key, command in commands.items():
            result = run_process(command, cap=MEMORY_CAP)
            runs[key].append(result)
            print(
                f"  compare {' / '.join(key)} {n_treated}x{n_pool} #{repeat + 1}: "
                f"{result['status']} {result['seconds']}s {result['cpu_seconds']} CPU s "
                f"{result['peak_mb']} MB {result['error'][:80]}",
                flush=True,
            )
    entries = []
    for (kind, fmt, name), results in runs.items():
        entry = {"ids": kind if name == "fullvalue compare" else "-", "format": fmt}
        entries.append({**entry, "implementation": name, **_matching_entry(results)})
    estimates = {e["estimate"] for e in entries if e["implementation"] == "fullvalue compare"}
    return {
        "treated": n_treated,
        "pool": n_pool,
        "true_binary": data["true_binary"],
        "repeats": repeats,
        "results": entries,
        "ours_identical_across_forms": len(estimates) == 1,
    }


# --- 3. coverage ------------------------------------------------------------------------------


def _coverage(truth: np.ndarray, est: np.ndarray, low: np.ndarray, high: np.ndarray) -> dict:
    covered = (low <= truth) & (truth <= high)
    p = covered.mean()
    return {
        "coverage": round(float(p), 3),
        "monte_carlo_se": round(float(np.sqrt(p * (1 - p) / len(truth))), 3),
        "mean_bias": round(float(np.mean(est - truth)), 4),
        "sd_of_estimates": round(float(np.std(est - truth, ddof=1)), 4),
        "mean_half_width": round(float(np.mean(high - low) / 2), 4),
    }


def baseline_monte_carlo(n_each: int, replications: int, effect: float) -> dict:
    """Coverage of the baseline comparison's intervals: current cohort riskier than baseline."""
    as_of = dt.date.fromisoformat(AS_OF)
    rows = []
    start = time.perf_counter()
    for seed in range(1, replications + 1):
        cohort = synthetic_cohort(n_each, n_each, seed=20_000 + seed, effect=effect)
        people = cohort.people.with_columns(baseline=~pl.col("treated"))
        total = compare_baseline(
            people,
            cohort.offences,
            baseline="baseline",
            covariates=COVARIATES.split(","),
            as_of=as_of,
        ).total
        b, f = total.binary, total.frequency
        rows.append(
            (
                cohort.true_binary,
                b.difference,
                b.ci_low,
                b.ci_high,
                cohort.true_frequency,
                f.difference,
                f.ci_low,
                f.ci_high,
            )
        )
    a = np.array(rows, dtype=float)
    return {
        "method": "baseline (case-mix adjusted expected)",
        "baseline": n_each,
        "current": n_each,
        "effect_log_odds": effect,
        "replications": replications,
        "seconds": round(time.perf_counter() - start, 1),
        "binary": _coverage(a[:, 0], a[:, 1], a[:, 2], a[:, 3]),
        "frequency": _coverage(a[:, 4], a[:, 5], a[:, 6], a[:, 7]),
    }


def monte_carlo(
    n_treated: int, n_pool: int, replications: int, replacement: bool = True, ratio: int = 1
) -> dict:
    """Share of replications whose 95% CI covers the true effect on the treated."""
    as_of = dt.date.fromisoformat(AS_OF)
    rows = []
    start = time.perf_counter()
    for seed in range(1, replications + 1):
        cohort = synthetic_cohort(n_treated, n_pool, seed=10_000 + seed)
        result = compare_matched(
            cohort.people,
            cohort.offences,
            treated="treated",
            covariates=COVARIATES.split(","),
            as_of=as_of,
            replacement=replacement,
            ratio=ratio,
        )
        b, f = result.binary, result.frequency
        rows.append(
            (
                cohort.true_binary,
                b.difference,
                b.ci_low,
                b.ci_high,
                cohort.true_frequency,
                f.difference,
                f.ci_low,
                f.ci_high,
            )
        )
    a = np.array(rows, dtype=float)
    return {
        "method": f"matched 1:{ratio} {'with' if replacement else 'without'} replacement",
        "treated": n_treated,
        "pool": n_pool,
        "replications": replications,
        "seconds": round(time.perf_counter() - start, 1),
        "binary": _coverage(a[:, 0], a[:, 1], a[:, 2], a[:, 3]),
        "frequency": _coverage(a[:, 4], a[:, 5], a[:, 6], a[:, 7]),
    }


# --- report -----------------------------------------------------------------------------------


def _ratio(value: float | None, base: float | None) -> str:
    return f"{value / base:.2f}x" if value and base else "-"


def _part_when(part: dict) -> str:
    if "started" not in part:
        return "run as part of the whole"
    return f"run {part['started']}, load average {part['load_start']} to {part['load_end']}"


def markdown(report: dict) -> str:
    lines = [
        f"Run {report['started']} on {report['machine']}; load average at start "
        f"{report['load_start']}, at end {report['load_end']} (shared machine: other engineers' "
        "jobs were running). Wall times are whole processes (start-up, imports, reading Parquet, "
        "output), measured with `os.wait4` after one untimed warm-up run of each command; CPU "
        "is the child's user plus system time (all its threads), less sensitive to the load than "
        "wall time; peak memory is the child's maximum resident set. The matching peers read the "
        "outcome "
        "precomputed; `fullvalue compare` computes it from the offences table.",
        "",
    ]
    for part, started in report.get("kept_from_earlier_run", {}).items():
        lines += [f"The {part} results are from the run started {started}.", ""]
    reo = report.get("reoffending")
    if reo:
        dates = reo["as_of"] if isinstance(reo["as_of"], list) else [reo["as_of"]]
        lines += [
            f"**Proven reoffending**, {reo['people']:,} people x {reo['offences']:,} offences, "
            f"as of {' and '.join(dates)}, median of {reo['repeats']} runs taking turns "
            f"({_part_when(reo)}). Time / ours is the median wall time over ours on the same "
            "ids, format and as-of date; so is CPU / ours. Identical numbers: the same measures "
            "by cohort and in total as ours on text ids in Parquet (and, for the query with "
            "exclusions, the same offences not counted by reason).",
            "",
            "| as of | ids | format | implementation | median s | all runs s | median CPU s | "
            "peak MB | identical numbers | time / ours | CPU / ours |",
            "|---|---|---|---|---:|---:|---:|---:|---|---:|---:|",
        ]
        ours = {
            (r.get("as_of"), r["ids"], r["format"]): r
            for r in reo["results"]
            if r["implementation"] == "fullvalue reoffending"
        }
        for r in reo["results"]:
            base = ours[(r.get("as_of"), r["ids"], r["format"])]
            lines.append(
                f"| {r.get('as_of', dates[0])} | {r['ids']} | {r['format']} | "
                f"{r['implementation']} | {r['median_seconds']} | "
                f"{', '.join(map(str, r['all_seconds']))} | {r['median_cpu_seconds']} | "
                f"{r['peak_mb']} | {'yes' if r['identical_numbers'] else 'NO'} | "
                f"{_ratio(r['median_seconds'], base['median_seconds'])} | "
                f"{_ratio(r['median_cpu_seconds'], base['median_cpu_seconds'])} |"
            )
        lines.append("")
        for fmt, check in reo.get("duplicates_refused", {}).items():
            verdict = "refused, naming the rows" if check["refused_naming_rows"] else "NOT refused"
            message = " ".join(check["message"].split())
            lines.append(f"People file with a duplicate id ({fmt}): {verdict}: `{message}`")
        lines.append("")
    ids_part = report.get("matching-ids")
    if ids_part:
        lines += [
            f"**Matching on text and integer ids**, {ids_part['treated']:,} treated x "
            f"{ids_part['pool']:,} pool, median of {ids_part['repeats']} runs taking turns "
            f"({_part_when(ids_part)}); the peers read the analysis file (outcome precomputed) "
            "in the same format, so ids make no difference to them:",
            "",
            "| ids | format | implementation | median s | all runs s | median CPU s | peak MB | "
            "estimate (pp) | peer time / ours (same format, ours on each id kind) |",
            "|---|---|---|---:|---:|---:|---:|---:|---|",
        ]
        ours = {
            (r["ids"], r["format"]): r
            for r in ids_part["results"]
            if r["implementation"] == "fullvalue compare"
        }
        for r in ids_part["results"]:
            est = r.get("estimate")
            ratios = ""
            if r["implementation"] != "fullvalue compare":
                ratios = ", ".join(
                    f"{kind} {_ratio(r['median_seconds'], mine['median_seconds'])}"
                    for kind in ID_KINDS
                    if (mine := ours.get((kind, r["format"])))
                )
            lines.append(
                f"| {r['ids']} | {r['format']} | {r['implementation']} | {r['median_seconds']} | "
                f"{', '.join(map(str, r['all_seconds']))} | {r['median_cpu_seconds']} | "
                f"{r['peak_mb']} | {'-' if est is None else f'{est * 100:.2f}'} | {ratios} |"
            )
        lines.append("")
    for entry in report.get("matching", []):
        lines += [
            f"**Matching** {entry['treated']:,} treated x {entry['pool']:,} pool (true effect on "
            f"the treated {entry['true_binary'] * 100:.2f} pp):",
            "",
            "| implementation | status | median s | all runs s | CPU s | peak MB | estimate (pp) | "
            "matched | time / fullvalue |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        ours = entry["fullvalue compare"]
        # Ours first, then the peers in a fixed order.
        names = sorted(
            (n for n in entry if isinstance(entry[n], dict)),
            key=lambda n: (
                n in PEER_SCRIPTS,
                list(PEER_SCRIPTS).index(n) if n in PEER_SCRIPTS else 0,
            ),
        )
        for name in names:
            r = entry[name]
            seconds = r.get("median_seconds", r.get("seconds"))
            cpu = r.get("median_cpu_seconds", r.get("cpu_seconds"))
            est = r.get("estimate")
            ratio = (
                f"{seconds / ours['median_seconds']:.1f}x"
                if r["status"] == "ok" and ours.get("median_seconds")
                else "-"
            )
            status = r["status"] if r["status"] == "ok" else f"{r['status']}: {r.get('error', '')}"
            lines.append(
                f"| {name} | {status} | {seconds if r['status'] == 'ok' else '-'} | "
                f"{', '.join(map(str, r.get('all_seconds', []))) or '-'} | "
                f"{cpu if r['status'] == 'ok' and cpu is not None else '-'} | "
                f"{r.get('peak_mb', '-')} | {'-' if est is None else f'{est * 100:.2f}'} | "
                f"{r.get('matched_treated') or '-'} | {ratio} |"
            )
        lines.append("")
    studies = report.get("coverage") or []
    if isinstance(studies, dict):
        studies = [studies]
    if studies:
        lines += [
            "**Coverage** of the 95% CI (share of replications whose interval contains the "
            "true effect on the treated):",
            "",
            "| method | size | replications | measure | coverage | MC s.e. | mean bias | "
            "SD of estimates | mean CI half-width |",
            "|---|---|---:|---|---:|---:|---:|---:|---:|",
        ]
        for mc in studies:
            size = (
                f"{mc['treated']:,} x {mc['pool']:,}"
                if "treated" in mc
                else f"{mc['baseline']:,} + {mc['current']:,}, effect {mc['effect_log_odds']}"
            )
            for name in ("binary", "frequency"):
                m = mc[name]
                lines.append(
                    f"| {mc.get('method', 'matched 1:1 with replacement')} | {size} | "
                    f"{mc['replications']} | {name} | {m['coverage']} | {m['monte_carlo_se']} | "
                    f"{m['mean_bias']} | {m['sd_of_estimates']} | {m['mean_half_width']} |"
                )
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--parts", default=",".join(PARTS))
    parser.add_argument(
        "--as-of",
        default=",".join(REOFFENDING_AS_OF),
        help="as-of dates of the reoffending part (comma-separated)",
    )
    parser.add_argument(
        "--id-peers",
        default="match_sklearn.py",
        help="peers of the matching-ids part (scripts in peers/, comma-separated)",
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--sizes", type=int, default=3, help="how many matching sizes to run")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the markdown from the last JSON"
    )
    args = parser.parse_args()
    if args.report_only:
        report = json.loads((RESULTS / "measure.json").read_text())
        (RESULTS / "measure.md").write_text(markdown(report) + "\n")
        print(markdown(report))
        return
    parts = set(args.parts.split(","))
    script = console_script()
    report: dict = {
        "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}",
        "console_script": bool(script),
        "bytecode_cache": "on for children, after one untimed warm-up run of each command",
        "load_start": round(os.getloadavg()[0], 2),
        "memory_cap_gib": MEMORY_CAP / 1024**3,
        "timeout_seconds": TIMEOUT,
    }

    def timed(part: str, run: Callable[[], dict]) -> None:
        started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        load_start = round(os.getloadavg()[0], 2)
        result = run()
        if isinstance(result, dict):
            result.update(
                started=started, load_start=load_start, load_end=round(os.getloadavg()[0], 2)
            )
        report[part] = result

    if "reoffending" in parts:
        n_people, n_offences = (100_000, 500_000) if args.quick else (1_000_000, 5_000_000)
        print(f"reoffending {n_people} x {n_offences}", flush=True)
        timed(
            "reoffending",
            lambda: bench_reoffending(
                script, n_people, n_offences, args.repeats, args.as_of.split(",")
            ),
        )
    if "matching-ids" in parts:
        size = (200, 10_000) if args.quick else MATCH_SIZES[-1]
        print(f"matching on text and integer ids {size}", flush=True)
        peers = [name for name in PEER_SCRIPTS if PEER_SCRIPTS[name] in args.id_peers.split(",")]
        timed("matching-ids", lambda: bench_matching_ids(script, size, args.repeats, peers))
    if "matching" in parts:
        sizes = [(200, 10_000)] if args.quick else MATCH_SIZES[: args.sizes]
        print(f"matching {sizes}", flush=True)
        report["matching"] = bench_matching(script, sizes, args.repeats)
    if "coverage" in parts:
        replications = 5 if args.quick else args.replications
        print(f"coverage x {replications}", flush=True)
        report["coverage"] = [
            monte_carlo(*MATCH_SIZES[0], replications),
            monte_carlo(*MATCH_SIZES[0], replications, replacement=False),
            monte_carlo(*MATCH_SIZES[0], replications, ratio=3),
            baseline_monte_carlo(3_000, replications, effect=0.0),
            baseline_monte_carlo(3_000, replications, effect=-0.5),
        ]
    report["load_end"] = round(os.getloadavg()[0], 2)
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "-quick" if args.quick else ""
    previous = RESULTS / f"measure{suffix}.json"
    if previous.exists() and parts != set(PARTS):
        # A partial run keeps the other parts' results from the last run, each with its own
        # start time and load.
        kept = json.loads(previous.read_text())
        for part in set(PARTS) - parts:
            if part in kept:
                report[part] = kept[part]
                # A part the last run had itself kept is from the run that measured it.
                origin = kept.get("kept_from_earlier_run", {}).get(part, kept.get("started"))
                report.setdefault("kept_from_earlier_run", {})[part] = origin
    (RESULTS / f"measure{suffix}.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / f"measure{suffix}.md").write_text(markdown(report) + "\n")
    print(markdown(report))


if __name__ == "__main__":
    main()
